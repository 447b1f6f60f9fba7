"""The student as a decider (Eq. 2-3): retrieve the stage's top-K manuals, then select one of them by scoring
(the output is always a candidate or ``none``) or, for ``ld-generate``, write the name freely and parse it.

A choice is three steps, so that many episodes can share the middle one: ``prepare`` (retrieval and the
prompt, per episode), the student's scoring, and ``conclude`` (the choice). :func:`choose_many` runs the
scoring of many views in one ``select_batch`` call, their retrieval queries embedded together first; one
view alone goes through exactly the same steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from logicdistill.agent.candidates import CandidateBuilder
from logicdistill.agent.prompting import NONE, result_text
from logicdistill.agent.stages import Choice, StageView
from logicdistill.functionbase.guard import judge_stage
from logicdistill.student.examples import SelectionExample
from logicdistill.text import name_in_text


class StudentDecider:
    """``guard`` (ld-guard): the student chooses only among the retrieved candidates whose condition holds or is
    unchecked, and ``none`` only when no checked condition holds; when one option is left the stage is forced
    and no forward pass runs. The prompt is the one ``ld`` sees (the student reads what it was trained on);
    the guard masks the answers it may give."""

    def __init__(self, builder: CandidateBuilder, student: Any, mode: str = "select", guard: bool = False):
        if mode not in ("select", "generate"):
            raise ValueError(f"mode must be 'select' or 'generate', got {mode!r}")
        self.builder, self.student, self.mode, self.guard = builder, student, mode, guard
        self.declared_kinds = tuple(builder.task.rule_kinds()) if guard else ()

    def options(self, view: StageView, example: SelectionExample) -> list[str] | None:
        """The answers the guard leaves (None: no guard, every candidate and none)."""
        if not self.guard:
            return None
        functions = self.builder.functions
        names = [c for c in example.candidates if c != NONE]
        verdicts = judge_stage(functions, view.stage.name, names, view.facts, self.declared_kinds)
        return [*verdicts.allowed, *([NONE] if verdicts.none_allowed else [])]

    def query(self, view: StageView) -> str | None:
        """The retrieval query this view needs embedded (None when every stage function is a candidate)."""
        return self.builder.query(view.stage, view.state_text, view.state_facts, _results(view))

    def prepare(self, view: StageView) -> SelectionExample:
        """Retrieval (Eq. 2) and the student's prompt for one view."""
        results = _results(view)
        names = self.builder.candidate_names(view.stage, view.state_text, view.state_facts, results)
        return self.builder.example(view.stage, names, view.state_text, view.state_facts, results)

    def choose(self, view: StageView) -> Choice:
        return choose_many([(self, view)])[0]

    def update(self, base: Any) -> None:
        """Follow a new base version: its new functions are retrievable at once."""
        self.builder.update(base)

    def generate(self, example: SelectionExample) -> Choice:
        text, bits = self.student.generate_with_entropy(example, max_new_tokens=12)
        return _choice(name_in_text(text, example.candidates), bits, example.candidates)


def choose_many(pairs: Sequence[tuple[StudentDecider, StageView]]) -> list[Choice]:
    """The choices of many deciders that share one student, each on its own view: one scoring call for all
    (``student.rows`` prompts per forward pass: ``--rows``, else the device's default)."""
    if not pairs:
        return []
    _prefetch_queries(pairs)
    examples = [decider.prepare(view) for decider, view in pairs]
    options = [decider.options(view, example) for (decider, view), example in zip(pairs, examples, strict=True)]
    choices: list[Choice | None] = [None] * len(pairs)
    for i, left in enumerate(options):
        if left is not None and len(left) == 1:  # forced: the conditions leave one answer, nothing to score
            choices[i] = _choice(left[0], 0.0, examples[i].candidates, forced=True)
    selecting = [i for i, (decider, _) in enumerate(pairs) if decider.mode == "select" and choices[i] is None]
    if selecting:
        student = pairs[selecting[0]][0].student
        if any(pairs[i][0].student is not student for i in selecting):
            raise ValueError("choose_many: every decider must share one student")
        picks = student.select_batch([examples[i] for i in selecting])
        for i, selection in zip(selecting, picks, strict=True):
            name, bits = _masked(selection, examples[i].candidates, options[i])
            probs = tuple(zip(examples[i].candidates, map(float, selection.probs), strict=True))
            choices[i] = _choice(name, bits, examples[i].candidates, probs)
    for i, (decider, _) in enumerate(pairs):
        if decider.mode == "generate" and choices[i] is None:  # free generation: token by token, one at a time
            choices[i] = decider.generate(examples[i])
    return choices  # type: ignore[return-value]


def _prefetch_queries(pairs: Sequence[tuple[StudentDecider, StageView]]) -> None:
    """Embed the views' retrieval queries in one call per embedder (a query is then found in its cache)."""
    by_embedder: dict[int, tuple[Any, list[str]]] = {}
    for decider, view in pairs:
        embedder = decider.builder.embedder
        if embedder is not None and hasattr(embedder, "embed_queries") and (query := decider.query(view)):
            by_embedder.setdefault(id(embedder), (embedder, []))[1].append(query)
    for embedder, queries in by_embedder.values():
        embedder.embed_queries(queries)


def _results(view: StageView) -> list[tuple[str, str]]:
    return [(r.stage, result_text(r.result)) for r in view.earlier if r.result is not None]


def _masked(selection: Any, candidates: Sequence[str], allowed: Sequence[str] | None) -> tuple[str, float]:
    """The student's pick among the ``allowed`` answers (all: its own argmax), and the entropy over them."""
    if allowed is None or selection.name in allowed and len(allowed) == len(candidates):
        return selection.name, selection.entropy_bits
    keep = [i for i, c in enumerate(candidates) if c in allowed]
    probs = np.asarray(selection.probs, dtype=float)[keep]
    total = probs.sum()
    probs = probs / total if total > 0 else np.full(len(keep), 1.0 / len(keep))
    nz = probs[probs > 0]
    bits = float(max(-(nz * np.log2(nz)).sum(), 0.0))
    return candidates[keep[int(np.argmax(probs))]], bits


def _choice(
    name: str | None,
    bits: float | None,
    candidates: Sequence[str] = (),
    probs: tuple[tuple[str, float], ...] | None = None,
    forced: bool = False,
) -> Choice:
    shown = tuple(c for c in candidates if c != NONE)
    return Choice(None if name in (None, NONE) else name, bits, shown, probs, forced)
