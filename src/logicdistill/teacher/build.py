"""Eq. 1 and Eq. 6 end to end: ask the teacher, admit every function in the sandbox, store a new version."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from logicdistill import paths
from logicdistill.errors import UserError
from logicdistill.functionbase.admission import AdmissionReport, CheckOutcome, admit
from logicdistill.functionbase.guard import rule_kinds
from logicdistill.functionbase.scope import condition_problems, stage_scopes
from logicdistill.functionbase.store import BaseVersion, FunctionBaseStore
from logicdistill.sandbox import check_source
from logicdistill.tasks.base import RuleEvent, Stage, Task
from logicdistill.teacher.agreement import agreement_problem
from logicdistill.teacher.drafts import Draft, with_provenance
from logicdistill.teacher.teachers import Teacher, rules_hash


class AdmissionFailed(UserError):
    """Some function of a draft failed admission; nothing was written. A UserError: met during ``eval`` or
    ``play`` (a rule's reply refused mid-episode), it is a few lines naming the refusals, not a traceback."""

    def __init__(self, reports: list[AdmissionReport], program_problem: str | None = None):
        self.reports = reports
        self.program_problem = program_problem
        lines = [f"{r.function}: {'; '.join(r.reasons())}" for r in reports if not r.ok]
        if program_problem:
            lines.append(f"usage program or layout: {program_problem}")
        super().__init__("admission failed:\n  " + "\n  ".join(lines))
        self.lines = lines


@dataclass
class BuildResult:
    base: BaseVersion
    reports: list[AdmissionReport]
    reused: bool = False  # the content was that of the current version: no new version was written


def default_store(task: Task, root: str | Path | None = None) -> FunctionBaseStore:
    """The task's function base: ``<root>/<task>`` (default root: the logicdistill home's ``bases``)."""
    return FunctionBaseStore(Path(root) / task.name if root else paths.cache_dir("bases") / task.name)


def admit_draft(
    task: Task,
    draft: Draft,
    sandbox: Any,
    existing: list,
    stages: tuple[Stage, ...] | None = None,
    event: RuleEvent | None = None,
    program: str | None = None,
    env: Any = None,
) -> list[AdmissionReport]:
    """Admission reports for every function of the draft (checked against each other and ``existing``), then
    the conditions: their scope at their stages, and their agreement with the program over seeded rollouts."""
    checks = task.function_checks()
    peers = list(existing) + list(draft.functions)
    reports = [admit(f, sandbox, checks, peers) for f in draft.functions]
    problem = _program_problem(draft.program)
    if problem or not all(r.ok for r in reports):
        raise AdmissionFailed(reports, problem)
    rule = event.kind if event is not None else None
    merged = {f.name: f for f in existing} | {
        f.name: f if rule is None else dataclasses.replace(f, manual=dataclasses.replace(f.manual, rule=rule))
        for f in draft.functions
    }
    stages = stages or draft.stages or task.stages
    kinds = rule_kinds(merged.values(), task.rule_kinds())
    scopes = stage_scopes([s.name for s in stages], merged.values(), task.fact_names(), kinds)
    reports = [_with_conditions(r, merged[r.function], scopes, merged) for r in reports]
    if not all(r.ok for r in reports):
        raise AdmissionFailed(reports)
    disagreement = agreement_problem(task, stages, merged, draft.program or program, sandbox, kinds, rule, env)
    if disagreement:
        raise AdmissionFailed(reports, f"conditions disagree with the program: {disagreement}")
    return reports


def _with_conditions(report: AdmissionReport, function, scopes, functions) -> AdmissionReport:
    """The report with the condition check added (only for a function that has a condition or replaces)."""
    if function.manual.condition is None and not function.manual.replaces:
        return report
    problems = condition_problems(function, scopes, functions)
    outcome = CheckOutcome("condition", not problems, "; ".join(problems))
    return dataclasses.replace(report, outcomes=(*report.outcomes, outcome))


def build_base(task: Task, teacher: Teacher, store: FunctionBaseStore, sandbox: Any) -> BuildResult:
    """Eq. 1: rules -> functions + manuals + stage layout + usage program, admitted, as a new version."""
    draft = teacher.write_base(task)
    declared = [s.name for s in task.stages]
    if declared and [s.name for s in draft.stages] != declared:
        raise AdmissionFailed(
            [], f"the teacher's stages {[s.name for s in draft.stages]} differ from the task's {declared}"
        )
    reports = admit_draft(task, draft, sandbox, [])
    functions = {f.name: _stamped(f, teacher, task, reports) for f in draft.functions}
    flags = {r.function: f"near-duplicate of {r.near_duplicate_of}" for r in reports if r.near_duplicate_of}
    before = store.current_number()
    base = store.commit(draft.stages, functions, draft.program, note=teacher.base_note(task), flags=flags)
    return BuildResult(base, reports, store.reused(base, before))


def adopt_rule(
    task: Task,
    teacher: Teacher,
    store: FunctionBaseStore,
    sandbox: Any,
    event: RuleEvent,
    parent: BaseVersion | None = None,
    note: str | None = None,
    env: Any = None,
) -> BuildResult:
    """Eq. 6: a new rule -> new functions (and program), admitted and added to ``parent`` (default: current), as
    a version of its own named by the rule's note: CURRENT stays the task's Eq. 1 base."""
    base = parent or store.require_current(task.name)
    draft = teacher.write_emergency(task, event, base)
    existing = list(base.functions.values())
    reports = admit_draft(task, draft, sandbox, existing, base.stages, event, base.program, env)
    functions = [_stamped(f, teacher, task, reports, event.kind) for f in draft.functions]
    flags = {r.function: f"near-duplicate of {r.near_duplicate_of}" for r in reports if r.near_duplicate_of}
    note = note or teacher.rule_note(task, event, base)
    new = store.extend(functions, draft.program, note=note, flags=flags, parent=base, make_current=False)
    return BuildResult(new, reports)


def check_base(task: Task, base: BaseVersion, sandbox: Any) -> tuple[list[AdmissionReport], str | None]:
    """Re-run admission on every function of a stored version (``base check``), conditions included."""
    functions = list(base.functions.values())
    reports = [admit(f, sandbox, task.function_checks(), functions) for f in functions]
    kinds = rule_kinds(functions, task.rule_kinds())
    scopes = stage_scopes([s.name for s in base.stages], functions, task.fact_names(), kinds)
    reports = [_with_conditions(r, base.functions[r.function], scopes, base.functions) for r in reports]
    problem = _program_problem(base.program)
    if problem is None and all(r.ok for r in reports):
        disagreement = agreement_problem(task, base.stages, base.functions, base.program, sandbox, kinds)
        problem = f"conditions disagree with the program: {disagreement}" if disagreement else None
    return reports, problem


def _stamped(function, teacher: Teacher, task: Task, reports: list[AdmissionReport], rule: str | None = None):
    passed = next(r.passed for r in reports if r.function == function.name)
    return with_provenance(function, teacher.name, rules_hash(task), passed, rule)


def _program_problem(program: str | None) -> str | None:
    if program is None:
        return None
    check = check_source(program)
    return None if check.ok else str(check)
