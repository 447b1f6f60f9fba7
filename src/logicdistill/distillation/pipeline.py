"""``logicdistill distill``: traces from the teacher's program, synthetic manuals, LoRA, a run folder."""

from __future__ import annotations

import dataclasses
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from logicdistill.agent.candidates import CandidateBuilder
from logicdistill.agent.prompting import facts_text, manual_line
from logicdistill.agent.session import FunctionBaseSession
from logicdistill.agent.teacher_program import TeacherProgramPolicy
from logicdistill.distillation.dataset import balanced_sample, trace_examples
from logicdistill.distillation.overrides import override_examples
from logicdistill.distillation.synthetic import synthetic_examples
from logicdistill.distillation.traces import ActionTrace, StageTrace, collect_traces, save_traces
from logicdistill.functionbase.fingerprint import base_fingerprint
from logicdistill.student.runs import DistilledStudent
from logicdistill.tasks.base import Task

HELDOUT_SEED_OFFSET = 100_000  # held-out episodes never share a seed with training episodes
OVERRIDE_GROUP = "rule_override"  # held-out override examples, scored apart from the plain stages


@dataclass
class DistillConfig:
    kind: str = "ld"  # "ld": select functions; "kd": imitate the teacher's actions (the student-kd baseline)
    student: str = "default"
    teacher: str = "recorded"
    rule_teacher: str | None = None  # answers new rules (Eq. 6) if an episode meets one; None: the teacher
    seed: int = 0
    # The defaults are the recipe of the shipped pursuit adapter (shipped/pursuit/run.json).
    train_episodes: int = 400  # per training environment (stalls are rare: many episodes give enough of them)
    heldout_episodes: int = 100  # per held-out environment
    task_examples: int = 800
    synthetic_examples: int = 300
    override_examples: int = 300  # real task states with a made-up rule-override function (see overrides.py)
    heldout_examples: int = 200
    k: int = 4
    retriever: str = "fused"
    embedder: str = "minilm"
    epochs: int = 2
    lr: float = 2e-3
    lr_decay: float = 0.5  # lr of epoch e: lr * lr_decay**e (1 epoch at 2e-3 underfit; a 2nd at 2e-3 diverged)
    lora_r: int = 8
    batch_size: int = 4
    repeat_rare: bool = False  # repeat traces of rare choices up to an even share (tried: hurt, see notes)
    shuffle_candidates: bool = True  # shuffle candidate order in training prompts (so position teaches nothing)
    stop_after_steps: int | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DistillConfig:
        """A config from a run.json ``config`` (keys this version does not know are ignored)."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def gather(
    task: Task,
    policy: TeacherProgramPolicy,
    envs: list[dict[str, Any]],
    episodes: int,
    first_seed: int,
    progress: bool,
    actions: list[ActionTrace] | None,
) -> list[StageTrace]:
    """Stage traces (and action traces into ``actions``) of ``episodes`` episodes per environment."""
    traces = []
    for i, kwargs in enumerate(envs):
        seeds = range(first_seed + i * episodes, first_seed + (i + 1) * episodes)
        traces += collect_traces(task, policy, seeds, kwargs, progress, actions)
    return traces


def distill(
    task: Task,
    config: DistillConfig,
    out_dir: Path,
    progress: bool = True,
    student: Any = None,
    teacher: Any = None,
    base_root: Path | None = None,
    device: str = "cpu",
    rows: int | None = None,
    dtype: str = "auto",
) -> DistilledStudent:
    """Run the whole distillation into ``out_dir``; returns the run record (also written as run.json).

    ``student``, ``teacher`` and ``base_root`` override the config's student and teacher (tests use a tiny
    student and a recorded teacher of their own). ``device`` is where the student trains (bf16 on CUDA),
    ``rows`` the held-out prompts scored per forward pass (default: the student's, sized for its device)."""
    from logicdistill.compute import Compute
    from logicdistill.student.loading import load_student
    from logicdistill.student.parallel import local_device, ranks
    from logicdistill.student.training import TrainConfig, evaluate, examples_digest, train_lora

    start = time.perf_counter()
    # Under `accelerate launch` every process runs all of this (seeded: the same traces and examples) and
    # shares the training steps; only the first one writes (student/parallel.py).
    job = ranks(device)
    device = local_device(device)
    progress = progress and job.main
    out_dir.mkdir(parents=True, exist_ok=True)
    with job.main_first():  # the first process builds the function base if needed, the others find it
        session = FunctionBaseSession(task, teacher or config.teacher, base_root, rule_teacher_spec=config.rule_teacher)
    policy = TeacherProgramPolicy(task, session=session)
    kd = config.kind == "kd"
    train_actions: list[ActionTrace] | None = [] if kd else None
    heldout_actions: list[ActionTrace] | None = [] if kd else None
    try:
        splits = task.distill_splits()
        _say(progress, f"collecting traces with the teacher's program ({task.name}, base v{session.base.number})")
        first = config.seed * 1000
        train_traces = gather(task, policy, splits["train"], config.train_episodes, first, progress, train_actions)
        heldout_traces = gather(
            task,
            policy,
            splits["heldout"],
            config.heldout_episodes,
            HELDOUT_SEED_OFFSET + first,
            progress,
            heldout_actions,
        )
        base = session.base
    finally:
        policy.close()
    hashes = {
        "train_traces": save_traces(train_traces, out_dir / "traces" / "train.jsonl", write=job.main),
        "heldout_traces": save_traces(heldout_traces, out_dir / "traces" / "heldout.jsonl", write=job.main),
    }
    if kd:
        path = out_dir / "traces" / "train_actions.jsonl"
        hashes["train_actions"] = save_traces(train_actions, path, write=job.main)
    _say(progress, f"{len(train_traces)} training and {len(heldout_traces)} held-out stage traces")
    if kd:
        examples, heldout, groups, info = _kd_examples(task, config, train_actions, heldout_actions)
    else:
        examples, heldout, groups, info = _ld_examples(
            task, config, base, train_traces, heldout_traces, session.teacher, progress
        )
    hashes["examples"] = examples_digest(examples)

    student = student or load_student(config.student, device, Compute(device, precision=dtype).dtype)
    if rows is not None:
        student.rows = rows
    weights_hash = student.weights_hash()
    plain = [g != OVERRIDE_GROUP for g in groups] if groups else [True] * len(heldout)
    before = evaluate(student, [e for e, keep in zip(heldout, plain, strict=True) if keep])
    _say(progress, f"held-out accuracy before tuning: {before:.3f}; training on {len(examples)} examples")
    train_config = TrainConfig(
        seed=config.seed,
        epochs=config.epochs,
        lr=config.lr,
        lr_decay=config.lr_decay,
        lora_r=config.lora_r,
        lora_alpha=2 * config.lora_r,
        batch_size=config.batch_size,
    )
    result = train_lora(
        student, examples, train_config, out_dir / "train", progress=progress, stop_after_steps=config.stop_after_steps
    )
    picks = student.select_batch(heldout)
    hits = [p.index == e.gold for p, e in zip(picks, heldout, strict=True)]
    plain_hits = [h for h, keep in zip(hits, plain, strict=True) if keep]
    record = DistilledStudent(
        task=task.name,
        kind=config.kind,
        student=config.student,
        k=config.k,
        retriever=config.retriever,
        embedder=config.embedder,
        base_fingerprint=base_fingerprint(base),
        config=asdict(config),
        extra={
            "command": _command(),
            "device": str(student.device),
            "processes": job.world,  # data-parallel processes that trained it (accelerate launch)
            "dtype": str(next(student.model.parameters()).dtype).removeprefix("torch."),
            "base_version": base.number,
            "functions": sorted(base.functions),
            "hashes": hashes,
            "weights_hash": weights_hash,
            "adapter_hash": student.adapter_hash(),
        },
        metrics={
            "heldout_accuracy_before": before,
            "heldout_accuracy": float(np.mean(plain_hits)) if plain_hits else float("nan"),
            "heldout_accuracy_by_stage": _by_group(hits, groups),
            "heldout_examples": len(plain_hits),
            "train_examples": len(examples),
            "train_steps": result.steps,
            "train_seconds": result.seconds,
            "final_loss": result.final_loss,
            **info,
            "wall_seconds": time.perf_counter() - start,
        },
    )
    if job.main:
        record.save(out_dir)
    job.barrier()
    return record


def _ld_examples(
    task: Task,
    config: DistillConfig,
    base: Any,
    train: list[StageTrace],
    heldout: list[StageTrace],
    teacher: Any,
    progress: bool = False,
):
    builder = CandidateBuilder(task, base, config.k, config.retriever, config.embedder)
    train_sample = balanced_sample(train, config.task_examples, config.seed, repeat_rare=config.repeat_rare)
    if teacher.asks_labels:
        _say(progress, f"asking the teacher {teacher.name} for {len(train_sample)} labels: one request per trace")
    sample, agreement = teacher_labels(task, teacher, builder, train_sample, progress)
    train_set = trace_examples(builder, sample, config.seed, shuffle=config.shuffle_candidates)
    held = balanced_sample(heldout, config.heldout_examples, config.seed + 1)
    held_set = trace_examples(builder, held, config.seed + 1)
    examples = (
        train_set.examples
        + override_examples(builder, sample, config.override_examples, config.seed)
        + synthetic_examples(config.synthetic_examples, config.seed)
    )
    # recall@k per stage over every held-out trace (not just the scored sample)
    all_held = trace_examples(builder, heldout, config.seed + 2)
    recall = {
        stage: _recall([r for r, t in zip(all_held.gold_ranks, heldout, strict=True) if t.stage == stage], config.k)
        for stage in sorted({t.stage for t in heldout})
    }
    info = {"retrieval_recall": recall, "teacher_label_agreement": agreement}
    held_examples, groups = held_set.examples, [t.stage for t in held]
    if config.override_examples:  # scored apart: the held-out accuracy bar is about the plain task
        n = max(config.heldout_examples // 2, 1)
        held_examples = held_examples + override_examples(builder, held, n, config.seed + 1)
        groups = groups + [OVERRIDE_GROUP] * n
    return examples, held_examples, groups, info


def teacher_labels(
    task: Task, teacher: Any, builder: CandidateBuilder, traces: list[StageTrace], progress: bool = False
):
    """Relabel traces with a live teacher's own per-state choices (Eq. 3 labels); the recorded teacher has none,
    so its usage program's choices stand. Returns the traces and the teacher's agreement with its program."""
    labelled, agree, asked = [], 0, 0
    bar = tqdm(traces, desc="teacher labels", unit="req", disable=not (progress and teacher.asks_labels), leave=False)
    for trace in bar:
        names = [n for n in sorted(builder.active) if trace.stage in builder.functions[n].manual.stages]
        manuals = [(n, manual_line(builder.functions[n])) for n in names]
        previous = trace.results[-1][1] if trace.results else ""
        state = f"{trace.state_text}\nFacts: {facts_text(trace.state_facts)}"
        label = teacher.label_selection(task, trace.stage, manuals, state, previous)
        if label is None:
            labelled.append(trace)
            continue
        asked += 1
        agree += label == trace.gold
        labelled.append(dataclasses.replace(trace, gold=label))
    return labelled, (agree / asked if asked else None)


def _kd_examples(task: Task, config: DistillConfig, train: list[ActionTrace], heldout: list[ActionTrace]):
    """Classic KD: the teacher's action from the state text, no functions (the student-kd baseline)."""
    from logicdistill.agent.prompting import action_example

    env = task.make_env()
    names = sorted(task.action_choices(env))
    env.close()
    rng = np.random.default_rng([config.seed, 17])

    def pick(traces: list[ActionTrace], n: int) -> list[ActionTrace]:
        idx = rng.permutation(len(traces))[:n]
        return [traces[i] for i in sorted(idx)]

    def examples(traces: list[ActionTrace]) -> list[Any]:
        return [action_example(task.description, names, t.state_text, t.state_facts, t.action) for t in traces]

    n_train = config.task_examples + config.synthetic_examples
    return (
        examples(pick(train, n_train)),
        examples(pick(heldout, config.heldout_examples)),
        None,
        {"retrieval_recall": {}},
    )


def _by_group(hits: list[bool], groups: list[str] | None) -> dict[str, float]:
    if not groups:
        return {}
    out: dict[str, list[bool]] = {}
    for hit, group in zip(hits, groups, strict=True):
        out.setdefault(group, []).append(hit)
    return {g: float(np.mean(v)) for g, v in sorted(out.items())}


def _recall(ranks: list[int | None], k: int) -> dict[str, float]:
    n = max(len(ranks), 1)
    return {f"recall@{j}": sum(1 for r in ranks if r is not None and r <= j) / n for j in range(1, k + 1)}


def _command() -> str | None:
    """The command line that ran this distillation, as a user would type it."""
    if len(sys.argv) > 1 and sys.argv[1] == "distill":
        return " ".join(["logicdistill", *sys.argv[1:]])
    return None


def _say(progress: bool, message: str) -> None:
    if progress:
        print(f"[distill] {message}", file=sys.stderr)
