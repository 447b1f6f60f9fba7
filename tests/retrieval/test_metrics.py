"""recall@k: exact values on a stub, monotone in k, allowed sets, groups."""

from __future__ import annotations

import pytest

from logicdistill.errors import UserError
from logicdistill.retrieval import gold_ranks, make_retriever, recall_at_k, recall_at_k_by_group

from .manuals import MANUALS, PARAPHRASES
from .stub import Fixed

STUB = Fixed({"a": 3.0, "b": 2.0, "c": 1.0, "d": 0.5})  # ranking a, b, c, d for every query


def test_recall_by_hand():
    queries = [("q1", "a"), ("q2", "c"), ("q3", "d"), ("q4", "missing")]
    assert gold_ranks(STUB, queries, depth=3) == [1, 3, None, None]
    assert recall_at_k(STUB, queries, ks=(1, 2, 3, 4)) == {1: 0.25, 2: 0.25, 3: 0.5, 4: 0.75}


def test_allowed_for_as_sequence_and_as_function():
    queries = [("q1", "c"), ("q2", "d")]
    assert recall_at_k(STUB, queries, ks=(1,), allowed_for=[{"c", "d"}, {"d"}]) == {1: 1.0}
    assert recall_at_k(STUB, queries, ks=(1,), allowed_for=lambda q, gold: {"a", "b"}) == {1: 0.0}
    with pytest.raises(UserError):
        recall_at_k(STUB, queries, allowed_for=[None])


def test_recall_is_monotone_in_k_on_real_queries():
    retriever = make_retriever("bm25")
    retriever.add_many(MANUALS.items())
    noisy = [(query.split()[0] + " pursuer move", gold) for query, gold in PARAPHRASES]  # a harder query set
    recall = recall_at_k(retriever, noisy, ks=range(1, len(MANUALS) + 1))
    values = [recall[k] for k in sorted(recall)]
    assert values == sorted(values) and values[-1] == 1.0 and values[0] < 1.0


def test_recall_by_group():
    queries = [("s1", "q", "a"), ("s2", "q", "b"), ("s1", "q", "c")]
    assert recall_at_k_by_group(STUB, queries, ks=(1, 3)) == {"s1": {1: 0.5, 3: 1.0}, "s2": {1: 0.0, 3: 1.0}}


def test_bad_input():
    with pytest.raises(UserError):
        recall_at_k(STUB, [], ks=(1,))
    with pytest.raises(UserError):
        recall_at_k(STUB, [("q", "a")], ks=(0, 1))
