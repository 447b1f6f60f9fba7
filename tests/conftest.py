"""Fixtures shared across the test tree: the loopback OpenAI-compatible server, one torch thread for tiny models."""

import pytest

from tests.teacher.conftest import Loopback, loopback  # noqa: F401


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
