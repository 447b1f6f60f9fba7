"""The ``manual-match`` policy (SPEC §8): no model at all, the functions' conditions and ``replaces`` decide.

At every stage: the stage's functions whose condition holds (else those left unchecked), the first in the
base's order; none left: ``none``. Where it equals ``teacher-program``, conditions decide everything on that
task and the student's weights matter only in ``ld``; where manuals are prose (unchecked), it shows what a
reader must add. It plays through the same slots as ``ld`` (scored against the teacher's program with the
same counters, in lockstep too).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from logicdistill.agent.ld_slot import LDSlot
from logicdistill.agent.session import FunctionBaseSession
from logicdistill.agent.slot_policy import SlotPolicy
from logicdistill.agent.stages import Choice, StageView
from logicdistill.functionbase.guard import judge_stage


class ManualMatchDecider:
    """Chooses by conditions alone, over every function of the stage in the session's current base."""

    guard = True  # the slot reports forced_rate and unchecked_rate

    def __init__(self, session: FunctionBaseSession, declared_kinds: Sequence[str]):
        self.session, self.declared_kinds = session, tuple(declared_kinds)

    def choose(self, view: StageView) -> Choice:
        functions = self.session.base.functions
        names = [n for n in functions if n in view.candidates]  # the base's order
        verdicts = judge_stage(functions, view.stage.name, names, view.facts, self.declared_kinds)
        options = verdicts.holds or verdicts.unchecked
        forced = len(verdicts.allowed) + int(verdicts.none_allowed) == 1
        return Choice(options[0] if options else None, None, tuple(names), forced=forced)

    def update(self, base: Any) -> None:
        pass  # reads the session's current base at every choice


class ManualMatchPolicy(SlotPolicy):
    name = "manual-match"

    def make_decider(self, session: FunctionBaseSession) -> ManualMatchDecider:
        return ManualMatchDecider(session, self.task.rule_kinds())

    def choose_many(self, requests: Sequence[tuple[LDSlot, StageView]]) -> list[Choice]:
        return [slot.decider.choose(view) for slot, view in requests]

    def metrics(self) -> dict[str, float]:
        out = self.stats().metrics(True)
        for name in ("weights_unchanged", "mean_entropy_bits"):  # no model
            out.pop(name, None)
        return out | self.adoption_metrics()
