"""The ``teacher-program`` policy: the function base driven by the teacher's own usage program.

LD's upper bound: the same stages, functions and sandbox as the student, but the teacher's
``select_function(stage, facts)`` chooses at every stage (in the sandbox). New rules are adopted through
Eq. 6. It plays through the same slots as ``ld``, so it plays in lockstep too: the program's answers for many
episodes' stages go to the sandbox in one round trip.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from logicdistill.agent.ld_slot import LDSlot
from logicdistill.agent.runtime import FunctionRuntime
from logicdistill.agent.session import FunctionBaseSession
from logicdistill.agent.slot_policy import SlotPolicy
from logicdistill.agent.stages import Choice, StageView


class ProgramDecider:
    """The teacher's usage program chooses: ``select_function(stage, facts)`` run in the sandbox."""

    def __init__(self, runtime: FunctionRuntime):
        self.runtime = runtime  # follows the session's base versions by itself

    def choose(self, view: StageView) -> Choice:
        return Choice(self.runtime.program_choice(view.stage.name, view.facts))

    def update(self, base: Any) -> None:
        pass


class TeacherProgramPolicy(SlotPolicy):
    name = "teacher-program"
    score = False  # the program is the decider: comparing it with itself would count nothing

    def make_decider(self, session: FunctionBaseSession) -> ProgramDecider:
        return ProgramDecider(session.runtime)

    def choose_many(self, requests: Sequence[tuple[LDSlot, StageView]]) -> list[Choice]:
        asked = [
            (slot.session.runtime, slot.session.runtime.program_request(v.stage.name, v.facts)) for slot, v in requests
        ]
        results = iter(self.call_many([q for _, q in asked if q is not None]))
        return [Choice(runtime.program_answer(next(results)) if q is not None else None) for runtime, q in asked]

    def metrics(self) -> dict[str, float]:
        return {"invalid_calls": float(self.stats().invalid_calls)} | self.adoption_metrics()
