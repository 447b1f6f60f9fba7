"""What a distillation does: the settings recorded in every run folder (``run.json`` ``config``)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass
class DistillConfig:
    kind: str = "ld"  # "ld": select functions; "kd": imitate the teacher's actions (the student-kd baseline)
    student: str = "default"
    teacher: str = "recorded"
    rule_teacher: str | None = None  # answers new rules (Eq. 6) if an episode meets one; None: the teacher
    # Several tasks train one adapter on all their traces plus the curriculum (`distill --task a,b,c`);
    # filled with the tasks given to `distill`.
    tasks: list[str] = field(default_factory=list)
    from_run: str | None = None  # `--from RUN|universal`: fine-tune that run's adapter instead of a fresh one
    seed: int = 0
    # The defaults are the recipe of the shipped pursuit adapter (shipped/pursuit/run.json).
    train_episodes: int = 400  # per training environment (stalls are rare: many episodes give enough of them)
    heldout_episodes: int = 100  # per held-out environment
    task_examples: int = 800  # per task
    synthetic_examples: int = 300  # curriculum examples over made-up bases (curriculum.py), all tasks together
    curriculum_forms: list[str] | None = None  # the condition forms trained on (None: all); held-out scores all
    curriculum_heldout: int = 220  # held-out curriculum examples (held-out vocabulary), scored per form
    override_examples: int = 300  # per task: real task states with a made-up rule-override function (overrides.py)
    heldout_examples: int = 200  # per task
    k: int = 4
    retriever: str = "fused"
    embedder: str = "minilm"
    epochs: int = 2
    lr: float = 2e-3
    lr_decay: float = 0.5  # lr of epoch e: lr * lr_decay**e (1 epoch at 2e-3 underfit; a 2nd at 2e-3 diverged)
    lora_r: int = 8
    batch_size: int = 4
    length_window: int = 0  # > 0: batches of similar prompt length from windows of this many examples (training.py)
    repeat_rare: bool = False  # repeat traces of rare choices up to an even share (tried: hurt, see notes)
    shuffle_candidates: bool = True  # shuffle candidate order in training prompts (so position teaches nothing)
    stop_after_steps: int | None = None
    probe_every: int = 0  # score every held-out example each N training steps (0: only before and after)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DistillConfig:
        """A config from a run.json ``config`` or the command's options (keys it does not know are ignored)."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def check_tasks(kind: str, tasks: list[str]) -> None:
    """What distils at all: one or more distinct tasks, and ``kd`` (action imitation) one task at a time."""
    from logicdistill.errors import UserError

    if not tasks or len(set(tasks)) != len(tasks):
        raise UserError(f"distill needs one or more distinct tasks, got {tasks}")
    if kind == "kd" and len(tasks) > 1:
        raise UserError("--kind kd distils one task at a time")
