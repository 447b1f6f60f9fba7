"""What a new user meets in the first hour: the student in use is named, eval keeps what it finished,
writes per-stage traces, a finished distill is not redone, progress in a log is plain lines."""

import io
import json
import os

import pytest

from logicdistill.cli import main
from logicdistill.tasks import get_task, register_task, unregister_task
from tests.fakes import CountTask, GuessTask


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGICDISTILL_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LOGICDISTILL_RUN", raising=False)
    return tmp_path / "home"


@pytest.fixture
def toy_tasks():
    register_task(GuessTask())
    register_task(CountTask())
    yield
    unregister_task("guess")
    unregister_task("count")


def test_eval_names_the_student_it_uses(home, capsys):
    from logicdistill.cli.eval_cmd import student_runs
    from logicdistill.student.runs import DistilledStudent, shipped_run

    chosen = student_runs(get_task("pursuit"), ["optimal", "ld"], None)
    err = capsys.readouterr().err
    assert chosen == {"ld": str(shipped_run("pursuit"))}
    assert err.count("\n") == 1 and "student of ld: run" in err and "shipped with the package" in err
    mine = home / "runs" / "pursuit" / "20990101-000000-seed0"
    DistilledStudent("pursuit", "ld", "tiny", 4, "bm25", "hashing", None).save(mine)
    assert student_runs(get_task("pursuit"), ["ld"], None) == {"ld": str(shipped_run("pursuit"))}  # not silently
    assert student_runs(get_task("pursuit"), ["ld"], "latest") == {"ld": str(mine)}
    assert "distilled" in capsys.readouterr().err


def test_runs_lists_shipped_and_distilled_runs(home, capsys):
    from logicdistill.student.runs import DistilledStudent

    mine = home / "runs" / "pursuit" / "20990101-000000-seed0"
    DistilledStudent("pursuit", "ld", "tiny", 4, "bm25", "hashing", None, metrics={"heldout_accuracy": 0.5}).save(mine)
    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    assert "shipped/pursuit" in out and "shipped (default)" in out and str(mine) in out and "0.500" in out
    assert main(["runs", "--task", "nosuch"]) == 0 and "no runs for 'nosuch'" in capsys.readouterr().out


def test_ctrl_c_keeps_the_finished_policies(home, toy_tasks, tmp_path, monkeypatch, capsys):
    from logicdistill.cli import eval_cmd

    real = eval_cmd.evaluate

    def evaluate(task, name, *args, **kwargs):
        if name == "zero":
            raise KeyboardInterrupt
        return real(task, name, *args, **kwargs)

    monkeypatch.setattr(eval_cmd, "evaluate", evaluate)
    path = tmp_path / "r.json"
    argv = [
        "eval",
        "--task",
        "guess",
        "--policy",
        "cheat,zero,cheat",
        "--episodes",
        "2",
        "--quiet",
        "--json",
        str(path),
    ]
    assert main(argv) == 130
    out, err = capsys.readouterr()
    assert "cheat" in out.splitlines()[0] and "zero" not in out.splitlines()[0]
    assert json.loads(path.read_text())["policy"] == "cheat"  # the finished policy, written
    assert "not finished: zero, cheat" in err


def test_eval_traces_every_stage_and_json_names_the_context(home, toy_tasks, recorded, tmp_path, capsys):
    traces, results = tmp_path / "t.jsonl", tmp_path / "r.json"
    teacher = recorded.name  # recorded:DIR
    argv = ["eval", "--task", "count", "--policy", "teacher-program", "--episodes", "2", "--quiet", "--teacher"]
    assert main([*argv, teacher, "--traces", str(traces), "--json", str(results)]) == 0
    lines = [json.loads(line) for line in traces.read_text().splitlines()]
    assert {line["seed"] for line in lines} == {0, 1} and {line["stage"] for line in lines} == {"act"}
    first = lines[0]
    assert first["policy"] == "teacher-program" and first["step"] == 1 and first["chosen"] and "candidates" in first
    data = json.loads(results.read_text())
    assert data["teacher"] == teacher and data["base_version"] == 1 and data["run"] is None
    assert data["scenario"] is None and data["map"] is None and data["version"]


def test_distill_on_a_finished_out_says_so_and_stops(home, tmp_path, capsys):
    from logicdistill.student.runs import DistilledStudent

    out = tmp_path / "run"
    DistilledStudent("pursuit", "ld", "tiny", 4, "bm25", "hashing", None, metrics={"heldout_accuracy": 0.75}).save(out)
    assert main(["distill", "--task", "pursuit", "--out", str(out), "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "already finished (held-out selection accuracy 0.750)" in text and f"--run {out}" in text
    assert sorted(p.name for p in out.iterdir()) == ["run.json"]  # nothing redone


def test_distill_help_shows_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["distill", "--help"])
    out = " ".join(capsys.readouterr().out.split())  # argparse wraps lines
    assert "learning rate of the first epoch (default: 0.002)" in out and "LoRA rank (default: 8)" in out
    assert "(default: None)" not in out


def test_progress_in_a_log_is_plain_lines():
    from logicdistill.progress import PlainProgress, progress_bar

    stream = io.StringIO()
    bar = PlainProgress(total=100, desc="pursuit/ld", unit="ep", stream=stream)
    for _ in range(100):
        bar.update(1)
    bar.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10 and "\r" not in stream.getvalue() and lines[-1] == "pursuit/ld: 100/100 ep (100%)"
    assert isinstance(progress_bar(total=3, disable=True), PlainProgress)  # pytest's stderr is no terminal
    quiet = PlainProgress(total=10, disable=True, stream=stream)
    quiet.update(10)
    quiet.close()
    assert len(stream.getvalue().splitlines()) == 10


def test_quiet_and_logs_silence_the_model_libraries_loading_bars(monkeypatch, toy_tasks):
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "0")  # restored after the test
    monkeypatch.setenv("TQDM_DISABLE", "0")
    assert main(["eval", "--task", "guess", "--policy", "cheat", "--episodes", "1", "--quiet"]) == 0
    assert os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] == "1" and os.environ["TQDM_DISABLE"] == "1"
