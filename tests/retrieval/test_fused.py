"""Fusion: RRF and score fusion, shared ranks for ties, determinism, propagation of add/remove."""

from __future__ import annotations

import pytest

from logicdistill.errors import UserError
from logicdistill.retrieval import (
    BM25Retriever,
    DenseRetriever,
    FusedRetriever,
    HashingEmbedder,
    Hit,
    make_retriever,
)
from logicdistill.retrieval.fused import _min_max, _shared_ranks

from .manuals import MANUALS, PARAPHRASES
from .stub import Fixed


def test_shared_ranks_and_min_max():
    hits = [Hit("a", 3.0), Hit("b", 1.0), Hit("c", 1.0), Hit("d", 0.0)]
    assert _shared_ranks(hits) == {"a": 1, "b": 2, "c": 2, "d": 4}
    assert _min_max(hits) == {"a": 1.0, "b": 1 / 3, "c": 1 / 3, "d": 0.0}
    assert _min_max([Hit("a", 2.0), Hit("b", 2.0)]) == {"a": 0.0, "b": 0.0}


def test_rrf_by_hand_with_weights():
    fused = FusedRetriever([Fixed({"a": 2, "b": 1, "c": 0}), Fixed({"a": 0, "b": 5, "c": 5})], weights=[1, 2], k0=1)
    scores = fused.scores("q")
    assert scores == pytest.approx({"a": 1 / 2 + 2 / 4, "b": 1 / 3 + 2 / 2, "c": 1 / 4 + 2 / 2})
    assert [h.doc_id for h in fused.search("q", 3)] == ["b", "c", "a"]


def test_score_fusion_by_hand():
    fused = FusedRetriever([Fixed({"a": 4, "b": 2, "c": 0}), Fixed({"a": 0, "b": 1, "c": 1})], method="score")
    assert fused.scores("q") == pytest.approx({"a": 1.0, "b": 1.5, "c": 1.0})
    assert [h.doc_id for h in fused.search("q", 3)] == ["b", "a", "c"]  # a and c tie: by id


def test_fused_ranking_is_deterministic_and_independent_of_insertion_order():
    items = list(MANUALS.items())
    forward = make_retriever("fused", embedder="hashing")
    forward.add_many(items)
    backward = make_retriever("fused", embedder="hashing")
    for doc_id, text in reversed(items):
        backward.add(doc_id, text)
    for query, _ in PARAPHRASES:
        first = forward.search(query, 5)
        assert first == forward.search(query, 5)
        assert [h.doc_id for h in first] == [h.doc_id for h in backward.search(query, 5)]


def test_add_remove_propagate_and_allowed():
    bm25, dense = BM25Retriever(), DenseRetriever(HashingEmbedder())
    fused = FusedRetriever([bm25, dense])
    fused.add_many(MANUALS.items())
    fused.remove("corner_trap")
    assert "corner_trap" not in bm25 and "corner_trap" not in dense and len(fused) == len(MANUALS) - 1
    with pytest.raises(KeyError):
        fused.remove("corner_trap")
    fused.add("new_rule", "emergency: never cross the river")
    assert fused.search("cross the river emergency", 1)[0].doc_id == "new_rule"
    hits = fused.search("cross the river", 2, allowed={"wait_in_place", "free_neighbors"})
    assert {h.doc_id for h in hits} == {"wait_in_place", "free_neighbors"}


def test_bad_configuration_is_a_user_error():
    with pytest.raises(UserError):
        FusedRetriever([])
    with pytest.raises(UserError):
        FusedRetriever([BM25Retriever()], method="max")
    with pytest.raises(UserError):
        FusedRetriever([BM25Retriever()], weights=[1.0, 1.0])


def test_make_retriever_kinds():
    assert isinstance(make_retriever("bm25"), BM25Retriever)
    assert isinstance(make_retriever("dense", embedder="hashing"), DenseRetriever)
    assert isinstance(make_retriever(embedder="hashing", method="score"), FusedRetriever)
    with pytest.raises(UserError, match="unknown retriever kind"):
        make_retriever("tfidf")
    with pytest.raises(UserError, match="unknown embedder"):
        make_retriever("dense", embedder="bert")
