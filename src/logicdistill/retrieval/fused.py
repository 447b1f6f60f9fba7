"""Fusion of several retrievers over the same documents (BM25 + dense by default).

``rrf``: reciprocal rank fusion, ``sum_i w_i / (k0 + rank_i(d))``. Equal scores share a rank (the best
one), so documents BM25 cannot tell apart (all at 0) get no arbitrary order from it. ``score``: each
retriever's scores are min-max normalised over the candidates, then summed with the weights. Final ties
are broken by doc id, so the ranking is deterministic.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from logicdistill.errors import UserError
from logicdistill.retrieval.base import Hit, Retriever, check_k, top_hits

METHODS = ("rrf", "score")


def _shared_ranks(hits: list[Hit]) -> dict[str, int]:
    """1-based competition ranks of hits sorted best first: equal scores share the better rank."""
    ranks: dict[str, int] = {}
    for position, hit in enumerate(hits):
        tied = position > 0 and hit.score == hits[position - 1].score
        ranks[hit.doc_id] = ranks[hits[position - 1].doc_id] if tied else position + 1
    return ranks


def _min_max(hits: list[Hit]) -> dict[str, float]:
    """Scores mapped to [0, 1]; a retriever that scores every candidate alike contributes 0."""
    if not hits:
        return {}
    low, high = min(h.score for h in hits), max(h.score for h in hits)
    span = high - low
    return {h.doc_id: (h.score - low) / span if span > 0 else 0.0 for h in hits}


class FusedRetriever:
    """Keeps every document in each of its retrievers and fuses their rankings."""

    def __init__(
        self,
        retrievers: Sequence[Retriever],
        weights: Sequence[float] | None = None,
        method: str = "rrf",
        k0: float = 60.0,
    ) -> None:
        if not retrievers:
            raise UserError("FusedRetriever needs at least one retriever")
        if method not in METHODS:
            raise UserError(f"unknown fusion method {method!r}; choose one of {', '.join(METHODS)}")
        weights = [1.0] * len(retrievers) if weights is None else [float(w) for w in weights]
        if len(weights) != len(retrievers) or any(w < 0 for w in weights):
            raise UserError(f"FusedRetriever: need {len(retrievers)} non-negative weights, got {weights}")
        if k0 < 0:
            raise UserError(f"FusedRetriever: k0 must be >= 0, got {k0}")
        self.retrievers = list(retrievers)
        self.weights = weights
        self.method = method
        self.k0 = k0

    def add(self, doc_id: str, text: str) -> None:
        """Index ``text`` under ``doc_id`` in every retriever."""
        for retriever in self.retrievers:
            retriever.add(doc_id, text)

    def add_many(self, docs: Iterable[tuple[str, str]]) -> None:
        """Index several documents in every retriever (each batches as it can)."""
        docs = list(docs)
        for retriever in self.retrievers:
            retriever.add_many(docs)

    def remove(self, doc_id: str) -> None:
        """Drop a document from every retriever (KeyError when unknown)."""
        if doc_id not in self:
            raise KeyError(doc_id)
        for retriever in self.retrievers:
            retriever.remove(doc_id)

    def __len__(self) -> int:
        return len(self.retrievers[0])

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.retrievers[0]

    @property
    def ids(self) -> list[str]:
        """Document ids in insertion order."""
        return self.retrievers[0].ids

    def scores(self, query: str, allowed: Collection[str] | None = None) -> dict[str, float]:
        """The fused score of every candidate document."""
        fused: dict[str, float] = {}
        n = len(self)
        for retriever, weight in zip(self.retrievers, self.weights, strict=True):
            hits = retriever.search(query, n, allowed)  # full rankings: fusion needs every candidate's place
            if self.method == "rrf":
                parts = {d: 1.0 / (self.k0 + r) for d, r in _shared_ranks(hits).items()}
            else:
                parts = _min_max(hits)
            for doc_id, value in parts.items():
                fused[doc_id] = fused.get(doc_id, 0.0) + weight * value
        return fused

    def search(self, query: str, k: int, allowed: Collection[str] | None = None) -> list[Hit]:
        """Top ``k`` documents by fused score, ties by doc id."""
        check_k(k)
        if k == 0:
            return []
        return top_hits(self.scores(query, allowed).items(), k)
