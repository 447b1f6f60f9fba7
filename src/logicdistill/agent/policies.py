"""The built-in policies of every task with a stage layout, next to the task's own baselines: one registry
entry each (agent/registry.py). Classes are imported when a policy is built, so listing them loads no torch."""

from __future__ import annotations

from typing import Any

from logicdistill.agent.registry import PolicySpec, register_policy
from logicdistill.tasks.base import Policy, Task

BASE = frozenset({"teacher", "rule_teacher"})


def _teacher_program(task: Task, settings: Any = None, **options: Any) -> Policy:
    from logicdistill.agent.teacher_program import TeacherProgramPolicy

    return TeacherProgramPolicy(task, settings=settings, **options)


def _ld(**fixed: Any) -> Any:
    def make(task: Task, settings: Any = None, **options: Any) -> Policy:
        from logicdistill.agent.ld_policy import LDPolicy

        return LDPolicy(task, settings=settings, **(fixed | options))

    return make


def _manual_match(task: Task, settings: Any = None, **options: Any) -> Policy:
    from logicdistill.agent.manual_match import ManualMatchPolicy

    return ManualMatchPolicy(task, settings=settings, **options)


def _direct(tuned: bool) -> Any:
    def make(task: Task, settings: Any = None, **options: Any) -> Policy:
        from logicdistill.agent.direct_policy import DirectPolicy

        return DirectPolicy(task, tuned=tuned, settings=settings, **options)

    return make


def _remote(task: Task, settings: Any = None, target: str = "", **options: Any) -> Policy:
    from logicdistill.agent.remote_policy import PREFIX, RemotePolicy

    return RemotePolicy(task, PREFIX + target, **options)


def _teacher_direct(task: Task, settings: Any = None, **options: Any) -> Policy:
    from logicdistill.agent.teacher_direct import TeacherDirectPolicy

    return TeacherDirectPolicy(task, **options)


for _spec in (
    PolicySpec(
        "teacher-program",
        _teacher_program,
        "the function base driven by the teacher's own usage program (LD's upper bound)",
        BASE,
        lockstep=True,
    ),
    PolicySpec(
        "ld", _ld(), "the distilled student selecting functions (the method)", BASE | {"run"}, True, lockstep=True
    ),
    PolicySpec(
        "ld-guard",
        _ld(guard=True),
        "ld choosing only among candidates whose condition holds or is unchecked (one left: forced, no model)",
        BASE | {"run"},
        True,
        lockstep=True,
    ),
    PolicySpec(
        "manual-match",
        _manual_match,
        "no model: the functions' conditions and replaces alone decide (first in base order on ties)",
        BASE,
        lockstep=True,
    ),
    PolicySpec("ld-untuned", _ld(tuned=False), "ld without fine-tuning", BASE, True, lockstep=True),
    PolicySpec(
        "ld-generate",
        _ld(mode="generate"),
        "the student writes the function name freely; parsed",
        BASE | {"run"},
        True,
        lockstep=True,
    ),
    PolicySpec(
        "student-direct",
        _direct(False),
        "the untuned student picks raw actions from the state text",
        loads_student=True,
    ),
    PolicySpec(
        "student-kd",
        _direct(True),
        "the student fine-tuned on the teacher's actions (distill --kind kd), no functions",
        frozenset({"run"}),
        True,
    ),
    PolicySpec(
        "teacher-direct",
        _teacher_direct,
        "the live teacher picks raw actions (needs openai:MODEL)",
        frozenset({"teacher"}),
    ),
    PolicySpec(
        "remote:",
        _remote,
        "a logicdistill serve server decides: remote:URL (its served policy) or remote:URL#POLICY",
    ),
):
    register_policy(_spec)
