"""One task's share of a distillation: its teacher traces, training examples and held-out examples.

``distill`` trains one adapter on the shares of every task it is given (plus the curriculum), so a single
student serves them all; each share is built here the same way whether it trains alone or in a mixture.
With several tasks, everything a share names (trace files, hashes, stage groups) is prefixed ``task/``.
"""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from logicdistill.agent.candidates import CandidateBuilder
from logicdistill.agent.prompting import manual_line, state_block
from logicdistill.agent.session import FunctionBaseSession
from logicdistill.agent.teacher_program import TeacherProgramPolicy
from logicdistill.distillation.config import DistillConfig
from logicdistill.distillation.dataset import balanced_sample, trace_examples
from logicdistill.distillation.heldout import recall
from logicdistill.distillation.overrides import override_examples
from logicdistill.distillation.traces import ActionTrace, StageTrace, collect_traces, save_traces
from logicdistill.student.examples import SelectionExample
from logicdistill.tasks.base import Task

HELDOUT_SEED_OFFSET = 100_000  # held-out episodes never share a seed with training episodes
OVERRIDE_GROUP = "rule_override"  # held-out override examples, scored apart from the plain stages


@dataclass
class TaskShare:
    """What one task adds: training examples, held-out examples with their group, metrics, trace hashes."""

    task: str
    base: Any
    examples: list[SelectionExample]
    heldout: list[SelectionExample]
    groups: list[str]  # per held-out example: its stage (prefixed in a mixture), or OVERRIDE_GROUP
    info: dict[str, Any] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)


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


def task_share(
    task: Task,
    config: DistillConfig,
    out_dir: Path,
    prefix: str,
    teacher: Any,
    base_root: Path | None,
    job: Any,
    progress: bool,
) -> TaskShare:
    """Collect the task's traces with its teacher's program and build its examples. ``prefix`` ("" alone,
    "task/" in a mixture) names its files and groups; ``job``: the processes (the first one writes)."""
    with job.main_first():  # the first process builds the function base if needed, the others find it
        session = FunctionBaseSession(task, teacher or config.teacher, base_root, rule_teacher_spec=config.rule_teacher)
    policy = TeacherProgramPolicy(task, session=session)
    kd = config.kind == "kd"
    train_actions: list[ActionTrace] | None = [] if kd else None
    heldout_actions: list[ActionTrace] | None = [] if kd else None
    try:
        splits = task.distill_splits()
        say(progress, f"collecting traces with the teacher's program ({task.name}, base v{session.base.number})")
        first = config.seed * 1000
        train = gather(task, policy, splits["train"], config.train_episodes, first, progress, train_actions)
        held_first = HELDOUT_SEED_OFFSET + first
        heldout = gather(
            task, policy, splits["heldout"], config.heldout_episodes, held_first, progress, heldout_actions
        )
    finally:
        policy.close()
    folder = out_dir / "traces" / prefix.rstrip("/") if prefix else out_dir / "traces"
    hashes = {
        f"{prefix}train_traces": save_traces(train, folder / "train.jsonl", write=job.main),
        f"{prefix}heldout_traces": save_traces(heldout, folder / "heldout.jsonl", write=job.main),
    }
    say(progress, f"{task.name}: {len(train)} training and {len(heldout)} held-out stage traces")
    if kd:
        hashes[f"{prefix}train_actions"] = save_traces(train_actions, folder / "train_actions.jsonl", write=job.main)
        share = kd_share(task, config, train_actions, heldout_actions)
    else:
        share = ld_share(task, config, session.base, train, heldout, session.teacher, prefix, progress)
    share.hashes, share.base = hashes, session.base
    return share


def ld_share(
    task: Task,
    config: DistillConfig,
    base: Any,
    train: list[StageTrace],
    heldout: list[StageTrace],
    teacher: Any,
    prefix: str = "",
    progress: bool = False,
) -> TaskShare:
    builder = CandidateBuilder(task, base, config.k, config.retriever, config.embedder)
    train_sample = balanced_sample(train, config.task_examples, config.seed, repeat_rare=config.repeat_rare)
    if teacher.asks_labels:
        say(progress, f"asking the teacher {teacher.name} for {len(train_sample)} labels: one request per trace")
    sample, agreement = teacher_labels(task, teacher, builder, train_sample, progress)
    train_set = trace_examples(builder, sample, config.seed, shuffle=config.shuffle_candidates)
    held = balanced_sample(heldout, config.heldout_examples, config.seed + 1)
    held_set = trace_examples(builder, held, config.seed + 1)
    overrides = [
        dataclasses.replace(e, form=OVERRIDE_GROUP)
        for e in override_examples(builder, sample, config.override_examples, config.seed)
    ]
    # recall@k per stage over every held-out trace (not just the scored sample)
    all_held = trace_examples(builder, heldout, config.seed + 2)
    ranks = list(zip(all_held.gold_ranks, heldout, strict=True))
    stages = sorted({t.stage for t in heldout})
    by_stage = {f"{prefix}{s}": recall([r for r, t in ranks if t.stage == s], config.k) for s in stages}
    info = {"retrieval_recall": by_stage, "teacher_label_agreement": agreement}
    held_examples, groups = held_set.examples, [f"{prefix}{t.stage}" for t in held]
    if config.override_examples:  # scored apart: the held-out accuracy bar is about the plain task
        n = max(config.heldout_examples // 2, 1)
        extra = override_examples(builder, held, n, config.seed + 1)
        held_examples = held_examples + [dataclasses.replace(e, form=OVERRIDE_GROUP) for e in extra]
        groups = groups + [OVERRIDE_GROUP] * n
    return TaskShare(task.name, base, train_set.examples + overrides, held_examples, groups, info)


def teacher_labels(
    task: Task, teacher: Any, builder: CandidateBuilder, traces: list[StageTrace], progress: bool = False
):
    """Relabel traces with a live teacher's own per-state choices (Eq. 3 labels); the recorded teacher has none,
    so its usage program's choices stand. Returns the traces and the teacher's agreement with its program."""
    labelled, agree, asked = [], 0, 0
    bar = tqdm(traces, desc="teacher labels", unit="req", disable=not (progress and teacher.asks_labels), leave=False)
    for trace in bar:
        names = builder.allowed(builder.stage_of(trace.stage))
        manuals = [(n, manual_line(builder.functions[n])) for n in names]
        previous = trace.results[-1][1] if trace.results else ""
        state = state_block(trace.state_text, trace.state_facts)
        label = teacher.label_selection(task, trace.stage, manuals, state, previous)
        if label is None:
            labelled.append(trace)
            continue
        asked += 1
        agree += label == trace.gold
        labelled.append(dataclasses.replace(trace, gold=label))
    return labelled, (agree / asked if asked else None)


def kd_share(task: Task, config: DistillConfig, train: list[ActionTrace], heldout: list[ActionTrace]) -> TaskShare:
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
    held = examples(pick(heldout, config.heldout_examples))
    return TaskShare(task.name, None, examples(pick(train, n_train)), held, [""] * len(held), {"retrieval_recall": {}})


def say(progress: bool, message: str) -> None:
    if progress:
        print(f"[distill] {message}", file=sys.stderr)
