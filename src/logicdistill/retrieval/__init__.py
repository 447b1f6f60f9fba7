"""The retriever of Eq. 2: top-K function manuals for a query built from (rules, state, stage, previous).

BM25 (lexical) and dense sentence embeddings (all-MiniLM-L6-v2 offline by default), fused by reciprocal rank
fusion. Every retriever is incremental (emergency functions are added during an episode without a rebuild)
and filterable (``allowed`` restricts the candidates, e.g. to the functions of the current stage).

    r = make_retriever()                      # fused BM25 + MiniLM
    r.add_many((f.name, f.manual) for f in base)
    hits = r.search(build_query(rules, state, "choose_target", None), k=3, allowed=stage_functions)
"""

from __future__ import annotations

from logicdistill.errors import UserError
from logicdistill.retrieval.base import STOPWORDS_EN, Hit, Retriever, build_query, tokenize
from logicdistill.retrieval.bm25 import BM25Retriever
from logicdistill.retrieval.dense import DenseRetriever, Embedder, EmbeddingCache, HashingEmbedder, MiniLMEmbedder
from logicdistill.retrieval.fused import FusedRetriever
from logicdistill.retrieval.metrics import gold_ranks, recall_at_k, recall_at_k_by_group

__all__ = [
    "KINDS",
    "EMBEDDERS",
    "STOPWORDS_EN",
    "BM25Retriever",
    "DenseRetriever",
    "Embedder",
    "EmbeddingCache",
    "FusedRetriever",
    "HashingEmbedder",
    "Hit",
    "MiniLMEmbedder",
    "Retriever",
    "build_query",
    "gold_ranks",
    "make_embedder",
    "make_retriever",
    "recall_at_k",
    "recall_at_k_by_group",
    "tokenize",
]

KINDS = ("bm25", "dense", "fused")
EMBEDDERS = ("minilm", "hashing")


def make_embedder(embedder: str | Embedder = "minilm") -> Embedder:
    """An embedder by name (``minilm``: the offline default; ``hashing``: fast, for tests) or as given."""
    if not isinstance(embedder, str):
        return embedder
    if embedder == "minilm":
        return MiniLMEmbedder()
    if embedder == "hashing":
        return HashingEmbedder()
    raise UserError(f"unknown embedder {embedder!r}; choose one of {', '.join(EMBEDDERS)}")


def make_retriever(
    kind: str = "fused", embedder: str | Embedder = "minilm", method: str = "rrf", weights: list[float] | None = None
) -> Retriever:
    """A fresh, empty retriever: ``bm25``, ``dense`` or ``fused`` (BM25 + dense, ``method`` rrf or score)."""
    if kind not in KINDS:
        raise UserError(f"unknown retriever kind {kind!r}; choose one of {', '.join(KINDS)}")
    if kind == "bm25":
        return BM25Retriever()
    dense = DenseRetriever(make_embedder(embedder))
    if kind == "dense":
        return dense
    return FusedRetriever([BM25Retriever(), dense], weights=weights, method=method)
