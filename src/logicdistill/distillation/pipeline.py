"""``logicdistill distill``: traces from the teacher's program, synthetic manuals, LoRA, a run folder."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from logicdistill.agent.candidates import CandidateBuilder
from logicdistill.agent.session import FunctionBaseSession
from logicdistill.agent.teacher_program import TeacherProgramPolicy
from logicdistill.distillation.dataset import balanced_sample, trace_examples
from logicdistill.distillation.synthetic import synthetic_examples
from logicdistill.distillation.traces import StageTrace, collect_traces, save_traces
from logicdistill.functionbase.store import write_atomic
from logicdistill.tasks.base import Task

HELDOUT_SEED_OFFSET = 100_000  # held-out episodes never share a seed with training episodes


@dataclass
class DistillConfig:
    student: str = "default"
    teacher: str = "recorded"
    seed: int = 0
    train_episodes: int = 40  # per training environment
    heldout_episodes: int = 20  # per held-out environment
    task_examples: int = 360
    synthetic_examples: int = 360
    heldout_examples: int = 200
    k: int = 4
    retriever: str = "fused"
    embedder: str = "minilm"
    epochs: int = 1
    lr: float = 1e-3
    lora_r: int = 8
    batch_size: int = 4
    stop_after_steps: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def gather(
    task: Task, policy: TeacherProgramPolicy, envs: list[dict[str, Any]], episodes: int, first_seed: int, progress: bool
) -> list[StageTrace]:
    traces = []
    for i, kwargs in enumerate(envs):
        seeds = range(first_seed + i * episodes, first_seed + (i + 1) * episodes)
        traces += collect_traces(task, policy, seeds, kwargs, progress)
    return traces


def distill(
    task: Task,
    config: DistillConfig,
    out_dir: Path,
    progress: bool = True,
    student: Any = None,
    teacher: Any = None,
    base_root: Path | None = None,
) -> dict[str, Any]:
    """Run the whole distillation into ``out_dir``; returns the run record (also written as run.json).

    ``student``, ``teacher`` and ``base_root`` override the config's student and teacher (tests use a tiny
    student and a recorded teacher of their own)."""
    from logicdistill.student.model import load_student
    from logicdistill.student.training import TrainConfig, evaluate, examples_digest, train_lora

    start = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    session = FunctionBaseSession(task, teacher or config.teacher, base_root)
    policy = TeacherProgramPolicy(task, session=session)
    try:
        splits = task.distill_splits()
        _say(progress, f"collecting traces with the teacher's program ({task.name}, base v{session.base.number})")
        train_traces = gather(task, policy, splits["train"], config.train_episodes, config.seed * 1000, progress)
        heldout_traces = gather(
            task, policy, splits["heldout"], config.heldout_episodes, HELDOUT_SEED_OFFSET + config.seed * 1000, progress
        )
        base = session.base
    finally:
        policy.close()
    hashes = {
        "train_traces": save_traces(train_traces, out_dir / "traces" / "train.jsonl"),
        "heldout_traces": save_traces(heldout_traces, out_dir / "traces" / "heldout.jsonl"),
    }
    _say(progress, f"{len(train_traces)} training and {len(heldout_traces)} held-out stage traces; indexing manuals")
    builder = CandidateBuilder(task, base, config.k, config.retriever, config.embedder)
    train_set = trace_examples(builder, balanced_sample(train_traces, config.task_examples, config.seed), config.seed)
    heldout_set = trace_examples(
        builder, balanced_sample(heldout_traces, config.heldout_examples, config.seed + 1), config.seed + 1
    )
    examples = train_set.examples + synthetic_examples(config.synthetic_examples, config.seed)
    hashes["examples"] = examples_digest(examples)

    student = student or load_student(config.student)
    weights_hash = student.weights_hash()
    before = evaluate(student, heldout_set.examples)
    _say(progress, f"held-out selection accuracy before tuning: {before:.3f}; training on {len(examples)} examples")
    train_config = TrainConfig(
        seed=config.seed,
        epochs=config.epochs,
        lr=config.lr,
        lora_r=config.lora_r,
        lora_alpha=2 * config.lora_r,
        batch_size=config.batch_size,
    )
    result = train_lora(
        student, examples, train_config, out_dir / "train", progress=progress, stop_after_steps=config.stop_after_steps
    )
    after = evaluate(student, heldout_set.examples)
    per_stage = _per_stage_accuracy(student, heldout_set)
    record = {
        "task": task.name,
        "student": config.student,
        "command": " ".join(sys.argv) if sys.argv and "logicdistill" in sys.argv[0] else None,
        "config": asdict(config),
        "base_version": base.number,
        "functions": sorted(base.functions),
        "hashes": hashes,
        "weights_hash": weights_hash,
        "adapter_hash": student.adapter_hash(),
        "metrics": {
            "heldout_accuracy_before": before,
            "heldout_accuracy": after,
            "heldout_accuracy_by_stage": per_stage,
            "heldout_examples": len(heldout_set.examples),
            "train_examples": len(examples),
            "task_train_examples": len(train_set.examples),
            "train_steps": result.steps,
            "train_seconds": result.seconds,
            "final_loss": result.final_loss,
            "retrieval_recall": _recall(heldout_set.gold_ranks, config.k),
            "wall_seconds": time.perf_counter() - start,
        },
    }
    write_atomic(out_dir / "run.json", json.dumps(record, indent=2) + "\n")
    return record


def _per_stage_accuracy(student: Any, heldout: Any) -> dict[str, float]:
    picks = student.select_batch(heldout.examples)
    by_stage: dict[str, list[bool]] = {}
    for pick, example, trace in zip(picks, heldout.examples, heldout.traces, strict=True):
        by_stage.setdefault(trace.stage, []).append(pick.index == example.gold)
    return {stage: float(np.mean(v)) for stage, v in by_stage.items()}


def _recall(ranks: list[int | None], k: int) -> dict[str, float]:
    n = max(len(ranks), 1)
    return {f"recall@{j}": sum(1 for r in ranks if r is not None and r <= j) / n for j in range(1, k + 1)}


def _say(progress: bool, message: str) -> None:
    if progress:
        print(f"[distill] {message}", file=sys.stderr)
