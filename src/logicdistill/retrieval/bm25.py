"""Lexical retrieval: BM25 over an incremental inverted index.

The scoring is bm25s's default ("lucene") variant, computed here over per-document term counts so that
adding or removing one manual touches only that manual's postings: nothing is re-tokenised and there is
no index to rebuild. A test cross-checks the scores against ``bm25s.BM25`` on the same tokens.

    idf(t)     = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))
    score(q,d) = sum over query tokens t (repeats count) of idf(t) * tf / (tf + k1 * (1 - b + b * |d| / avgdl))
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Collection, Iterable

from logicdistill.retrieval.base import Hit, check_k, tokenize, top_hits


class BM25Retriever:
    """BM25 (k1=1.5, b=0.75 as in bm25s) over the project tokenizer; add/remove cost one document."""

    def __init__(self, k1: float = 1.5, b: float = 0.75, tokenizer: Callable[[str], list[str]] = tokenize) -> None:
        self.k1 = k1
        self.b = b
        self.tokenizer = tokenizer
        self._counts: dict[str, Counter[str]] = {}  # doc id -> term counts (insertion order = ids)
        self._lengths: dict[str, int] = {}
        self._postings: dict[str, dict[str, int]] = {}  # term -> {doc id: tf}
        self._total_length = 0  # an int, so avgdl is exact whatever the order of adds and removes

    def add(self, doc_id: str, text: str) -> None:
        """Index ``text`` under ``doc_id`` (replacing an existing one in place)."""
        counts = Counter(self.tokenizer(text))
        if doc_id in self._counts:
            self._drop_postings(doc_id)
        self._counts[doc_id] = counts
        self._lengths[doc_id] = sum(counts.values())
        self._total_length += self._lengths[doc_id]
        for term, tf in counts.items():
            self._postings.setdefault(term, {})[doc_id] = tf

    def add_many(self, docs: Iterable[tuple[str, str]]) -> None:
        """Index several ``(doc_id, text)`` pairs."""
        for doc_id, text in docs:
            self.add(doc_id, text)

    def remove(self, doc_id: str) -> None:
        """Drop a document (KeyError when unknown)."""
        if doc_id not in self._counts:
            raise KeyError(doc_id)
        self._drop_postings(doc_id)
        del self._counts[doc_id], self._lengths[doc_id]

    def _drop_postings(self, doc_id: str) -> None:
        self._total_length -= self._lengths[doc_id]
        for term in self._counts[doc_id]:
            docs = self._postings[term]
            del docs[doc_id]
            if not docs:
                del self._postings[term]

    def __len__(self) -> int:
        return len(self._counts)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._counts

    @property
    def ids(self) -> list[str]:
        """Document ids in insertion order."""
        return list(self._counts)

    def idf(self, term: str) -> float:
        """Inverse document frequency of ``term`` over the whole corpus (0 docs -> 0)."""
        n = len(self._counts)
        df = len(self._postings.get(term, ()))
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5)) if n else 0.0

    def scores(self, query: str, allowed: Collection[str] | None = None) -> dict[str, float]:
        """BM25 score of every candidate document (0.0 when it shares no term with the query)."""
        if allowed is None:
            candidates: Iterable[str] = self._counts
        else:
            allowed_set = set(allowed)
            candidates = [d for d in self._counts if d in allowed_set]
        result = dict.fromkeys(candidates, 0.0)
        if not result:
            return result
        avgdl = self._total_length / len(self._counts)
        # Query terms in sorted order: every document sums its terms in the same order however it was built.
        for term, qtf in sorted(Counter(self.tokenizer(query)).items()):
            docs = self._postings.get(term)
            if not docs:
                continue
            weight = qtf * self.idf(term)
            for doc_id, tf in docs.items():
                if doc_id in result:
                    norm = self.k1 * (1.0 - self.b + self.b * self._lengths[doc_id] / avgdl) if avgdl else 0.0
                    result[doc_id] += weight * tf / (tf + norm)
        return result

    def search(self, query: str, k: int, allowed: Collection[str] | None = None) -> list[Hit]:
        """Top ``k`` documents by BM25; documents with no matching term follow at score 0, by id."""
        check_k(k)
        return top_hits(self.scores(query, allowed).items(), k)
