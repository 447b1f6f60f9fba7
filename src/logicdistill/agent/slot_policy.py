"""The policies that play through the function base, one slot per episode in flight (agent/ld_slot.py).

``teacher-program`` and the student's ``ld`` variants differ only in who chooses at a stage; everything else,
the rules adopted mid-episode, the sandbox calls, lockstep play, the counters, the trace, is this one class.
A subclass gives ``make_decider(session)`` (one per slot) and ``choose_many`` (many slots' views answered
together), and may add to ``metrics``.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from logicdistill.agent.ld_slot import LDSlot, LDStats
from logicdistill.agent.session import FunctionBaseSession
from logicdistill.agent.stages import Choice, SlotDecider, StageRecord, StageView, drive
from logicdistill.sandbox.pool import CallRequest, CallResult
from logicdistill.settings import Settings
from logicdistill.tasks.base import Policy, Task


class SlotPolicy(Policy):
    score = True  # compare every stage with the teacher's program (selection_accuracy and the rule metrics)

    def __init__(
        self,
        task: Task,
        settings: Settings | None = None,
        teacher: Any = "recorded",
        base_root: str | None = None,
        rule_teacher: Any = None,
        session: FunctionBaseSession | None = None,
    ):
        self.task, self.settings = task, settings or Settings()
        self._session_args = (teacher, base_root, rule_teacher)
        session = session or FunctionBaseSession(task, teacher, base_root, rule_teacher_spec=rule_teacher)
        self.slot = LDSlot(task, session, self.make_decider(session), self.score)
        self._slots = [self.slot]

    @abstractmethod
    def make_decider(self, session: FunctionBaseSession) -> SlotDecider: ...

    @abstractmethod
    def choose_many(self, requests: Sequence[tuple[LDSlot, StageView]]) -> list[Choice]:
        """Every slot's choice on its view, answered together."""

    @property
    def session(self) -> FunctionBaseSession:
        return self.slot.session

    def slots(self, n: int) -> list[LDSlot]:
        """``n`` slots for episodes played side by side: this policy's own and n-1 more sharing its sandbox (and
        student), each with its own session, decider and counters."""
        teacher, base_root, rule_teacher = self._session_args
        while len(self._slots) < n:
            session = FunctionBaseSession(
                self.task, teacher, base_root, sandbox=self.session.sandbox, rule_teacher_spec=rule_teacher
            )
            self._slots.append(LDSlot(self.task, session, self.make_decider(session), self.score))
        return self._slots[:n]

    def call_many(self, requests: Sequence[CallRequest]) -> list[CallResult]:
        """Sandbox calls of any slots in one round trip (they share the sandbox)."""
        return self.session.sandbox.call_many(requests)

    def reset(self, env: Any, seed: int) -> None:
        self.slot.reset(env, seed)

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        steps = self.slot.act_steps(observation, info)
        return drive(steps, lambda view: self.choose_many([(self.slot, view)])[0], self.call_many)

    @property
    def last_records(self) -> list[StageRecord]:
        return self.slot.last_records

    @property
    def last_trace(self) -> str:
        return "\n".join(r.line() for r in self.last_records)

    def stats(self) -> LDStats:
        return LDStats.merge([slot.stats for slot in self._slots])

    def adoption_metrics(self) -> dict[str, float]:
        """Mean seconds to adopt a new rule (Eq. 6), over every slot's adoptions."""
        adoptions = [a for slot in self._slots for a in slot.session.adoptions]
        return {"adoption_s": sum(a.seconds for a in adoptions) / len(adoptions)} if adoptions else {}

    def close(self) -> None:
        for slot in reversed(self._slots):  # the first slot owns the shared sandbox: it closes last
            slot.close()
