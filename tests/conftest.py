"""Fixtures shared across the test tree: the loopback OpenAI-compatible server, one torch thread for tiny models;
and the order tests run in."""

import pytest

from tests.llm.conftest import Loopback, loopback, tls_cert  # noqa: F401


@pytest.fixture
def recorded(tmp_path):
    """A recorded teacher for the toy CountTask (tests/fakes.py): its Eq. 1 base and one Eq. 6 rule."""
    from logicdistill.teacher.teachers import RecordedTeacher
    from tests.fakes import PLUS_HUNDRED_REPLY
    from tests.functionbase.sample import REPLY

    folder = tmp_path / "recorded" / "count"
    folder.mkdir(parents=True)
    (folder / "eq1_base.md").write_text(REPLY)
    (folder / "eq6_plus_hundred.md").write_text(PLUS_HUNDRED_REPLY)
    return RecordedTeacher(tmp_path / "recorded")


@pytest.fixture(autouse=True)
def one_torch_thread(request):
    """Tiny models run ~10x faster on one thread than on two busy shared cores (thread sync dominates);
    integration tests run the real model with every core."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def pytest_collection_modifyitems(items):
    """The end-to-end tests (marked integration; one distils the real student for minutes) first: with pytest-xdist's
    two workers they then run beside the quick tests rather than alone at the end. The sort is stable, so every
    worker collects the same order."""
    items.sort(key=lambda item: item.get_closest_marker("integration") is None)
