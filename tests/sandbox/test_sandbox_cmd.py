"""``logicdistill sandbox check|run`` through its own parser, and once through ``python -m logicdistill``."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import logicdistill
from logicdistill.cli import main
from logicdistill.cli.sandbox_cmd import MAX_FILE_BYTES, add_parser, parse_call
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


@pytest.mark.parametrize(
    "call",
    ["add(x)", "add({1})", "add(*[1])", "add(", "1 + 2", "a.b(1)", "add(a=1, a=2)", "add(\0)", "add(" + "[" * 5000],
)
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


def test_duplicate_keywords_name_the_keyword():
    with pytest.raises(UserError, match="repeats keyword argument 'b'"):
        parse_call("add(1, b=2, b=3)")


def test_code_that_parses_but_does_not_compile_is_rejected(tmp_path, capsys):
    path = tmp_path / "star.py"
    path.write_text("def f():\n    try:\n        pass\n    except* ValueError:\n        return 1\n")
    assert _run(["sandbox", "check", str(path)]) == 1
    assert f"{path}:5: rejected (syntax): does not compile" in capsys.readouterr().out


def _special_files(tmp_path: Path) -> dict[str, str]:
    big = tmp_path / "big.py"
    big.write_text("#" * (MAX_FILE_BYTES + 1))
    latin = tmp_path / "latin.py"
    latin.write_bytes(b"x = '\xe9'\n")
    fifo = tmp_path / "fifo.py"
    os.mkfifo(fifo)  # nobody writes: a plain open() would block for ever
    return {
        "/dev/zero": "not a regular file",
        str(fifo): "not a regular file",
        str(tmp_path): "not a regular file",
        str(big): "over the limit",
        str(latin): "not UTF-8",
        str(tmp_path / "missing.py"): "No such file",
    }


@pytest.mark.parametrize("command", ["check", "run"])
def test_bad_files_are_one_line_errors_with_exit_2(tmp_path, capsys, command):
    for path, message in _special_files(tmp_path).items():
        argv = ["sandbox", command, path] + (["--call", "f()"] if command == "run" else [])
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1, captured
        assert captured.err.startswith(f"logicdistill: error: cannot read {path}: ") and message in captured.err


def _children(pid: int) -> list[int]:
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds the worker through /proc")
@pytest.mark.parametrize(("signum", "status"), [(signal.SIGTERM, 128 + signal.SIGTERM), (signal.SIGINT, 130)])
def test_a_signal_ends_the_worker_and_removes_its_folder(files, tmp_path, signum, status):
    good, _ = files
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    src = str(Path(logicdistill.__file__).resolve().parent.parent)
    env = {**os.environ, "TMPDIR": str(tmpdir), "PYTHONPATH": src}
    argv = ["sandbox", "run", good, "--call", "spin()", "--cpu-seconds", "60", "--wall-seconds", "60"]
    cli = subprocess.Popen(
        [sys.executable, "-m", "logicdistill", *argv],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # a background shell job ignores it
    )
    try:
        deadline, workers = time.monotonic() + 60, []
        while not workers and time.monotonic() < deadline and cli.poll() is None:
            time.sleep(0.1)
            workers = _children(cli.pid)
        assert workers and list(tmpdir.glob("ld-sandbox-*")), "the worker never started"
        time.sleep(0.5)  # let the call start
        cli.send_signal(signum)
        assert cli.wait(timeout=30) == status, cli.stderr.read()
    finally:
        cli.kill()
    assert not any(_running(pid) for pid in workers)
    assert list(tmpdir.iterdir()) == []


def test_exit_on_signals_turns_sigterm_into_system_exit_and_restores_handlers():
    from logicdistill.sandbox import exit_on_signals

    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(SystemExit) as exit_info, exit_on_signals():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises at the next bytecode boundary, long before this ends
    assert exit_info.value.code == 128 + signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_sandbox_left_open_is_closed_at_interpreter_exit(tmp_path):
    src = str(Path(logicdistill.__file__).resolve().parent.parent)
    script = (
        "import os\nfrom logicdistill.sandbox import Sandbox\n"
        "sb = Sandbox(memory_mb=256)\nsb.load('m', 'def f():\\n    return 1\\n')\n"
        "assert sb.call('m', 'f').value == 1\nprint(sb._workers[0].proc.pid)\n"  # exits with the sandbox open
    )
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONPATH": src}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert not _running(int(out.stdout))
    assert list(tmp_path.iterdir()) == []
