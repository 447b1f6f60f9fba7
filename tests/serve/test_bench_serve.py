"""benchmarks/bench_serve.py runs (its --smoke: teacher-program, a few requests) and reports what it claims."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_serve_smoke(tmp_path):
    out = tmp_path / "serve.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench_serve.py"), "--smoke", "--repeat", "2", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "median" in done.stdout and "lost requests: 0" in done.stdout
    report = json.loads(out.read_text())
    rows = report["rows"]
    assert [(r["repeat"], r["clients"]) for r in rows] == [(1, 1), (1, 8), (1, 64), (2, 1), (2, 8), (2, 64)]
    for row in rows:
        assert row["errors"] == 0 and row["answered"] == row["requests"] and row["same_as_1_client"]
        assert row["x_offline"] == row["decisions_per_s"] / row["offline_decisions_per_s"]
        assert row["batches"] >= 1 and 0 < row["busy"] <= 1.05
    assert max(r["mean_batch"] for r in rows if r["clients"] == 64) > 1  # 64 clients share passes
