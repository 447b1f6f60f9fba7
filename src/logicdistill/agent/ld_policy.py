"""The LD agent (Algorithm 1): per stage, retrieve K manuals (Eq. 2), let the student select (Eq. 3), call
the function in the sandbox (Eq. 4); new rules become new functions through the teacher (Eq. 6), indexed and
selectable at once, with the student's weights untouched (checked by hash in ``metrics``).

Modes: ``select`` scores the K candidates (+ none) in one prompt pass, so the output is always a valid
candidate; ``generate`` lets the student write the name freely and parses it (the ``ld-generate`` baseline).

The policy loads what every episode shares (the student, the run, the embedder); the slots, the sandbox and
lockstep play are SlotPolicy's. ``choose_many`` answers many slots' stage views with one scoring call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from logicdistill.agent.candidates import CandidateBuilder
from logicdistill.agent.ld_slot import LDSlot
from logicdistill.agent.session import FunctionBaseSession
from logicdistill.agent.slot_policy import SlotPolicy
from logicdistill.agent.stages import Choice, StageView
from logicdistill.agent.student_decider import StudentDecider, choose_many
from logicdistill.functionbase.fingerprint import base_fingerprint
from logicdistill.retrieval import make_embedder
from logicdistill.settings import Settings
from logicdistill.student.deciding import decision_student
from logicdistill.student.runs import resolve_run
from logicdistill.tasks.base import Task


class LDPolicy(SlotPolicy):
    name = "ld"

    def __init__(
        self,
        task: Task,
        settings: Settings | None = None,
        run: str | None = None,
        tuned: bool = True,
        mode: str = "select",
        teacher: str = "recorded",
        base_root: str | None = None,
        student: Any = None,
        k: int | None = None,
        retriever: str | None = None,
        embedder: str | None = None,
        rule_teacher: Any = None,
        guard: bool = False,
    ):
        settings = settings or Settings()
        self.mode, self.tuned, self.guard = mode, tuned, guard
        self.name = "ld-guard" if guard else self.name
        self.run = resolve_run(task.name, run) if tuned else None
        self.student = decision_student(self.run, settings, student)
        self.weights_hash = self.student.weights_hash()
        self.k = k or (self.run.k if self.run else 4)
        self.retriever = retriever or (self.run.retriever if self.run else "fused")
        name = embedder or (self.run.embedder if self.run else "minilm")
        self.embedder = make_embedder(name) if self.retriever != "bm25" else name  # one for every slot
        super().__init__(task, settings, teacher, base_root, rule_teacher)
        if self.run is not None:
            self.run.check_base(base_fingerprint(self.session.base))

    def make_decider(self, session: FunctionBaseSession) -> StudentDecider:
        builder = CandidateBuilder(self.task, session.base, self.k, self.retriever, self.embedder)
        return StudentDecider(builder, self.student, self.mode, self.guard)

    def choose_many(self, requests: Sequence[tuple[LDSlot, StageView]]) -> list[Choice]:
        """Every slot's choice on its view, scored together (one forward pass per stage prompt layout)."""
        return choose_many([(slot.decider, view) for slot, view in requests])

    def metrics(self) -> dict[str, float]:
        unchanged = self.student.weights_hash() == self.weights_hash
        return self.stats().metrics(unchanged)
