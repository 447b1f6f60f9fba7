"""``logicdistill distill``: teacher traces of one task or several, the selection curriculum, LoRA, a run folder.

Several tasks train one adapter on all their traces plus the curriculum (a *universal* student that reads
manuals, for any task and any new rule); ``from_run`` fine-tunes an existing run's adapter instead of a
fresh one. Held-out scoring reports the plain task accuracy (the bar), accuracy by stage, and accuracy per
condition form on held-out curriculum bases (names and facts never seen in training).
"""

from __future__ import annotations

import dataclasses
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from logicdistill.distillation.config import DistillConfig, check_tasks
from logicdistill.distillation.curriculum import Curriculum
from logicdistill.distillation.heldout import by_form, by_group, hits, mean
from logicdistill.distillation.mixture import OVERRIDE_GROUP, TaskShare, say, task_share
from logicdistill.errors import UserError
from logicdistill.functionbase.fingerprint import base_fingerprint
from logicdistill.settings import Settings
from logicdistill.student.runs import DistilledStudent, run_from
from logicdistill.tasks.base import Task

__all__ = ["DistillConfig", "distill"]


def distill(
    task: Task | Sequence[Task],
    config: DistillConfig,
    out_dir: Path,
    progress: bool = True,
    student: Any = None,
    teacher: Any = None,
    base_root: Path | None = None,
    settings: Settings | None = None,
) -> DistilledStudent:
    """Run the whole distillation into ``out_dir``; returns the run record (also written as run.json).

    ``task`` is one task or several (one adapter for all). ``student``, ``teacher`` and ``base_root`` override
    the config's student and teacher (tests use a tiny student and a recorded teacher of their own).
    ``settings``: where the student trains (in fp32 unless its precision is bf16) and how many held-out prompts
    it scores per forward pass (``rows_per_pass``; default: sized for the device)."""
    from logicdistill.student.loading import load_student
    from logicdistill.student.parallel import local_device, ranks
    from logicdistill.student.training import TrainConfig, examples_digest, load_adapter, train_lora

    start = time.perf_counter()
    tasks = [task] if isinstance(task, Task) else list(task)
    names = [t.name for t in tasks]
    check_tasks(config.kind, names)
    config = dataclasses.replace(config, tasks=names)
    origin = run_from(config.from_run) if config.from_run else None
    if origin is not None and student is None and origin.student != config.student:
        raise UserError(f"--from {config.from_run} was distilled on student {origin.student!r}: pass --student too")
    # Under `accelerate launch` every process runs all of this (seeded: the same traces and examples) and
    # shares the training steps; only the first one writes (student/parallel.py).
    settings = settings or Settings(device="cpu")
    device = settings.resolved_device()
    job = ranks(device)
    device = local_device(device)
    progress = progress and job.main
    out_dir.mkdir(parents=True, exist_ok=True)
    mixed = len(tasks) > 1
    shares = [
        task_share(t, config, out_dir, f"{t.name}/" if mixed else "", teacher, base_root, job, progress) for t in tasks
    ]
    examples = [e for s in shares for e in s.examples]
    heldout = [e for s in shares for e in s.heldout]
    groups = [g for s in shares for g in s.groups]
    if config.kind == "ld":
        curriculum = Curriculum()
        forms = config.curriculum_forms
        examples += curriculum.examples(config.synthetic_examples, config.seed, forms)
        extra = curriculum.examples(config.curriculum_heldout, config.seed + 1, bases="heldout")
        heldout, groups = heldout + extra, groups + [""] * len(extra)
    hashes = {k: v for s in shares for k, v in s.hashes.items()}
    hashes["examples"] = examples_digest(examples)

    student = student or load_student(config.student, device, settings.train_dtype)
    if settings.rows_per_pass is not None:
        student.set_rows(settings.rows_per_pass)
    weights_hash = student.weights_hash()
    if origin is not None:  # "before" is the adapter training starts from
        load_adapter(student, origin.adapter_dir)
    plain = [e.form == "" and g != OVERRIDE_GROUP for e, g in zip(heldout, groups, strict=True)]
    before = hits(student, heldout)
    before_plain = mean([h for h, keep in zip(before, plain, strict=True) if keep])
    say(progress, f"held-out accuracy before tuning: {before_plain:.3f}; training on {len(examples)} examples")
    train_config = TrainConfig.of(config)
    result = train_lora(
        student,
        examples,
        train_config,
        out_dir / "train",
        progress=progress,
        stop_after_steps=config.stop_after_steps,
        init_adapter=origin.adapter_dir if origin is not None else None,
        probe_examples=heldout,
        probe_every=config.probe_every,
    )
    after = hits(student, heldout)
    plain_hits = [h for h, keep in zip(after, plain, strict=True) if keep]
    record = DistilledStudent(
        task=names[0] if not mixed else ",".join(names),
        kind=config.kind,
        student=config.student,
        k=config.k,
        retriever=config.retriever,
        embedder=config.embedder,
        base_fingerprint=None if mixed else base_fingerprint(shares[0].base),
        config=asdict(config),
        extra={
            "command": _command(),
            "device": str(student.device),
            "processes": job.world,  # data-parallel processes that trained it (accelerate launch)
            "dtype": str(next(student.model.parameters()).dtype).removeprefix("torch."),
            **_bases(shares, mixed),
            "hashes": hashes,
            "weights_hash": weights_hash,
            "adapter_hash": student.adapter_hash(),
            **(
                {"from_run": str(origin.folder), "from_adapter_hash": origin.extra.get("adapter_hash")}
                if origin
                else {}
            ),
        },
        metrics={
            "heldout_accuracy_before": before_plain,
            "heldout_accuracy": mean(plain_hits),
            "heldout_accuracy_by_stage": by_group(after, groups),
            "heldout_accuracy_by_form": by_form(after, heldout),
            "heldout_accuracy_by_form_before": by_form(before, heldout),
            "heldout_examples": len(plain_hits),
            "train_examples": len(examples),
            "train_steps": result.steps,
            "train_seconds": result.seconds,
            "final_loss": result.final_loss,
            "heldout_probes": [{"step": step, "accuracy": acc} for step, acc in result.probes],
            **_info(shares, mixed),
            "wall_seconds": time.perf_counter() - start,
        },
    )
    if job.main:
        record.save(out_dir)
    job.barrier()
    return record


def _bases(shares: list[TaskShare], mixed: bool) -> dict[str, Any]:
    """The function bases trained on: one task's as before, a mixture's per task."""
    if not mixed:
        base = shares[0].base
        return {"base_version": base.number, "functions": sorted(base.functions)}
    return {
        "tasks": [s.task for s in shares],
        "base_version": {s.task: s.base.number for s in shares},
        "base_fingerprints": {s.task: base_fingerprint(s.base) for s in shares},
        "functions": {s.task: sorted(s.base.functions) for s in shares},
    }


def _info(shares: list[TaskShare], mixed: bool) -> dict[str, Any]:
    """Per-task metrics of the shares: as they are for one task; a mixture's retrieval recall merged (its
    stages are prefixed by task) and its other entries keyed by task."""
    if not mixed:
        return shares[0].info
    out: dict[str, Any] = {"retrieval_recall": {}}
    for share in shares:
        for key, value in share.info.items():
            if key == "retrieval_recall":
                out[key] |= value
            else:
                out.setdefault(key, {})[share.task] = value
    return out


def _command() -> str | None:
    """The command line that ran this distillation, as a user would type it."""
    if len(sys.argv) > 1 and sys.argv[1] == "distill":
        return " ".join(["logicdistill", *sys.argv[1:]])
    return None
