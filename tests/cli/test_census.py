"""Every ordinary mistake in ``census.CASES`` ends in one clear line, exit 2, no traceback, in its time;
plus the pieces the census cannot reach from outside (the last-resort handler, the ml-extra catch)."""

import argparse
import json
import os

import pytest

from logicdistill import extras
from logicdistill.cli import checks, main
from logicdistill.errors import UserError
from logicdistill.tasks import get_task
from tests.cli import census


@pytest.fixture(scope="module")
def outcomes():
    return {o.case.name: o for o in census.run_all()}


@pytest.mark.parametrize("name", [c.name for c in census.CASES])
def test_mistake_is_one_clear_line(outcomes, name):
    outcome = outcomes[name]
    assert not outcome.problems, f"{name}: {outcome.problems}\n{outcome.stderr[-2000:]}"


def test_case_names_are_unique():
    assert len({c.name for c in census.CASES}) == len(census.CASES)


def _failing_command(exc: BaseException):
    def run(args):
        raise exc

    return run


@pytest.mark.parametrize(
    "exc, text",
    [
        (PermissionError(13, "Permission denied", "/x/out.json"), "Permission denied: /x/out.json"),
        (IsADirectoryError(21, "Is a directory", "/x"), "Is a directory: /x"),
        (OSError(28, "No space left on device"), "No space left on device"),
        (json.JSONDecodeError("Expecting value", "x", 0), "not valid JSON"),
        (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "not UTF-8"),
    ],
)
def test_last_resort_is_one_line_with_debug_hint(monkeypatch, capsys, exc, text):
    monkeypatch.delenv(checks.DEBUG_ENV, raising=False)
    _parse_to(monkeypatch, exc)
    assert main([]) == 2
    err = capsys.readouterr().err
    assert text in err and checks.DEBUG_ENV in err and len(err.strip().splitlines()) == 1


def _parse_to(monkeypatch, exc):
    """Make the parser return a command that raises ``exc``."""
    monkeypatch.setattr(argparse.ArgumentParser, "parse_known_args", lambda self, argv=None: (_ns(exc), []))


def _ns(exc):
    return argparse.Namespace(func=_failing_command(exc), plugin=[])


def test_debug_env_keeps_the_traceback(monkeypatch):
    monkeypatch.setenv(checks.DEBUG_ENV, "1")
    _parse_to(monkeypatch, PermissionError("x"))
    with pytest.raises(PermissionError):
        main([])


def test_bugs_are_not_hidden(monkeypatch):
    monkeypatch.delenv(checks.DEBUG_ENV, raising=False)
    _parse_to(monkeypatch, KeyError("bug"))
    with pytest.raises(KeyError):
        main([])


def test_missing_ml_module_while_building_a_policy_names_the_extra(monkeypatch):
    from logicdistill.evaluation import runner
    from logicdistill.tasks import get_task

    task = get_task("pursuit")

    from logicdistill.agent.registry import PolicySpec

    def factory(task, **options):
        raise ModuleNotFoundError("No module named 'torch'", name="torch")

    monkeypatch.setattr(
        runner, "policy_specs", lambda task: {"ld": PolicySpec("ld", factory, "test", loads_student=True)}
    )
    with pytest.raises(UserError, match=r'pip install "logicdistill\[ml\]"'):
        runner.make_policy(task, "ld")


def test_other_missing_modules_stay_errors(monkeypatch):
    from logicdistill.agent.registry import PolicySpec
    from logicdistill.evaluation import runner
    from logicdistill.tasks import get_task

    def factory(task, **options):
        raise ModuleNotFoundError("No module named 'typo'", name="typo")

    monkeypatch.setattr(runner, "policy_specs", lambda task: {"x": PolicySpec("x", factory, "test")})
    with pytest.raises(ModuleNotFoundError):
        runner.make_policy(get_task("pursuit"), "x")


def test_find_spec_sees_a_hidden_module(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "peft", None)
    assert "peft" in extras.missing_ml_modules()
    with pytest.raises(UserError, match="missing: peft"):
        checks.require_ml_for(get_task("pursuit"), ["random", "student-kd"])
    checks.require_ml_for(get_task("pursuit"), ["random", "heuristic", "teacher-program"])  # no student: none


def test_output_probe_leaves_nothing_behind(tmp_path):
    checks.check_output_file(tmp_path / "a" / "b" / "r.json", "--json")
    checks.check_output_dir(tmp_path / "c" / "d", "--out")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("text", ["0", "-1", "1.0", "1e3", "", "9" * 30, "1000001"])
def test_episodes_type_rejects(text):
    with pytest.raises(argparse.ArgumentTypeError, match=r"1\.\.1000000"):
        checks.episodes_type(text)


def test_number_types_accept_their_range():
    assert checks.episodes_type("1_000_000") == 1_000_000
    assert checks.seed_type("4294967295") == 2**32 - 1
    assert checks.version_type("3") == 3


def test_closed_stdout_is_a_quiet_exit(tmp_path):
    """`logicdistill play ... | head -1`: no traceback and no error line once the reader has gone."""
    import subprocess
    import sys

    env = dict(os.environ, PYTHONPATH=str(census.SRC), LOGICDISTILL_HOME=str(tmp_path))
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first write: deterministic, unlike racing `head`
    cmd = [sys.executable, "-m", "logicdistill", "play", "--task", "pursuit", "--policy", "random", "--map", "open"]
    try:
        done = subprocess.run(cmd, stdout=write, stderr=subprocess.PIPE, env=env, timeout=60)
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (1, b"")
