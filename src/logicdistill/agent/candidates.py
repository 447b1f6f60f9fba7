"""Retrieval (Eq. 2) of a stage's candidate functions, and the student prompt built from them.

Training traces and play build prompts through this one class, so the student is trained on exactly
what it sees when it decides. The retriever is restricted to the functions that serve the stage; new
functions (emergencies) are indexed with :meth:`add` and are candidates at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from logicdistill.agent.prompting import facts_text, manual_line, stage_example
from logicdistill.functionbase.function import Function
from logicdistill.functionbase.store import BaseVersion
from logicdistill.retrieval import Retriever, build_query, make_retriever
from logicdistill.student.examples import SelectionExample
from logicdistill.tasks.base import Stage, Task


def document(function: Function) -> str:
    """What the retriever indexes for a function: its name, stages and manual."""
    return f"{function.name.replace('_', ' ')}\nstages: {' '.join(function.manual.stages)}\n{function.compact()}"


class CandidateBuilder:
    def __init__(
        self, task: Task, base: BaseVersion, k: int = 4, retriever: Retriever | str = "fused", embedder: str = "minilm"
    ):
        self.task = task
        self.k = k
        self.summary = task.description
        self.retriever = make_retriever(retriever, embedder) if isinstance(retriever, str) else retriever
        self.functions: dict[str, Function] = {}
        self.active: set[str] = set()
        self.stages: tuple[Stage, ...] = ()
        self.update(base)

    def update(self, base: BaseVersion) -> list[str]:
        """Follow a base version: index its new (or changed) functions, which are candidates at once, and set
        the candidates to exactly its functions. Returns the newly indexed names."""
        self.stages = base.stages
        new = [f for f in base.functions.values() if self.functions.get(f.name) != f]
        for function in new:
            self.retriever.add(function.name, document(function))
            self.functions[function.name] = function
        self.active = set(base.functions)
        return [f.name for f in new]

    def stage_of(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)

    def retrieve(
        self, stage: Stage, state_text: str, facts: dict[str, bool], results: Sequence[tuple[str, str]]
    ) -> list[str]:
        """Top-K function names for the stage (Eq. 2), best first."""
        allowed = [n for n in sorted(self.active) if stage.name in self.functions[n].manual.stages]
        previous = results[-1][1] if results else None
        query = build_query(
            self.summary, f"{state_text}\nfacts: {facts_text(facts)}", f"{stage.name} {stage.produces}", previous
        )
        return [hit.doc_id for hit in self.retriever.search(query, self.k, allowed=allowed)]

    def example(
        self,
        stage: Stage,
        names: Sequence[str],
        state_text: str,
        facts: dict[str, bool],
        results: Sequence[tuple[str, str]],
        gold: str | None = None,
        rng: np.random.Generator | None = None,
    ) -> SelectionExample:
        """The student prompt for these candidates: shuffled by ``rng`` (training) or sorted (play, so the
        fixed prefix repeats and its cache is reused)."""
        names = list(names)
        if rng is not None:
            names = [names[i] for i in rng.permutation(len(names))]
        else:
            names = sorted(names)
        candidates = [(n, manual_line(self.functions[n])) for n in names]
        return stage_example(
            self.summary, f"{stage.name}: {stage.produces}", candidates, state_text, facts, results, gold
        )
