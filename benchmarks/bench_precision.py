"""Held-out selection of the shipped pursuit adapter scored four ways on this CPU: accuracy, agreement, speed.

Rebuilds the run's own held-out examples (the teacher program's traces on the held-out maps, sampled as
``distill`` samples them) and scores them with the student itself (fp32, LoRA as separate products: the
reference), with the folded copy in fp32, in bf16 alone, and in bf16 with close calls scored again in fp32
(student/fast.py; what ``--dtype auto`` does on a CPU with native bf16). For each it prints the held-out
accuracy, how many choices differ from the reference, the largest log-probability gap and the time per
example.

    python benchmarks/bench_precision.py [--episodes 100] [--examples 200] [--rows 8,32] [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time

import numpy as np
import torch

from logicdistill import settings
from logicdistill.agent.candidates import CandidateBuilder
from logicdistill.agent.session import FunctionBaseSession
from logicdistill.agent.teacher_program import TeacherProgramPolicy
from logicdistill.distillation.config import DistillConfig
from logicdistill.distillation.dataset import balanced_sample, trace_examples
from logicdistill.distillation.mixture import HELDOUT_SEED_OFFSET, gather
from logicdistill.student import model as student_model
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
    chosen = settings.resolve("cpu", args.threads)
    task = get_task("pursuit")
    record = DistilledStudent.load(shipped_run("pursuit"))
    examples = heldout_examples(task, record, args.episodes, args.examples)
    gold = np.array([e.gold for e in examples])
    rows = [int(r) for r in args.rows.split(",")]
    student = record.load_student()  # fp32: the reference every other way of scoring is compared with
    table, picks_by = [], {}
    for name, dtype, checked in MODES:
        student.score_fast(dtype)
        with _checks(checked):
            for r in rows:
                picks, seconds = score(student, examples, r)
                picks_by.setdefault(name, picks)
                acc = float(np.mean([p.index for p in picks] == gold))
                ref = picks_by["reference"]
                differ = sum(x.index != y.index for x, y in zip(picks, ref, strict=True))
                gap = max(float(np.max(np.abs(_log(x.probs) - _log(y.probs)))) for x, y in zip(picks, ref, strict=True))
                again = student.fast.checked if student.fast is not None else 0
                table.append({"mode": name, "rows": r, "accuracy": acc, "ms_per_example": 1000 * seconds,
                              "choices_differ": differ, "max_logprob_gap": gap, "checked_rows": again})  # fmt: skip
                print(f"{name:<26} rows={r:<3} held-out accuracy {acc:.3f} over {len(examples)}, "
                      f"{1000 * seconds:6.1f} ms/example, {differ} choices differ from the reference, "
                      f"largest log-probability gap {gap:.3f}, rows scored again {again}", flush=True)  # fmt: skip
    print(f"{chosen.threads} threads; load average {__import__('os').getloadavg()[0]:.2f}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"examples": len(examples), "runs": table}, fh, indent=2)


MODES = (
    ("reference", None, True),  # the student itself: fp32, LoRA as separate products
    ("folded fp32", torch.float32, True),
    ("folded bf16, unchecked", torch.bfloat16, False),
    ("folded bf16 (auto here)", torch.bfloat16, True),
)


@contextlib.contextmanager
def _checks(on: bool):
    """With ``on`` False, no close call is scored again (what bf16 alone would choose)."""
    if on:
        yield
        return
    original = student_model.close_call
    student_model.close_call = lambda log_probs: False
    try:
        yield
    finally:
        student_model.close_call = original


def _log(probs: np.ndarray) -> np.ndarray:
    return np.log(probs + 1e-30)


if __name__ == "__main__":
    main()
