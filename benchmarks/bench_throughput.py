"""LD decision throughput on pursuit with the shipped adapter: one after another vs episodes in lockstep.

From one run it prints, for the reference path (the student itself: fp32, LoRA as separate products, one
episode after another), the fast copy one episode after another (student/fast.py: adapter folded in, bf16
where the CPU multiplies it natively) and lockstep with the fast copy at each B (default 1, 8, 32):
- decisions/s end to end (episodes of ``--episodes``, or B of them when B is larger, paired seeds);
- where a decision's time goes: tokenising, retrieval, the forward pass, the sandbox, the rest (Python:
  environment, prompts, policy);
- the floor: the same forward passes replayed alone (same token rows, same prefix caches), as decisions/s;
- whether every decision equals the reference one (same function chosen on every stage of every shared
  episode; the largest entropy difference);
then decisions/s alone vs beside a competing CPU-heavy process (a numpy loop on one core) for the
sequential path and lockstep at ``--load-batch``, and the machine's load average before and after (other
jobs distort every number).

    python benchmarks/bench_throughput.py [--episodes 8] [--batches 1,8,32] [--threads N] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from logicdistill import compute, settings
from logicdistill.agent.candidates import CandidateBuilder
from logicdistill.agent.ld_slot import LDSlot
from logicdistill.evaluation import make_env, make_policy, play_episode
from logicdistill.evaluation.lockstep import play_lockstep
from logicdistill.sandbox.pool import Sandbox
from logicdistill.student import model as student_model
from logicdistill.student.model import Student
from logicdistill.student.runs import shipped_run
from logicdistill.tasks import get_task

PARTS = ("tokenise", "retrieval", "forward", "sandbox")
COMPETITOR = "import numpy as np\na = np.random.rand(300, 300)\nwhile True:\n    a = np.tanh(a @ a)\n"


@dataclass
class Run:
    label: str
    batch: int  # 0: the sequential path (play_episode, one after another)
    episodes: int
    decisions: int = 0
    stage_decisions: int = 0
    wall_s: float = 0.0
    parts_s: dict[str, float] = field(default_factory=dict)
    floor_s_per_stage: float | None = None
    same_choices: bool | None = None
    compared: int = 0
    max_entropy_diff: float = 0.0

    @property
    def decisions_per_s(self) -> float:
        return self.decisions / self.wall_s if self.wall_s else math.nan

    @property
    def outside_forward(self) -> float:
        return 1.0 - self.parts_s.get("forward", 0.0) / self.wall_s if self.wall_s else math.nan

    @property
    def floor_decisions_per_s(self) -> float | None:
        if not self.floor_s_per_stage or not self.decisions:
            return None
        return 1.0 / (self.floor_s_per_stage * self.stage_decisions / self.decisions)

    def row(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            decisions_per_s=self.decisions_per_s,
            outside_forward_share=self.outside_forward,
            floor_decisions_per_s=self.floor_decisions_per_s,
        )
        return out


class Probe:
    """Times the parts of a decision by wrapping the functions that do them (in this process only), and keeps
    every forward pass's inputs so the forwards can be replayed alone; logs every stage decision."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.forwards: list[tuple[Any, ...]] = []
        self.choices: dict[tuple[int, int, str], tuple[str | None, float | None]] = {}
        self._undo: list[tuple[Any, str, Any]] = []

    def _wrap(self, owner: Any, name: str, part: str, record: bool = False) -> None:
        original = getattr(owner, name)
        seconds, forwards = self.seconds, self.forwards

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                seconds[part] += time.perf_counter() - start
                if record:
                    forwards.append((args, kwargs))

        self._undo.append((owner, name, original))
        setattr(owner, name, timed)

    @contextmanager
    def watching(self):
        probe = self
        reset, score = LDSlot.reset, LDSlot._score

        def on_reset(slot: Any, env: Any, seed: int) -> None:
            slot.bench_seed = seed
            reset(slot, env, seed)

        def on_score(slot: Any, record: Any, label: Any, step: int) -> None:
            probe.choices[(slot.bench_seed, step, record.stage)] = (record.chosen, record.entropy_bits)
            score(slot, record, label, step)

        self._undo += [(LDSlot, "reset", reset), (LDSlot, "_score", score)]
        LDSlot.reset, LDSlot._score = on_reset, on_score  # type: ignore[method-assign]
        self._wrap(Student, "encode", "tokenise")
        self._wrap(CandidateBuilder, "candidate_names", "retrieval")
        self._wrap(student_model, "candidate_log_probs", "forward", record=True)
        self._wrap(student_model, "compute_prefix_kv", "forward")
        self._wrap(Sandbox, "call_many", "sandbox")
        try:
            yield self
        finally:
            for owner, name, original in reversed(self._undo):
                setattr(owner, name, original)
            self._undo.clear()


