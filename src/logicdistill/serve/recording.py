"""An episode played by ``logicdistill play`` recorded step by step, for ``play --html FILE``.

The frames have the shape of the live viewer's step answers (serve/episodes.py), so the one page draws both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logicdistill.files import write_atomic
from logicdistill.serve import page
from logicdistill.serve.answers import jsonable, stage_answer
from logicdistill.serve.board import board
from logicdistill.tasks.base import Policy, Task


@dataclass
class Recorder:
    task: Task
    policy_name: str
    policy: Policy
    seed: int
    frames: list[dict[str, Any]] = field(default_factory=list)
    total: float = 0.0
    _adopted: int = 0

    def on_step(self, t: int, action: Any, env: Any, reward: float, info: dict[str, Any], done: bool) -> None:
        self.total += reward
        records = list(getattr(self.policy, "last_records", []) or []) if t else []
        session = getattr(self.policy, "session", None)
        adoptions = list(getattr(session, "adoptions", []) or [])
        new = [n for a in adoptions[self._adopted :] for n in a.new_functions]
        self._adopted = len(adoptions)
        player = {
            "policy": self.policy_name,
            "board": board(self.task, env, done),
            "done": done,
            "total": self.total,
            "rule": self.task.arrived_rules_text(env, info),
            "action": jsonable(action),
            "reward": reward,
            "stages": [stage_answer(r) for r in records],
            "new_functions": new,
        }
        frame = {"episode": "recorded", "task": self.task.name, "seed": self.seed, "step": t, "done": done}
        self.frames.append(frame | {"players": [player]})

    def finish(self, env: Any) -> None:
        """Mark the last frame as the end (a card game shows the dealer's hidden cards then)."""
        if self.frames:
            last = self.frames[-1]
            last["done"] = last["players"][0]["done"] = True
            last["players"][0]["board"] = board(self.task, env, True)

    def write(self, path: str | Path) -> None:
        recorded = {"task": self.task.name, "seed": self.seed, "policies": [self.policy_name], "frames": self.frames}
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, page.render(recorded=recorded))
