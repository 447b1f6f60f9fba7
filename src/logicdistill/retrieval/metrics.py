"""Retrieval quality: recall@k of the gold function, overall and per group (e.g. per stage).

recall@k is the share of queries whose gold doc id is among the top k hits. A gold id that is not in the
index, or not in the query's allowed set, counts as a miss: that is a retrieval failure the agent would see.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from logicdistill.errors import UserError
from logicdistill.retrieval.base import Retriever

# Per query: the allowed ids (a sequence parallel to the queries, or a function of (query, gold id)).
AllowedFor = Sequence[Collection[str] | None] | Callable[[str, str], Collection[str] | None]


def _check_ks(ks: Sequence[int]) -> list[int]:
    ks = sorted(set(ks))
    if not ks or ks[0] < 1:
        raise UserError(f"recall@k: ks must be positive integers, got {list(ks)}")
    return ks


def gold_ranks(
    retriever: Retriever,
    queries: Sequence[tuple[str, str]],
    depth: int,
    allowed_for: AllowedFor | None = None,
) -> list[int | None]:
    """The 1-based rank of each query's gold id within the top ``depth`` hits, or None when absent."""
    if allowed_for is not None and not callable(allowed_for) and len(allowed_for) != len(queries):
        raise UserError(f"recall@k: allowed_for has {len(allowed_for)} entries for {len(queries)} queries")
    ranks: list[int | None] = []
    for i, (query, gold) in enumerate(queries):
        if allowed_for is None:
            allowed = None
        elif callable(allowed_for):
            allowed = allowed_for(query, gold)
        else:
            allowed = allowed_for[i]
        hit_ids = [hit.doc_id for hit in retriever.search(query, depth, allowed)]
        ranks.append(hit_ids.index(gold) + 1 if gold in hit_ids else None)
    return ranks


def _recall(ranks: Sequence[int | None], ks: list[int]) -> dict[int, float]:
    return {k: sum(1 for r in ranks if r is not None and r <= k) / len(ranks) for k in ks}


def recall_at_k(
    retriever: Retriever,
    queries: Sequence[tuple[str, str]],
    ks: Sequence[int] = (1, 2, 3, 4, 5),
    allowed_for: AllowedFor | None = None,
) -> dict[int, float]:
    """``{k: share of (query, gold_id) pairs whose gold id is in the top k}``; no queries is a UserError."""
    ks = _check_ks(ks)
    if not queries:
        raise UserError("recall@k: no queries")
    return _recall(gold_ranks(retriever, queries, ks[-1], allowed_for), ks)


def recall_at_k_by_group(
    retriever: Retriever,
    queries: Sequence[tuple[str, str, str]],
    ks: Sequence[int] = (1, 2, 3, 4, 5),
    allowed_for: AllowedFor | None = None,
) -> dict[str, dict[int, float]]:
    """recall@k per group for ``(group, query, gold_id)`` triples (e.g. group = stage), groups sorted.

    ``allowed_for`` is as for :func:`recall_at_k` (parallel to ``queries``, or called with (query, gold)).
    """
    ks = _check_ks(ks)
    if not queries:
        raise UserError("recall@k: no queries")
    ranks = gold_ranks(retriever, [(q, gold) for _, q, gold in queries], ks[-1], allowed_for)
    by_group: dict[str, list[int | None]] = {}
    for (group, _, _), rank in zip(queries, ranks, strict=True):
        by_group.setdefault(group, []).append(rank)
    return {group: _recall(by_group[group], ks) for group in sorted(by_group)}
