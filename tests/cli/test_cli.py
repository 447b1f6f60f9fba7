import json
import subprocess
import sys

import pytest

from logicdistill.cli import main
from logicdistill.tasks import register_task, unregister_task
from tests.fakes import GuessTask


@pytest.fixture(autouse=True)
def guess_task():
    register_task(GuessTask())
    yield
    unregister_task("guess")


def test_module_entry_point_prints_help():
    out = subprocess.run([sys.executable, "-m", "logicdistill", "--help"], capture_output=True, text=True, check=True)
    for command in ("tasks", "eval", "play", "base", "distill", "demo", "sandbox"):
        assert command in out.stdout


def test_eval_prints_table_and_writes_json(tmp_path, capsys):
    path = tmp_path / "r.json"
    assert (
        main(["eval", "--task", "guess", "--policy", "cheat", "--episodes", "3", "--quiet", "--json", str(path)]) == 0
    )
    assert "mean_score" in capsys.readouterr().out
    assert json.loads(path.read_text())["episodes"] == 3


@pytest.mark.parametrize(
    "argv, message",
    [
        (["eval", "--task", "nope"], "unknown task 'nope'"),
        (["eval", "--task", "guess", "--policy", "nope"], "unknown policy 'nope'"),
        (["eval", "--task", "guess", "--policy", "cheat", "--env-arg", "novalue"], "KEY=VALUE"),
        (["play", "--task", "guess", "--policy", "cheat", "--render", "x.gif"], "draws no pictures"),
    ],
)
def test_bad_input_is_one_clear_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_non_integer_seed_is_rejected(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "--task", "guess", "--seed", "abc"])
    assert exit_info.value.code == 2
    assert "argument --seed: must be a seed in 0..4294967295" in capsys.readouterr().err


def test_play_prints_turn_by_turn(capsys):
    assert main(["play", "--task", "guess", "--policy", "cheat", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "=== start" in out and "--- step 3" in out and "episode over after 3 steps" in out


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("7", 7),
        ("-3", -3),
        ("false", False),
        ("True", True),
        ("0.25", 0.25),
        ("-1e-3", -0.001),
        ("2e3", 2000.0),
        ("9" * 40, "9" * 40),  # a huge digit string stays text: the environment's own check names it
        ("open", "open"),
        ("1.2.3", "1.2.3"),
        ("nan", "nan"),
    ],
)
def test_env_arg_values_are_typed(text, value):
    from logicdistill.cli.checks import env_value

    got = env_value(text)
    assert got == value and type(got) is type(value)
