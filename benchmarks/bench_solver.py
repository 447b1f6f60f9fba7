"""Benchmark the exact pursuit solver: a cold solve (cache disabled) of each named map.

Run: ``python benchmarks/bench_solver.py [--maps open block ...] [--repeat 3]``.
Seconds is the median wall time of ``--repeat`` cold solves; peak MB is the tracemalloc peak of one
further solve (numpy reports its buffers to tracemalloc), so it counts the solver's own allocations,
not the interpreter. T* statistics cover the playable starts: pursuers apart, evader not captured.
Targets: under 5 s and under 200 MB per 10×10 map on 2 cores.
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np

from logicdistill.tasks.pursuit.maps import NAMED_MAPS, load_map
from logicdistill.tasks.pursuit.solver import UNFORCEABLE, solve


def bench(spec: str, repeat: int) -> dict[str, object]:
    grid = load_map(spec)
    n = len(grid.free_cells)
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        solution = solve(grid, use_cache=False)
        seconds.append(time.perf_counter() - start)
    tracemalloc.start()
    solve(grid, use_cache=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    t = solution.t_star.astype(np.int64)
    cell = np.arange(n)
    p0, p1, e = np.meshgrid(cell, cell, cell, indexing="ij")
    playable = (p0 != p1) & (e != p0) & (e != p1)
    forced = playable & (t != UNFORCEABLE)
    return {
        "map": spec,
        "free": n,
        "states": n**3,
        "passes": solution.passes,
        "seconds": statistics.median(seconds),
        "peak_mb": peak / 2**20,
        "mean_t": float(t[forced].mean()),
        "max_t": int(t[forced].max()),
        "unforceable": int((playable & (t == UNFORCEABLE)).sum()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--maps", nargs="+", default=list(NAMED_MAPS), help="map specs (names, random:SEED, files)")
    parser.add_argument("--repeat", type=int, default=3, help="cold solves per map for the median time")
    args = parser.parse_args()
    header = (
        f"{'map':<10} {'free':>5} {'states':>9} {'passes':>6} {'seconds':>8} {'peak MB':>8} "
        f"{'mean T*':>8} {'max T*':>6} {'unforceable':>11}"
    )
    print(header)
    print("-" * len(header))
    for spec in args.maps:
        r = bench(spec, args.repeat)
        print(
            f"{r['map']:<10} {r['free']:>5} {r['states']:>9} {r['passes']:>6} {r['seconds']:>8.2f} "
            f"{r['peak_mb']:>8.1f} {r['mean_t']:>8.2f} {r['max_t']:>6} {r['unforceable']:>11}"
        )
    print("peak MB: tracemalloc peak of one cold solve; T* over starts with pursuers apart and evader free")


if __name__ == "__main__":
    main()
