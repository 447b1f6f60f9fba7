"""The Logic-Distillation policies every task with a stage layout gets, next to its own baselines."""

from __future__ import annotations

from typing import Any

from logicdistill.tasks.base import Policy, PolicyFactory, Task


def _teacher_program(task: Task, **options: Any) -> Policy:
    from logicdistill.agent.teacher_program import TeacherProgramPolicy

    return TeacherProgramPolicy(task, **options)


def _ld(**fixed: Any) -> PolicyFactory:
    def make(task: Task, **options: Any) -> Policy:
        from logicdistill.agent.ld_policy import LDPolicy

        policy = LDPolicy(task, **(fixed | options))
        return policy

    return make


def _manual_match(task: Task, **options: Any) -> Policy:
    from logicdistill.agent.manual_match import ManualMatchPolicy

    return ManualMatchPolicy(task, **options)


def _direct(tuned: bool) -> PolicyFactory:
    def make(task: Task, **options: Any) -> Policy:
        from logicdistill.agent.direct_policy import DirectPolicy

        return DirectPolicy(task, tuned=tuned, **options)

    return make


def _teacher_direct(task: Task, **options: Any) -> Policy:
    from logicdistill.agent.teacher_direct import TeacherDirectPolicy

    return TeacherDirectPolicy(task, **options)


LD_POLICIES: dict[str, PolicyFactory] = {
    "teacher-direct": _teacher_direct,
    "student-direct": _direct(False),
    "student-kd": _direct(True),
    "teacher-program": _teacher_program,
    "ld": _ld(),
    "ld-guard": _ld(guard=True),
    "manual-match": _manual_match,
    "ld-untuned": _ld(tuned=False),
    "ld-generate": _ld(mode="generate"),
}


# Which command-line options each LD policy takes (eval/play pass only these).
POLICY_OPTIONS: dict[str, set[str]] = {
    "teacher-program": {"teacher", "rule_teacher"},
    "ld": {"teacher", "rule_teacher", "run", "device", "dtype"},
    "ld-guard": {"teacher", "rule_teacher", "run", "device", "dtype"},
    "manual-match": {"teacher", "rule_teacher"},
    "ld-untuned": {"teacher", "rule_teacher", "device", "dtype"},
    "ld-generate": {"teacher", "rule_teacher", "run", "device", "dtype"},
    "student-direct": {"device", "dtype"},
    "student-kd": {"run", "device", "dtype"},
    "teacher-direct": {"teacher"},
}


def policy_options(name: str, given: dict[str, Any]) -> dict[str, Any]:
    """The subset of ``given`` (non-None command-line options) that policy ``name`` takes."""
    return {k: v for k, v in given.items() if v is not None and k in POLICY_OPTIONS.get(name, set())}
