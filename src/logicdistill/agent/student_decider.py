"""The student as a decider (Eq. 2-3): retrieve the stage's top-K manuals, then select one of them by scoring
(the output is always a candidate or ``none``) or, for ``ld-generate``, write the name freely and parse it."""

from __future__ import annotations

from typing import Any

from logicdistill.agent.candidates import CandidateBuilder
from logicdistill.agent.prompting import NONE, result_text
from logicdistill.agent.stages import Choice, StageView


class StudentDecider:
    def __init__(self, builder: CandidateBuilder, student: Any, mode: str = "select"):
        if mode not in ("select", "generate"):
            raise ValueError(f"mode must be 'select' or 'generate', got {mode!r}")
        self.builder, self.student, self.mode = builder, student, mode

    def choose(self, view: StageView) -> Choice:
        results = [(r.stage, result_text(r.result)) for r in view.earlier if r.result is not None]
        names = self.builder.retrieve(view.stage, view.state_text, view.state_facts, results)
        example = self.builder.example(view.stage, names, view.state_text, view.state_facts, results)
        if self.mode == "select":
            selection = self.student.select(example)
            chosen, bits = selection.name, selection.entropy_bits
        else:
            text, bits = self.student.generate_with_entropy(example, max_new_tokens=12)
            chosen = parse_generated(text, example.candidates)
        return Choice(None if chosen in (None, NONE) else chosen, bits)


def parse_generated(text: str, candidates: list[str]) -> str | None:
    """The candidate a free-text answer names: the earliest mentioned (None when it names none)."""
    found = [(text.find(c), -len(c), c) for c in candidates if c in text]
    return min(found)[2] if found else None
