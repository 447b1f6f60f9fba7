"""The recorded pursuit teacher outputs: they parse, pass admission in the sandbox, and play well."""

import pytest

from logicdistill.evaluation import evaluate
from logicdistill.sandbox import Sandbox
from logicdistill.tasks import get_task
from logicdistill.tasks.base import RuleEvent
from logicdistill.teacher.build import admit_draft
from logicdistill.teacher.teachers import RecordedTeacher

KINDS = ("danger_zone", "slowed_pursuer", "evader_sprint")


@pytest.fixture(scope="module")
def task():
    return get_task("pursuit")


def test_every_recorded_reply_parses_and_is_admitted(task):
    teacher = RecordedTeacher()
    base = teacher.write_base(task)
    assert [s.name for s in base.stages] == [s.name for s in task.stages]
    with Sandbox(workers=1) as sandbox:
        reports = admit_draft(task, base, sandbox, [])
        assert all(r.ok for r in reports)
        names = {f.name for f in base.functions}
        for kind in KINDS:
            event = RuleEvent(kind, "rule", f"{kind}_in_force", {})
            draft = teacher.write_emergency(task, event, None)
            assert draft.program and "select_function" in draft.program
            assert all(r.ok for r in admit_draft(task, draft, sandbox, list(base.functions)))
            new = {f.name for f in draft.functions}
            assert new and not new & names  # Eq. 6 adds functions, it does not replace the base
            assert all(any(stage in f.manual.stages for stage in ("moves", "choose")) for f in draft.functions)


@pytest.mark.parametrize("scenario", [None, *KINDS])
def test_teacher_program_captures_without_violations(task, scenario, tmp_path):
    env_kwargs = {"evader": "greedy"} | ({"scenario": scenario} if scenario else {})
    policy_kwargs = {"base_root": str(tmp_path)}
    result = evaluate(
        task, "teacher-program", 8, seed=0, env_kwargs=env_kwargs, policy_kwargs=policy_kwargs, progress=False
    )
    assert result.metrics["capture_rate"] >= 0.85
    assert result.metrics["violations"] == 0
    assert result.metrics["invalid_calls"] == 0
