"""Retriever speed: index build, one incremental add and query latency for BM25, dense and fused.

    python benchmarks/bench_retrieval.py [--docs 50] [--queries 100] [--skip-minilm]

The corpus is synthetic (seeded) function manuals of realistic length. Dense MiniLM is timed twice: with
an empty embedding cache (cold) and again with a fresh retriever whose manuals are already on disk
(warm). The cache lives in a temporary LOGICDISTILL_HOME so nothing of the user's is touched.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

VERBS = ["chase", "block", "trap", "avoid", "predict", "guard", "rank", "split", "merge", "scan", "wait", "flank"]
OBJECTS = ["evader", "corner", "corridor", "zone", "pursuer", "exit", "path", "cell", "room", "wall", "gap", "team"]
WORDS = (
    "grid distance shortest reach escape route capture step turn emergency danger slowed sprint obstacle free "
    "neighbour target closest farthest joint action move stay left right up down index region row column"
).split()


def synthetic_manuals(n: int, seed: int = 0) -> dict[str, str]:
    """``n`` manuals of about 80 words (name, what it does, when to use, an example)."""
    rng = random.Random(seed)
    names = [f"{v}_{o}" for v in VERBS for o in OBJECTS]
    rng.shuffle(names)
    manuals = {}
    for name in names[:n]:
        verb, obj = name.split("_")
        what = " ".join(rng.choices(WORDS, k=30))
        when = " ".join(rng.choices(WORDS, k=15))
        manuals[name] = (
            f"{name}(state, pursuer) -> action. What it does: {verb}s the {obj}; {what}. "
            f"When to use: when you need to {verb} the {obj}; {when}. Example: {name}(s, 0) -> 'up'."
        )
    return manuals


def synthetic_queries(manuals: dict[str, str], n: int, seed: int = 1) -> list[tuple[str, str]]:
    """(query, gold id) pairs: the gold's verb and object plus state-like noise."""
    rng = random.Random(seed)
    ids = sorted(manuals)
    queries = []
    for i in range(n):
        gold = rng.choice(ids)
        verb, obj = gold.split("_")
        noise = " ".join(rng.choices(WORDS, k=12))
        queries.append((f"stage {i}: we must {verb} the {obj}. state: P0 (1,{i % 9}) E0 (5,5). {noise}", gold))
    return queries


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(name: str, make: Callable[[], object], manuals, queries, rows: list[list[str]]) -> None:
    from logicdistill.retrieval import recall_at_k

    retriever = make()
    build_s = timed(lambda: retriever.add_many(manuals.items()))
    add_s = timed(lambda: retriever.add("emergency_avoid_river", "emergency: pursuers must not cross the river"))
    retriever.remove("emergency_avoid_river")
    latencies = []
    for query, _ in queries:
        latencies.append(timed(lambda q=query: retriever.search(q, 5)))
    recall = recall_at_k(retriever, queries, ks=(1, 3, 5))
    rows.append(
        [
            name,
            f"{build_s * 1000:.1f}",
            f"{add_s * 1000:.2f}",
            f"{statistics.mean(latencies) * 1000:.2f}",
            f"{statistics.quantiles(latencies, n=20)[-1] * 1000:.2f}" if len(latencies) > 1 else "-",
            f"{recall[1]:.2f} / {recall[3]:.2f} / {recall[5]:.2f}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=50, help="number of manuals (at most 144)")
    parser.add_argument("--queries", type=int, default=100, help="number of queries")
    parser.add_argument("--skip-minilm", action="store_true", help="only BM25 and the hashing embedder")
    parser.add_argument("--torch-threads", type=int, default=0, help="torch CPU threads for MiniLM (0: torch default)")
    args = parser.parse_args(argv)
    os.environ["LOGICDISTILL_HOME"] = tempfile.mkdtemp(prefix="ld-bench-retrieval-")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from logicdistill.retrieval import (
        BM25Retriever,
        DenseRetriever,
        FusedRetriever,
        HashingEmbedder,
        MiniLMEmbedder,
    )

    manuals = synthetic_manuals(args.docs)
    queries = synthetic_queries(manuals, args.queries)
    rows: list[list[str]] = []
    measure("bm25", BM25Retriever, manuals, queries, rows)
    measure("dense hashing", lambda: DenseRetriever(HashingEmbedder()), manuals, queries, rows)
    measure(
        "fused bm25+hashing",
        lambda: FusedRetriever([BM25Retriever(), DenseRetriever(HashingEmbedder())]),
        manuals,
        queries,
        rows,
    )
    if not args.skip_minilm:
        if args.torch_threads:
            import torch

            torch.set_num_threads(args.torch_threads)
        load_s = timed(lambda: MiniLMEmbedder().model())
        print(f"MiniLM import + load: {load_s:.1f} s")
        measure("dense minilm (cold cache)", lambda: DenseRetriever(MiniLMEmbedder()), manuals, queries, rows)
        measure("dense minilm (warm cache)", lambda: DenseRetriever(MiniLMEmbedder()), manuals, queries, rows)
        measure(
            "fused bm25+minilm (warm)",
            lambda: FusedRetriever([BM25Retriever(), DenseRetriever(MiniLMEmbedder())]),
            manuals,
            queries,
            rows,
        )
    header = ["retriever", "build ms", "add 1 ms", "query ms", "query p95 ms", "recall@1/3/5"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(f"{args.docs} manuals, {args.queries} queries, k=5")
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
