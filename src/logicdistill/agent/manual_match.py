"""The ``manual-match`` policy (SPEC §8): no model at all, the functions' conditions and ``replaces`` decide.

At every stage: the stage's functions whose condition holds (else those left unchecked), the first in the
base's order; none left: ``none``. Where it equals ``teacher-program``, conditions decide everything on that
task and the student's weights matter only in ``ld``; where manuals are prose (unchecked), it shows what a
reader must add. Scored against the teacher's program like the student (the same slot and counters as
``ld``), and playable in lockstep like it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from logicdistill.agent.ld_slot import LDSlot, LDStats
from logicdistill.agent.session import FunctionBaseSession
from logicdistill.agent.stages import Choice, StageRecord, StageView, drive
from logicdistill.functionbase.guard import judge, rule_kinds, with_rule_facts
from logicdistill.sandbox.pool import CallRequest, CallResult
from logicdistill.tasks.base import Policy, Task


class ManualMatchDecider:
    """Chooses by conditions alone, over every function of the stage in the session's current base."""

    def __init__(self, session: FunctionBaseSession, declared_kinds: Sequence[str]):
        self.session, self.declared_kinds = session, tuple(declared_kinds)

    def choose(self, view: StageView) -> Choice:
        functions = self.session.base.functions
        names = [n for n in functions if n in view.candidates]  # the base's order
        facts = with_rule_facts(view.facts, rule_kinds(functions.values(), self.declared_kinds))
        verdicts = judge(functions, view.stage.name, names, facts)
        options = verdicts.holds or verdicts.unchecked
        forced = len(verdicts.allowed) + int(verdicts.none_allowed) == 1
        return Choice(options[0] if options else None, None, tuple(names), forced)


class ManualMatchPolicy(Policy):
    name = "manual-match"

    def __init__(self, task: Task, teacher: Any = "recorded", base_root: str | None = None, rule_teacher: Any = None):
        self.task = task
        self._session_args = (teacher, base_root, rule_teacher)
        self.slot = self._slot(FunctionBaseSession(task, teacher, base_root, rule_teacher_spec=rule_teacher))
        self._slots = [self.slot]

    def _slot(self, session: FunctionBaseSession) -> LDSlot:
        decider = ManualMatchDecider(session, self.task.rule_kinds())
        return LDSlot(self.task, session, None, "select", 0, "bm25", None, guard=True, decider=decider)

    def slots(self, n: int) -> list[LDSlot]:
        """``n`` slots sharing this policy's sandbox, each with its own session and counters."""
        teacher, base_root, rule_teacher = self._session_args
        while len(self._slots) < n:
            session = FunctionBaseSession(
                self.task, teacher, base_root, sandbox=self.slot.session.sandbox, rule_teacher_spec=rule_teacher
            )
            self._slots.append(self._slot(session))
        return self._slots[:n]

    def choose_many(self, requests: Sequence[tuple[LDSlot, StageView]]) -> list[Choice]:
        return [slot.decider.choose(view) for slot, view in requests]

    def call_many(self, requests: Sequence[CallRequest]) -> list[CallResult]:
        return self.slot.session.sandbox.call_many(requests)

    def reset(self, env: Any, seed: int) -> None:
        self.slot.reset(env, seed)

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        return drive(self.slot.act_steps(observation, info), self.slot.decider.choose, self.call_many)

    @property
    def last_records(self) -> list[StageRecord]:
        return self.slot.last_records

    @property
    def last_trace(self) -> str:
        return "\n".join(r.line() for r in self.last_records)

    def metrics(self) -> dict[str, float]:
        out = LDStats.merge([slot.stats for slot in self._slots]).metrics(True)
        out.pop("weights_unchanged", None)  # no model
        out.pop("mean_entropy_bits", None)
        return out

    def close(self) -> None:
        for slot in reversed(self._slots):  # the first slot owns the shared sandbox: it closes last
            slot.close()
