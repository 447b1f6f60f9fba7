"""BM25: agrees with bm25s, incremental adds equal a fresh build, remove and allowed work."""

from __future__ import annotations

import bm25s
import numpy as np
import pytest

from logicdistill.errors import UserError
from logicdistill.retrieval import BM25Retriever, tokenize

from .manuals import MANUALS, PARAPHRASES


def build(items) -> BM25Retriever:
    retriever = BM25Retriever()
    retriever.add_many(items)
    return retriever


def test_scores_match_bm25s_on_the_same_tokens():
    ids = list(MANUALS)
    ours = build(MANUALS.items())
    reference = bm25s.BM25()  # default: lucene variant, k1=1.5, b=0.75
    reference.index([tokenize(MANUALS[i]) for i in ids], show_progress=False)
    for query, _ in PARAPHRASES:
        tokens = [t for t in tokenize(query) if t in reference.vocab_dict]
        expected = reference.get_scores(tokens)
        got = ours.scores(query)
        np.testing.assert_allclose([got[i] for i in ids], expected, rtol=1e-5, atol=1e-6)


def test_incremental_add_equals_fresh_build():
    items = list(MANUALS.items())
    fresh = build(items)
    incremental = build(items[:5])
    incremental.add("decoy", "a decoy manual about pursuers and evaders")
    incremental.add(items[6][0], "an old version of the manual, replaced below")
    for doc_id, text in items[5:]:
        incremental.add(doc_id, text)
    incremental.remove("decoy")
    assert sorted(incremental.ids) == sorted(fresh.ids)
    for query, _ in PARAPHRASES:
        assert incremental.search(query, len(items)) == fresh.search(query, len(items))


def test_remove_and_unknown_remove():
    retriever = build(MANUALS.items())
    retriever.remove("corner_trap")
    assert "corner_trap" not in retriever and len(retriever) == len(MANUALS) - 1
    assert all(hit.doc_id != "corner_trap" for hit in retriever.search("herd it into a corner", 20))
    with pytest.raises(KeyError):
        retriever.remove("corner_trap")


def test_allowed_restricts_candidates_and_pads_with_zero_scores():
    retriever = build(MANUALS.items())
    allowed = {"wait_in_place", "manhattan_distance", "not_indexed"}
    hits = retriever.search("the slowed pursuer must rest this turn", 5, allowed=allowed)
    assert [h.doc_id for h in hits] == ["wait_in_place", "manhattan_distance"]
    assert hits[0].score > 0 and hits[1].score == 0.0


def test_repeated_query_terms_weigh_more():
    retriever = build([("a", "corner dead end"), ("b", "square grid cell"), ("c", "other words here")])
    once = retriever.scores("corner square")
    twice = retriever.scores("corner corner square")
    assert once["a"] == pytest.approx(once["b"]) and twice["a"] > twice["b"]


def test_k_bounds():
    retriever = build(MANUALS.items())
    assert retriever.search("corner", 0) == []
    assert len(retriever.search("corner", 100)) == len(MANUALS)
    with pytest.raises(UserError):
        retriever.search("corner", -1)


def test_empty_index_returns_no_hits():
    assert BM25Retriever().search("anything", 3) == []
