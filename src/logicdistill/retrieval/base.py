"""What every retriever shares: the hit type, the protocol, the tokenizer and the query builder (Eq. 2).

Documents are function manuals keyed by function name. A query is built from the rules ``x``, the state
``s``, the stage and the previous stage result ``o_{j-1}`` by :func:`build_query`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from logicdistill.errors import UserError

# Lucene's English stop set, the one bm25s uses for stopwords="en" (a test checks they stay equal).
STOPWORDS_EN = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there these they "
    "this to was will with".split()
)

_WORD = re.compile(r"\w+")
# Splits camelCase / PascalCase / digit runs inside one identifier piece.
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


@dataclass(frozen=True)
class Hit:
    """One retrieved document: its id (the function name) and the retriever's score (higher is better)."""

    doc_id: str
    score: float


@runtime_checkable
class Retriever(Protocol):
    """An incremental index of documents that ranks them for a query."""

    def add(self, doc_id: str, text: str) -> None:
        """Index ``text`` under ``doc_id``, replacing any document with that id."""

    def add_many(self, docs: Iterable[tuple[str, str]]) -> None:
        """Index several ``(doc_id, text)`` pairs (batched where that is cheaper)."""

    def remove(self, doc_id: str) -> None:
        """Drop a document; an unknown id raises KeyError."""

    def search(self, query: str, k: int, allowed: Collection[str] | None = None) -> list[Hit]:
        """The top ``k`` hits, best first, ties broken by doc id; ``allowed`` restricts the candidates."""

    def __len__(self) -> int: ...

    def __contains__(self, doc_id: object) -> bool: ...

    @property
    def ids(self) -> list[str]:
        """Document ids in insertion order (a replaced document keeps its place)."""


def _stem(token: str) -> str:
    """Harman's S-stemmer: folds plurals only, so it never merges unrelated words."""
    if len(token) <= 3 or not token.isalpha():
        return token
    if token.endswith("ies") and not token.endswith(("eies", "aies")):
        return token[:-3] + "y"
    if token.endswith("es") and not token.endswith(("aes", "ees", "oes")):
        return token[:-1]
    if token.endswith("s") and not token.endswith(("us", "ss")):
        return token[:-1]
    return token


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens for BM25 and the hashing embedder.

    Identifiers are split into their parts (``move_toward`` and ``moveToward`` give ``move``, ``toward``)
    and the whole identifier is kept too, so a query naming a function matches it exactly. Tokens shorter
    than two characters and English stopwords are dropped; plurals are folded.
    """
    out: list[str] = []
    for raw in _WORD.findall(text):
        parts: list[str] = []
        for piece in raw.split("_"):
            parts.extend(_CAMEL.findall(piece) if piece.isascii() else [piece])
        if len(parts) > 1:
            out.append(raw.lower())
        out.extend(_stem(p.lower()) for p in parts)
    return [t for t in out if len(t) >= 2 and t not in STOPWORDS_EN]


def build_query(
    rules: str,
    state: str,
    stage: str,
    previous: str | None = None,
    *,
    rules_words: int = 40,
    stage_repeat: int = 3,
    previous_repeat: int = 2,
) -> str:
    """The retrieval query for one stage: stage and previous result first and repeated, then state, then rules.

    Repetition raises the weight of the stage and the previous result (BM25 counts repeated query terms;
    the dense encoder sees them first, before any truncation). Only the first ``rules_words`` words of the
    rules are kept so that the long, constant rules text does not drown the state.
    """
    if stage_repeat < 1 or previous_repeat < 1 or rules_words < 0:
        raise UserError("build_query: stage_repeat and previous_repeat must be >= 1 and rules_words >= 0")
    stage_text = stage.replace("_", " ").strip()
    lines = ["stage: " + " ".join([stage_text] * stage_repeat)]
    if previous is not None and previous.strip():
        lines.append("previous result: " + " ".join([previous.strip()] * previous_repeat))
    lines.append("state: " + state.strip())
    rule_words = rules.split()[:rules_words]
    if rule_words:
        lines.append("rules: " + " ".join(rule_words))
    return "\n".join(lines)


def check_k(k: int) -> None:
    """Reject a negative ``k`` with a clear message (``k == 0`` gives no hits)."""
    if k < 0:
        raise UserError(f"search: k must be >= 0, got {k}")


def top_hits(scores: Iterable[tuple[str, float]], k: int) -> list[Hit]:
    """The ``k`` best ``(doc_id, score)`` pairs as hits: higher score first, then doc id (deterministic)."""
    ranked = sorted(scores, key=lambda pair: (-pair[1], pair[0]))
    return [Hit(doc_id, float(score)) for doc_id, score in ranked[:k]]
