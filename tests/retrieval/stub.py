"""A stub retriever with fixed scores, for fusion and metric tests."""

from __future__ import annotations

from logicdistill.retrieval import Hit


class Fixed:
    """A stub retriever with fixed scores per document (ignores the query)."""

    def __init__(self, scores: dict[str, float]) -> None:
        self._scores = dict(scores)

    def add(self, doc_id, text):
        self._scores[doc_id] = 0.0

    def add_many(self, docs):
        for doc_id, text in docs:
            self.add(doc_id, text)

    def remove(self, doc_id):
        del self._scores[doc_id]

    def search(self, query, k, allowed=None):
        items = [(d, s) for d, s in self._scores.items() if allowed is None or d in allowed]
        return [Hit(d, s) for d, s in sorted(items, key=lambda p: (-p[1], p[0]))[:k]]

    def __len__(self):
        return len(self._scores)

    def __contains__(self, doc_id):
        return doc_id in self._scores

    @property
    def ids(self):
        return list(self._scores)
