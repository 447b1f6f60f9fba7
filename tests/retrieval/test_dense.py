"""Hashing embedder, dense index (incremental, remove, allowed) and the embedding cache."""

from __future__ import annotations

import numpy as np
import pytest

from logicdistill.retrieval import DenseRetriever, EmbeddingCache, HashingEmbedder, MiniLMEmbedder

from .manuals import MANUALS, PARAPHRASES


def build(items, embedder=None) -> DenseRetriever:
    retriever = DenseRetriever(embedder or HashingEmbedder())
    retriever.add_many(items)
    return retriever


def test_hashing_embedder_is_deterministic_normalised_and_seeded():
    texts = ["move toward the evader", "stay in place"]
    a, b = HashingEmbedder().embed(texts), HashingEmbedder().embed(texts)
    assert a.shape == (2, 256) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-6)
    assert not np.array_equal(a, HashingEmbedder(seed=1).embed(texts))
    assert np.linalg.norm(HashingEmbedder().embed_query("")) == 0.0


def test_hashing_embedder_related_words_are_closer_than_unrelated():
    e = HashingEmbedder()
    base, related, unrelated = e.embed(["chasing evaders"]), e.embed(["chase evader"]), e.embed(["blackjack dealer"])
    assert float(base[0] @ related[0]) > float(base[0] @ unrelated[0])


def test_incremental_add_equals_fresh_build():
    items = list(MANUALS.items())
    fresh = build(items)
    incremental = DenseRetriever(HashingEmbedder())
    for doc_id, text in items[:3]:
        incremental.add(doc_id, text)
    incremental.add("decoy", "decoy text about corners")
    incremental.add(items[4][0], "stale text, replaced below")
    incremental.add_many(items[3:])
    incremental.remove("decoy")
    assert sorted(incremental.ids) == sorted(fresh.ids) and len(incremental) == len(items)
    for query, _ in PARAPHRASES:
        got, want = incremental.search(query, len(items)), fresh.search(query, len(items))
        assert [h.doc_id for h in got] == [h.doc_id for h in want]
        np.testing.assert_allclose([h.score for h in got], [h.score for h in want], rtol=1e-6, atol=1e-7)


def test_replace_keeps_position_and_remove_reindexes():
    retriever = build([("a", "alpha corner"), ("b", "beta square"), ("c", "gamma route")])
    retriever.add("a", "gamma route again")
    assert retriever.ids == ["a", "b", "c"]
    retriever.remove("b")
    assert retriever.ids == ["a", "c"] and "b" not in retriever
    assert retriever.search("beta square", 5)[0].doc_id in {"a", "c"}
    assert retriever.search("gamma route", 1)[0].doc_id == "c"
    with pytest.raises(KeyError):
        retriever.remove("b")


def test_allowed_filter_and_empty_index():
    retriever = build(MANUALS.items())
    hits = retriever.search("herd it into a corner", 3, allowed=["free_neighbors", "combine_actions"])
    assert {h.doc_id for h in hits} == {"free_neighbors", "combine_actions"}
    assert DenseRetriever(HashingEmbedder()).search("x", 3) == []


class CountingEncoder:
    """An encoder that records what it was asked to embed."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return HashingEmbedder(dim=8).embed(texts)


def test_cache_embeds_each_distinct_text_once_and_persists(tmp_path):
    encode = CountingEncoder()
    first = EmbeddingCache("model-x", directory=tmp_path).embed(["a", "b", "a"], encode)
    assert encode.calls == [["a", "b"]] and first.shape == (3, 8)
    np.testing.assert_array_equal(first[0], first[2])
    again = EmbeddingCache("model-x", directory=tmp_path).embed(["b", "a", "c"], encode)  # a new process
    assert encode.calls == [["a", "b"], ["c"]]
    np.testing.assert_array_equal(again[:2], first[[1, 0]])


def test_cache_ignores_a_corrupt_file(tmp_path):
    encode = CountingEncoder()
    cache = EmbeddingCache("m", directory=tmp_path)
    cache.embed(["text"], encode)
    (file,) = tmp_path.rglob("*.npy")
    file.write_bytes(b"not numpy")
    vectors = EmbeddingCache("m", directory=tmp_path).embed(["text"], encode)
    assert len(encode.calls) == 2 and vectors.shape == (1, 8)


def test_minilm_embedder_uses_the_default_cache_folder_and_loads_nothing_on_hits(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGICDISTILL_HOME", str(tmp_path))
    embedder = MiniLMEmbedder()
    assert embedder.name.startswith("all-MiniLM-L6-v2@gt-")
    embedder.cache.embed(["manual"], lambda texts: np.ones((len(texts), 384), np.float32))

    def must_not_encode(self, texts):
        raise AssertionError("the model should not be needed for cached texts")

    monkeypatch.setattr(MiniLMEmbedder, "_encode", must_not_encode)
    assert MiniLMEmbedder().embed(["manual"]).shape == (1, 384)  # a fresh embedder reads the disk cache
    assert embedder.embed(["manual"]).shape == (1, 384)
    (folder,) = (tmp_path / "embeddings").iterdir()
    assert folder.name == embedder.name.replace("@", "_") and len(list(folder.rglob("*.npy"))) == 1
