"""Retrieval (Eq. 2) of a stage's candidate functions, and the student prompt built from them.

Training traces and play build prompts through this one class, so the student is trained on exactly
what it sees when it decides. The retriever is restricted to the functions that serve the stage; new
functions (emergencies) are indexed with :meth:`add` and are candidates at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from logicdistill.agent.prompting import manual_line, query_state, stage_example, stage_label
from logicdistill.functionbase.function import Function
from logicdistill.functionbase.store import BaseVersion
from logicdistill.retrieval import Embedder, Retriever, build_query, make_embedder, make_retriever
from logicdistill.student.examples import SelectionExample
from logicdistill.tasks.base import Stage, Task


def document(function: Function) -> str:
    """What the retriever indexes for a function: its name, stages and manual."""
    return f"{function.name.replace('_', ' ')}\nstages: {' '.join(function.manual.stages)}\n{function.compact()}"


class CandidateBuilder:
    def __init__(
        self,
        task: Task,
        base: BaseVersion,
        k: int = 4,
        retriever: Retriever | str = "fused",
        embedder: str | Embedder = "minilm",
    ):
        self.task = task
        self.k = k
        self.summary = task.description
        # The embedder object is kept so that builders sharing one (the slots of a lockstep evaluation) can
        # embed their queries together; each builder keeps its own index of its own episode's functions.
        self.embedder: Embedder | None = None
        if isinstance(retriever, str):
            self.embedder = make_embedder(embedder) if retriever != "bm25" else None
            self.retriever = make_retriever(retriever, self.embedder or "hashing")
        else:
            self.retriever = retriever
        self.functions: dict[str, Function] = {}
        self.active: set[str] = set()
        self.stages: tuple[Stage, ...] = ()
        self.update(base)

    def update(self, base: BaseVersion) -> list[str]:
        """Follow a base version: index its new (or changed) functions, which are candidates at once, and drop
        the functions it no longer has, so the index holds exactly its functions. Returns the new names.

        Dropping matters when an episode ends: the next one restarts from the Eq. 1 base, and BM25's
        statistics must not remember the rules an earlier episode met (each episode is a function of its
        seed alone, whatever was played before it or beside it)."""
        self.stages = base.stages
        for name in [n for n in self.functions if n not in base.functions]:
            self.retriever.remove(name)
            del self.functions[name]
        new = [f for f in base.functions.values() if self.functions.get(f.name) != f]
        for function in new:
            self.retriever.add(function.name, document(function))
            self.functions[function.name] = function
        self.active = set(base.functions)
        return [f.name for f in new]

    def stage_of(self, name: str) -> Stage:
        return next(s for s in self.stages if s.name == name)

    def allowed(self, stage: Stage) -> list[str]:
        """The functions that serve ``stage``, by name."""
        return [n for n in sorted(self.active) if stage.name in self.functions[n].manual.stages]

    def query(
        self, stage: Stage, state_text: str, facts: dict[str, bool], results: Sequence[tuple[str, str]]
    ) -> str | None:
        """The retrieval query of one stage, or None when its functions number K or fewer: then every one
        is a candidate whatever the ranking, and there is nothing to search."""
        return None if len(self.allowed(stage)) <= self.k else self._query(stage, state_text, facts, results)

    def candidate_names(
        self, stage: Stage, state_text: str, facts: dict[str, bool], results: Sequence[tuple[str, str]]
    ) -> list[str]:
        """The stage's K candidates for play, in no particular order (``example`` sorts them)."""
        allowed = self.allowed(stage)
        return allowed if len(allowed) <= self.k else self.retrieve(stage, state_text, facts, results)

    def retrieve(
        self, stage: Stage, state_text: str, facts: dict[str, bool], results: Sequence[tuple[str, str]]
    ) -> list[str]:
        """Top-K function names for the stage (Eq. 2), best first."""
        query = self._query(stage, state_text, facts, results)
        return [hit.doc_id for hit in self.retriever.search(query, self.k, allowed=self.allowed(stage))]

    def _query(self, stage: Stage, state_text: str, facts: dict[str, bool], results: Sequence[tuple[str, str]]) -> str:
        previous = results[-1][1] if results else None
        return build_query(self.summary, query_state(state_text, facts), f"{stage.name} {stage.produces}", previous)

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
            self.summary, stage_label(stage.name, stage.produces), candidates, state_text, facts, results, gold
        )
