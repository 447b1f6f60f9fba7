"""``teacher-direct``: the teacher LLM picks every action itself (only with a live endpoint).

The baseline LD is measured against for cost: one teacher request per decision instead of one per rule.
A reply that names no action falls back to the task's fallback action and counts as an invalid call.
"""

from __future__ import annotations

from typing import Any

from logicdistill.errors import UserError
from logicdistill.llm.prompts import render_prompt
from logicdistill.llm.spec import make_client, parse_teacher_spec
from logicdistill.tasks.base import Policy, Task
from logicdistill.text import name_in_text


class TeacherDirectPolicy(Policy):
    name = "teacher-direct"

    def __init__(self, task: Task, teacher: str = "recorded", client: Any = None):
        if client is None and parse_teacher_spec(teacher).kind != "openai":
            raise UserError("teacher-direct asks a live teacher for every action: pass --teacher openai:MODEL[@URL]")
        self.task = task
        self.client = client or make_client(teacher)
        self.env: Any = None
        self.invalid_calls = 0

    def reset(self, env: Any, seed: int) -> None:
        self.env = env

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        choices = self.task.action_choices(self.env)
        prompt = render_prompt(
            "act_direct",
            rules=self.task.rules_text(),
            state=self.task.describe(self.env),
            actions="\n".join(choices),
        )
        name = name_in_text(self.client.chat([{"role": "user", "content": prompt}]), list(choices))
        if name is None:
            self.invalid_calls += 1
            return self.task.fallback_action(self.env)
        return choices[name]

    def metrics(self) -> dict[str, float]:
        return {"invalid_calls": float(self.invalid_calls)}
