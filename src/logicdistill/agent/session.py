"""A function-base session: the base a policy plays with, its sandbox, and Eq. 6 when a rule arrives.

Every session starts from the task's Eq. 1 base (built from the teacher on first use) and adopts new rules
as they arrive. An adopted rule is persisted as a new base version; a later session that meets the same rule
on the same parent version reuses that version instead of asking the teacher again.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logicdistill import plugins
from logicdistill.agent.runtime import FunctionRuntime
from logicdistill.errors import FormatError, UserError
from logicdistill.functionbase.store import BaseVersion
from logicdistill.tasks.base import RuleEvent, Task
from logicdistill.teacher.build import adopt_rule, build_base, default_store
from logicdistill.teacher.teachers import Teacher, make_teacher


@dataclass
class Adoption:
    kind: str
    version: int
    new_functions: list[str]
    seconds: float
    step: int


@dataclass
class FunctionBaseSession:
    """``teacher_spec`` writes the Eq. 1 base; ``rule_teacher_spec`` (default: the same teacher) answers Eq. 6,
    so a recorded base can meet a live teacher for new rules."""

    task: Task
    teacher_spec: str | Teacher | None = "recorded"
    base_root: str | Path | None = None
    sandbox: Any = None
    adoptions: list[Adoption] = field(default_factory=list)
    rule_teacher_spec: str | Teacher | None = None

    def __post_init__(self) -> None:
        from logicdistill.sandbox import Sandbox  # the worker pool starts only when a session does

        self.teacher = make_teacher(self.teacher_spec)
        self.rule_teacher = self.teacher if self.rule_teacher_spec is None else make_teacher(self.rule_teacher_spec)
        self.store = default_store(self.task, self.base_root)
        try:  # before the sandbox starts: a recorded reply that is missing leaves no worker behind
            note = self.teacher.base_note(self.task)
        except UserError as err:
            raise UserError(f"{err}{_stored_base_hint(self.store)}") from None
        # A sandbox given from outside is shared (the slots of a lockstep evaluation): its owner closes it.
        self._owns_sandbox = self.sandbox is None
        if self.sandbox is None:
            self.sandbox = Sandbox(workers=1)
        base = self._stored(self.store.find(note))
        if base is None:
            base = build_base(self.task, self.teacher, self.store, self.sandbox).base
        self.eq1_version = base.number
        self.runtime = FunctionRuntime(base, self.sandbox)

    @property
    def base(self) -> BaseVersion:
        return self.runtime.base

    def restart(self) -> None:
        """Back to the Eq. 1 base (each episode meets its rules afresh)."""
        if self.runtime.base.number != self.eq1_version:
            self.runtime.update(self.store.version(self.eq1_version))

    def on_info(self, env: Any, info: dict[str, Any]) -> list[Adoption]:
        """Adopt every rule that arrives with this step's info; returns what was adopted."""
        adopted = []
        for event in self.task.rule_events(env, info):
            adopted.append(self.adopt(event, int(info.get("step", 0)), env))
        return adopted

    def adopt(self, event: RuleEvent, step: int, env: Any = None) -> Adoption:
        """Adopt ``event`` (``env``: where it arrived, so that its conditions can be rolled out where it holds)."""
        start = time.perf_counter()
        parent = self.runtime.base
        note = self.rule_teacher.rule_note(self.task, event, parent)
        base = self._stored(self.store.find(note))
        if base is None:
            teacher = self.rule_teacher
            base = adopt_rule(self.task, teacher, self.store, self.sandbox, event, parent, note, env).base
        new = sorted(set(base.functions) - set(parent.functions))
        self.runtime.update(base)
        adoption = Adoption(event.kind, base.number, new, time.perf_counter() - start, step)
        self.adoptions.append(adoption)
        return adoption

    def _stored(self, number: int | None) -> BaseVersion | None:
        """A stored version to reuse; a damaged one is named in one line and built again (the build heals it)."""
        if number is None:
            return None
        try:
            return self.store.version(number)
        except FormatError as err:
            plugins.warn(f"{err}; building it again")
            return None

    def close(self) -> None:
        if self._owns_sandbox:
            self.sandbox.close()


_EQ1_NOTE = re.compile(r"eq1 by (.+) rules [0-9a-f]+( reply [0-9a-f]+)?")


def _stored_base_hint(store: Any) -> str:
    """Which teacher built the Eq. 1 base already stored, when this session's teacher has no reply (a session
    reuses the base of its own teacher only: ``base build --teacher recorded:DIR`` then ``eval`` without it)."""
    try:
        for number in reversed(store.versions()):
            found = _EQ1_NOTE.fullmatch(store.version(number).note)
            if found:
                return f"; the stored base (version {number}) was built with --teacher {found.group(1)}: pass that"
    except Exception:  # noqa: BLE001 - a hint only: a damaged store is reported where it is read
        pass
    return ""
