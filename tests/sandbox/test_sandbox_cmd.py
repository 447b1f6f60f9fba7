"""``logicdistill sandbox check|run`` through its own parser, and once through ``python -m logicdistill``."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from logicdistill.cli.sandbox_cmd import add_parser, parse_call
from logicdistill.errors import UserError


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture()
def files(tmp_path):
    good = tmp_path / "good.py"
    good.write_text("def add(a, b=0):\n    return [a, b]\n\ndef spin():\n    while True:\n        pass\n")
    bad = tmp_path / "bad.py"
    bad.write_text("x = 1\nimport os\n")
    return str(good), str(bad)


def test_check(files, capsys):
    good, bad = files
    assert _run(["sandbox", "check", good]) == 0
    assert capsys.readouterr().out.strip() == "ok"
    assert _run(["sandbox", "check", bad]) == 1
    assert f"{bad}:2: rejected (import)" in capsys.readouterr().out


def test_run_prints_json(files, capsys):
    good, _ = files
    assert _run(["sandbox", "run", good, "--call", "add((1, 2), b={'k': None})", "--memory-mb", "256"]) == 0
    assert json.loads(capsys.readouterr().out) == [[1, 2], {"k": None}]


def test_run_reports_limits_and_rejections(files, capsys):
    good, bad = files
    assert _run(["sandbox", "run", good, "--call", "spin()", "--cpu-seconds", "0.3", "--memory-mb", "256"]) == 1
    assert capsys.readouterr().out.startswith("timeout: ")
    assert _run(["sandbox", "run", bad, "--call", "f()"]) == 1
    assert "rejected (import)" in capsys.readouterr().out


@pytest.mark.parametrize("call", ["add(x)", "add({1})", "add(*[1])", "add(", "1 + 2", "a.b(1)"])
def test_bad_call_is_a_user_error(call):
    with pytest.raises(UserError, match="--call"):
        parse_call(call)


def test_missing_file_and_bad_limits_are_user_errors(files):
    with pytest.raises(UserError, match="cannot read"):
        _run(["sandbox", "check", "/nonexistent/x.py"])
    with pytest.raises(UserError, match="memory_mb"):
        _run(["sandbox", "run", files[0], "--call", "add(1)", "--memory-mb", "1"])


def test_parse_call():
    assert parse_call(" f(1, [2, (3,)], k='v') ") == ("f", [1, [2, [3]]], {"k": "v"})


def test_through_the_main_cli(files):
    good, _ = files
    out = subprocess.run(
        [sys.executable, "-m", "logicdistill", "sandbox", "run", good, "--call", "add(2, 3)"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (out.returncode, out.stdout.strip()) == (0, "[2, 3]"), out.stderr
