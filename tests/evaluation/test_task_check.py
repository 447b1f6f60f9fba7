"""check-task names the broken part of a task, one line each, and passes sound tasks."""

import pytest

from logicdistill.cli import main
from logicdistill.evaluation.task_check import check_task
from logicdistill.tasks import register_task, unregister_task
from logicdistill.tasks.base import RuleEvent, Stage, Task
from tests.fakes import CountTask
from tests.functionbase.sample import REPLY


def test_sound_toy_task_passes(recorded):
    notes = []
    assert check_task(CountTask(), recorded, notes=notes) == []
    note, serving = notes  # the toy base has no conditions: the author is told, the task still passes
    assert "none of the 2 functions carries a checked condition" in note
    assert serving.startswith("serving: no text_from_state")  # nor can it be served: told too


@pytest.mark.parametrize("name", ["pursuit", "blackjack"])
def test_shipped_tasks_pass(name, capsys):
    assert main(["check-task", name]) == 0
    out = capsys.readouterr().out
    assert "ok" in out and "functions carry a checked condition" in out


class WrongStage(CountTask):
    stages = (Stage("decide", "the number"),)


class NoStateJson(CountTask):
    state_json = Task.state_json  # the contract's default: not declared


class BadRuleFact(CountTask):
    def rule_events(self, env, info):
        return [RuleEvent("plus_hundred", info["new_rule"], "plus100", {})] if info.get("new_rule") else []


class TupleState(CountTask):
    def state_json(self, env):
        return {"x": (env.unwrapped.x, 0)}


@pytest.mark.parametrize(
    "task, fragment",
    [
        (WrongStage(), "differ from the task's ['decide']"),
        (NoStateJson(), "state_json: missing"),
        (BadRuleFact(), "name it 'plus_hundred_in_force'"),
        (TupleState(), "state_json: holds tuples"),
    ],
)
def test_broken_part_is_named(task, fragment, recorded):
    problems = check_task(task, recorded)
    assert any(fragment in p for p in problems), problems
    assert all("\n" not in p for p in problems)


def test_base_that_does_not_admit_is_named(tmp_path):
    from logicdistill.teacher.teachers import RecordedTeacher

    folder = tmp_path / "rec" / "count"
    folder.mkdir(parents=True)
    (folder / "eq1_base.md").write_text(REPLY.replace('"expected": 4', '"expected": 5'))
    problems = check_task(CountTask(), RecordedTeacher(tmp_path / "rec"))
    assert any(p.startswith("function base: double_it: example 1: returned 4, the manual says 5") for p in problems)


def test_cli_exit_code_and_lines(tmp_path, capsys):
    folder = tmp_path / "rec" / "count"
    folder.mkdir(parents=True)
    (folder / "eq1_base.md").write_text(REPLY)
    register_task(WrongStage())
    try:
        assert main(["check-task", "count", "--teacher", f"recorded:{tmp_path / 'rec'}"]) == 1
    finally:
        unregister_task("count")
    out = capsys.readouterr().out
    assert "count: function base: usage program or layout" in out and "1 problem(s)" in out
