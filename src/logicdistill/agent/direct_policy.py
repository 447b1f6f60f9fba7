"""Baselines without functions: the student picks a raw action from the state text.

``student-direct`` is the untuned student; ``student-kd`` is the student fine-tuned on the teacher's actions
(classic knowledge distillation, ``distill --kind kd``). Both score the task's named actions as candidates,
so they too can never emit an invalid action: what they lack is the functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from logicdistill.agent.prompting import action_example
from logicdistill.settings import Settings
from logicdistill.student.deciding import decision_student
from logicdistill.student.runs import resolve_run
from logicdistill.tasks.base import Policy, Task


class DirectPolicy(Policy):
    def __init__(
        self,
        task: Task,
        tuned: bool = False,
        run: str | None = None,
        student: Any = None,
        settings: Settings | None = None,
    ):
        self.task = task
        self.name = "student-kd" if tuned else "student-direct"
        record = resolve_run(f"{task.name}-kd", run, kind="kd") if tuned else None
        self.student = decision_student(record, settings or Settings(), student)
        self.env: Any = None
        self.entropies: list[float] = []

    def reset(self, env: Any, seed: int) -> None:
        self.env = env

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        choices = self.task.action_choices(self.env)
        names = sorted(choices)
        state_text, facts = self.task.state_text(self.env), self.task.state_facts(self.env)
        example = action_example(self.task.description, names, state_text, facts)
        selection = self.student.select(example)
        self.entropies.append(selection.entropy_bits)
        return choices[selection.name]

    def metrics(self) -> dict[str, float]:
        return {
            "mean_entropy_bits": float(np.mean(self.entropies)) if self.entropies else float("nan"),
            "invalid_calls": 0.0,
        }
