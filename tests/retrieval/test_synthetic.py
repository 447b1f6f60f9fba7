"""Every retriever finds each synthetic manual at rank 1 from a paraphrase of its "when to use"."""

from __future__ import annotations

import pytest

from logicdistill.retrieval import build_query, make_retriever, recall_at_k

from .manuals import MANUALS, PARAPHRASES


@pytest.mark.parametrize("kind", ["bm25", "dense", "fused"])
def test_each_manual_is_first_for_its_paraphrase(kind):
    retriever = make_retriever(kind, embedder="hashing")
    retriever.add_many(MANUALS.items())
    for query, gold in PARAPHRASES:
        assert retriever.search(query, 1)[0].doc_id == gold, query
    assert recall_at_k(retriever, PARAPHRASES, ks=(1,)) == {1: 1.0}


def test_stage_query_with_allowed_set_and_a_new_emergency_function():
    retriever = make_retriever("fused", embedder="hashing")
    retriever.add_many(MANUALS.items())
    rules = "Pursuers chase evaders on a grid. " * 20
    state = "P0 (1,1) P1 (8,8) E0 (5,5); a river now blocks row 4"
    query = build_query(rules, state, "avoid_hazard", "an emergency rule: pursuers must not cross the river")
    stage_functions = {"avoid_danger_zone", "wait_in_place", "combine_actions"}
    assert retriever.search(query, 1, allowed=stage_functions)[0].doc_id == "avoid_danger_zone"
    retriever.add(
        "avoid_river",
        "avoid_river(moves) -> moves. Drops moves that cross the river. Use when an "
        "emergency rule forbids pursuers to cross the river.",
    )
    assert retriever.search(query, 1, allowed=stage_functions | {"avoid_river"})[0].doc_id == "avoid_river"
