"""Held-out selection of the shipped pursuit adapter in fp32 vs bf16 on this CPU: accuracy, agreement, speed.

Rebuilds the run's own held-out examples (the teacher program's traces on the held-out maps, sampled as
``distill`` samples them), scores them with the student in fp32 and in bf16, and prints the accuracy of
each, how many choices differ, the largest log-probability gap and the time per example. bf16 is worth
offering (``--dtype bf16``) only where the choices hold.

    python benchmarks/bench_precision.py [--episodes 100] [--examples 200] [--rows 8,32] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from logicdistill import compute
from logicdistill.agent.candidates import CandidateBuilder
from logicdistill.agent.session import FunctionBaseSession
from logicdistill.agent.teacher_program import TeacherProgramPolicy
from logicdistill.distillation.config import DistillConfig
from logicdistill.distillation.dataset import balanced_sample, trace_examples
from logicdistill.distillation.mixture import HELDOUT_SEED_OFFSET, gather
from logicdistill.student.runs import DistilledStudent, shipped_run
from logicdistill.tasks import get_task


def heldout_examples(task, record: DistilledStudent, episodes: int | None, examples: int | None) -> list:
    config = DistillConfig.from_dict(record.config)
    session = FunctionBaseSession(task)
    policy = TeacherProgramPolicy(task, session=session)
    try:
        first = HELDOUT_SEED_OFFSET + config.seed * 1000
        n = episodes or config.heldout_episodes
        traces = gather(task, policy, task.distill_splits()["heldout"], n, first, False, None)
        builder = CandidateBuilder(task, session.base, config.k, config.retriever, config.embedder)
    finally:
        policy.close()
    held = balanced_sample(traces, examples or config.heldout_examples, config.seed + 1)
    return trace_examples(builder, held, config.seed + 1).examples


def score(student, examples: list, rows: int) -> tuple[list, float]:
    student.select_batch(examples[:2], batch_size=rows)  # warm up (prefix caches)
    start = time.perf_counter()
    picks = student.select_batch(examples, batch_size=rows)
    return picks, (time.perf_counter() - start) / len(examples)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, help="held-out teacher episodes per map (default: the run's)")
    ap.add_argument("--examples", type=int, help="held-out examples (default: the run's)")
    ap.add_argument("--rows", default="8,32", help="prompts per forward pass to time")
    ap.add_argument("--threads", type=int)
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args()
    chosen = compute.resolve("cpu", args.threads, 1)
    task = get_task("pursuit")
    record = DistilledStudent.load(shipped_run("pursuit"))
    examples = heldout_examples(task, record, args.episodes, args.examples)
    gold = np.array([e.gold for e in examples])
    rows = [int(r) for r in args.rows.split(",")]
    table, picks_by = [], {}
    for name, dtype in (("fp32", torch.float32), ("bf16", torch.bfloat16)):
        student = record.load_student(dtype=dtype)
        for r in rows:
            picks, seconds = score(student, examples, r)
            picks_by.setdefault(name, picks)
            acc = float(np.mean([p.index for p in picks] == gold))
            table.append({"dtype": name, "rows": r, "accuracy": acc, "ms_per_example": 1000 * seconds})
            print(f"{name} rows={r}: held-out accuracy {acc:.3f} over {len(examples)}, {1000 * seconds:.1f} ms/example",
                  flush=True)  # fmt: skip
    a, b = picks_by["fp32"], picks_by["bf16"]
    differ = sum(x.index != y.index for x, y in zip(a, b, strict=True))
    gap = max(
        float(np.max(np.abs(np.log(x.probs + 1e-30) - np.log(y.probs + 1e-30)))) for x, y in zip(a, b, strict=True)
    )
    print(f"bf16 vs fp32: {differ} of {len(examples)} choices differ; largest log-probability gap {gap:.3f}")
    print(f"{chosen.threads} threads; load average {__import__('os').getloadavg()[0]:.2f}")
    if args.json:
        out = {"examples": len(examples), "choices_differ": differ, "max_logprob_gap": gap, "runs": table}
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2)


if __name__ == "__main__":
    main()
