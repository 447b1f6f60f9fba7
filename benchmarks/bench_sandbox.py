"""Sandbox overhead: calls per second through the worker pool vs a direct in-process call of the same source.

Run: ``python benchmarks/bench_sandbox.py [--calls 2000] [--batch 100] [--workers 1]``. Two functions: a
Manhattan distance (pure call overhead) and a BFS over a 10x10 grid (a realistic small decision function).
Modes: ``direct`` (exec'd in this process, no limits), ``single`` (one ``Sandbox.call`` per call: one round
trip each) and ``batch`` (``Sandbox.call_many`` with ``--batch`` calls per round trip).
"""

from __future__ import annotations

import argparse
import time

from logicdistill.sandbox import CallRequest, Sandbox

SOURCE = """
from collections import deque

def manhattan(a, b):
    return abs(a[0] - b[0]) + abs(a[1] - b[1])

def bfs(grid, start):
    h, w = len(grid), len(grid[0])
    dist = [[None] * w for _ in range(h)]
    dist[start[0]][start[1]] = 0
    queue = deque([(start[0], start[1])])
    while queue:
        r, c = queue.popleft()
        for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            nr, nc = r + dr, c + dc
            if 0 <= nr < h and 0 <= nc < w and grid[nr][nc] == 0 and dist[nr][nc] is None:
                dist[nr][nc] = dist[r][c] + 1
                queue.append((nr, nc))
    return dist
"""

GRID = [[1 if (c == 5 and 0 < r < 9) else 0 for c in range(10)] for r in range(10)]
CASES = {"manhattan": lambda i: [[0, 0], [i % 10, (3 * i) % 10]], "bfs_10x10": lambda i: [GRID, [i % 10, 0]]}


def _rate(n: int, fn, repeat: int) -> float:
    """Calls per second, best of ``repeat`` runs (the machine is shared: the best run is the least disturbed)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return n / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=2000, help="calls per measurement (default 2000)")
    parser.add_argument("--batch", type=int, default=100, help="calls per call_many batch (default 100)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per row, best kept (default 3)")
    args = parser.parse_args()
    namespace: dict = {}
    exec(SOURCE, namespace)
    rows = []
    with Sandbox(workers=args.workers) as sandbox:
        assert sandbox.load("bench", SOURCE).ok
        sandbox.call("bench", "manhattan", [[0, 0], [1, 1]])  # start the workers before timing
        for name, make_args in CASES.items():
            arg_sets = [make_args(i) for i in range(args.calls)]
            direct_fn = namespace[name.split("_")[0]]
            fn_name = name.split("_")[0]
            expected = [direct_fn(*a) for a in arg_sets[:20]]
            got = [r.value for r in sandbox.call_many([CallRequest("bench", fn_name, a) for a in arg_sets[:20]])]
            assert got == expected, "sandboxed results differ from direct results"
            direct = _rate(args.calls, lambda f=direct_fn, s=arg_sets: [f(*a) for a in s], args.repeat)
            single = _rate(
                args.calls, lambda f=fn_name, s=arg_sets: [sandbox.call("bench", f, a) for a in s], args.repeat
            )

            def batched(f=fn_name, s=arg_sets):
                for i in range(0, len(s), args.batch):
                    results = sandbox.call_many([CallRequest("bench", f, a) for a in s[i : i + args.batch]])
                    assert all(r.ok for r in results)

            batch = _rate(args.calls, batched, args.repeat)
            rows += [(name, "direct", direct, 1.0), (name, "single", single, direct / single)]
            rows.append((name, f"batch {args.batch}", batch, direct / batch))
        confinement = sandbox.confinement
    print(
        f"sandbox benchmark: {args.calls} calls per row, best of {args.repeat}, {args.workers} worker(s), "
        f"confinement {confinement}"
    )
    print(f"{'function':<12} {'mode':<10} {'calls/s':>12} {'slowdown vs direct':>20}")
    for name, mode, rate, ratio in rows:
        print(f"{name:<12} {mode:<10} {rate:>12,.0f} {ratio:>19.1f}x")


if __name__ == "__main__":
    main()