def play(task: Any, policy: Any, seeds: list[int], batch: int) -> None:
    """The sequential path (batch 0: play_episode after play_episode) or lockstep with ``batch`` slots."""
    if batch == 0:
        env = make_env(task, {})
        for seed in seeds:
            play_episode(task, env, policy, seed)
        env.close()
        return
    envs = [make_env(task, {}) for _ in range(min(batch, len(seeds)))]
    play_lockstep(task, envs, policy, seeds)
    for env in envs:
        env.close()


def measure(task: Any, policy: Any, label: str, batch: int, episodes: int, seed: int, replay: int) -> tuple[Run, Probe]:
    seeds = [seed + i for i in range(episodes)]
    probe = Probe()
    with probe.watching():
        start = time.perf_counter()
        play(task, policy, seeds, batch)
        wall = time.perf_counter() - start
    run = Run(label, batch, episodes, wall_s=wall)
    run.parts_s = {p: probe.seconds.get(p, 0.0) for p in PARTS}
    run.stage_decisions = len(probe.choices)
    run.decisions = sum(1 for key in probe.choices if key[2] == task.stages[0].name)
    run.floor_s_per_stage = replay_floor(probe.forwards, replay)
    return run, probe


def replay_floor(forwards: list[tuple[Any, ...]], limit: int) -> float | None:
    """Seconds per stage decision of the recorded forward passes replayed alone (an even sample of them)."""
    import torch

    if not forwards or limit <= 0:
        return None
    step = max(1, len(forwards) // max(limit, 1))
    sample = forwards[::step][:limit]
    rows, start = 0, time.perf_counter()
    with torch.no_grad():
        for args, kwargs in sample:
            student_model.candidate_log_probs(*args, **kwargs)
            rows += len(args[1])  # one prompt per stage decision
    return (time.perf_counter() - start) / rows


def compare(run: Run, probe: Probe, reference: Probe) -> None:
    shared = probe.choices.keys() & reference.choices.keys()
    run.compared = len(shared)
    run.same_choices = all(probe.choices[k][0] == reference.choices[k][0] for k in shared)
    diffs = [abs(probe.choices[k][1] - reference.choices[k][1]) for k in shared if probe.choices[k][1] is not None]
    run.max_entropy_diff = max(diffs, default=0.0)


@contextmanager
def competitor():
    """One CPU-heavy process (a numpy loop, one thread) beside the measurement."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, "-c", COMPETITOR], env=env)
    time.sleep(1.0)
    try:
        yield
    finally:
        proc.kill()
        proc.wait()


def print_table(runs: list[Run], reference: Run, sequential: Run) -> None:
    """x ref: against the reference path (fp32, adapter unfolded, one episode after another); x seq: against
    the fast copy one episode after another (what lockstep alone adds)."""
    print(f"{'run':<16}{'B':>4}{'episodes':>9}{'decisions':>10}{'dec/s':>8}{'x ref':>7}{'x seq':>7}"
          f"{'floor dec/s':>12}{'outside fwd':>12}{'same choices':>14}")  # fmt: skip
    for r in runs:
        floor = f"{r.floor_decisions_per_s:.2f}" if r.floor_decisions_per_s else "-"
        same = "-" if r.same_choices is None else f"{'yes' if r.same_choices else 'NO'} ({r.compared})"
        print(
            f"{r.label:<16}{r.batch or 1:>4}{r.episodes:>9}{r.decisions:>10}{r.decisions_per_s:>8.2f}"
            f"{r.decisions_per_s / reference.decisions_per_s:>7.2f}"
            f"{r.decisions_per_s / sequential.decisions_per_s:>7.2f}"
            f"{floor:>12}{r.outside_forward:>12.0%}{same:>14}"
        )
    print("\nms per decision:" + "".join(f"{p:>11}" for p in (*PARTS, "python", "total")))
    for r in runs:
        parts = [r.parts_s[p] for p in PARTS]
        rest = r.wall_s - sum(parts)
        cells = "".join(f"{1000 * x / max(r.decisions, 1):>11.1f}" for x in (*parts, rest, r.wall_s))
        print(f"{r.label + ' B=' + str(r.batch or 1):<16}{cells}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=8, help="episodes per run (a run at B plays max(B, this))")
    ap.add_argument("--batches", default="1,8,32", help="lockstep batch sizes")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, help="torch threads (default: the CPUs this process may use)")
    ap.add_argument("--rows", type=int, help="prompts per forward pass (default: the student's, sized for the device)")
    ap.add_argument(
        "--dtype", choices=compute.DTYPES, default="auto", help="the student's precision (auto: fp32 on CPU)"
    )
    ap.add_argument("--replay", type=int, default=24, help="forward passes replayed alone per run, for the floor")
    ap.add_argument("--load-episodes", type=int, default=4, help="episodes per run under load (0: skip)")
    ap.add_argument("--load-batch", type=int, default=8, help="the lockstep B measured under load")
    ap.add_argument("--json", metavar="FILE", help="write the table as JSON")
    args = ap.parse_args()
    batches = [int(b) for b in args.batches.split(",") if b.strip()]

    chosen = settings.resolve("cpu", args.threads, rows_per_pass=args.rows, precision=args.dtype)
    load_before = os.getloadavg()
    task = get_task("pursuit")
    policy = make_policy(task, "ld", chosen, run=str(shipped_run("pursuit")))
    fast = policy.student.fast_dtype
    print(f"pursuit, shipped adapter, fast copy in {fast}, {chosen.threads} torch threads, {policy.student.rows} "
          f"prompts per forward, load average before {load_before[0]:.2f}")  # fmt: skip
    try:
        # The reference: the path as it was before fast scoring, one episode after another, the student itself
        # (fp32, LoRA as separate products). Every other run's choices are compared with its choices.
        policy.student.score_fast(None)
        play(task, policy, [args.seed], 0)  # warm up: prefix caches, lazy imports
        reference_run, reference = measure(task, policy, "reference", 0, args.episodes, args.seed, args.replay)
        policy.student.score_fast(fast)
        play(task, policy, [args.seed], 0)  # warm up the fast copy
        sequential, probe = measure(task, policy, "sequential", 0, args.episodes, args.seed, args.replay)
        compare(sequential, probe, reference)
        runs = [reference_run, sequential]
        for b in batches:
            run, probe = measure(task, policy, "lockstep", b, max(b, args.episodes), args.seed, args.replay)
            compare(run, probe, reference)
            runs.append(run)
        checked = policy.student.fast
        print_table(runs, reference_run, sequential)
        if checked is not None and checked.needs_check:
            print(
                f"\nrows scored by the fast copy: {checked.rows_scored}, "
                f"scored again in fp32 (close calls): {checked.checked}"
            )
        loaded = []
        if args.load_episodes:
            for label, b in (("sequential", 0), ("lockstep", args.load_batch)):
                n = max(b, args.load_episodes)
                alone, _ = measure(task, policy, label, b, n, args.seed, 0)
                with competitor():
                    busy, _ = measure(task, policy, label, b, n, args.seed, 0)
                loaded.append({"label": label, "batch": b or 1, "episodes": n, "alone_decisions_per_s":
                               alone.decisions_per_s, "loaded_decisions_per_s": busy.decisions_per_s,
                               "ratio": busy.decisions_per_s / alone.decisions_per_s})  # fmt: skip
            print("\nbeside one CPU-heavy process (numpy, one core):")
            for row in loaded:
                print(f"  {row['label']} B={row['batch']}: {row['alone_decisions_per_s']:.2f} dec/s alone, "
                      f"{row['loaded_decisions_per_s']:.2f} loaded ({row['ratio']:.0%})")  # fmt: skip
    finally:
        policy.close()
    load_after = os.getloadavg()
    print(f"\nload average before {load_before[0]:.2f}, after {load_after[0]:.2f} on {compute.available_cpus()} CPUs "
          "(above ~0.5 before the run, other jobs shared the machine)")  # fmt: skip
    if args.json:
        table = {
            "task": "pursuit",
            "threads": chosen.threads,
            "fast_dtype": str(fast),
            "rows": policy.student.rows,
            "cpus": compute.available_cpus(),
            "load_average_before": load_before,
            "load_average_after": load_after,
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
            "machine": platform.processor() or platform.machine(),
            "runs": [r.row() for r in runs],
            "under_load": loaded,
        }
        with open(args.json, "w") as fh:
            json.dump(table, fh, indent=2)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
