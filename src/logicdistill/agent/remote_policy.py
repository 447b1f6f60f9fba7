"""``remote:URL``: a policy that asks a ``logicdistill serve`` server for every decision.

It sends the task's state JSON and plays the action the server answers (the task's fallback when the server
says no stage produced one, as the local policy would), so ``eval --policy remote:URL,ld`` compares a served
agent with a local one on the same paired seeds. ``remote:URL#POLICY`` asks the server for one of its other
policies. ``play`` prints the server's stages.
"""

from __future__ import annotations

import json
import time
from typing import Any

from logicdistill.client import Client
from logicdistill.errors import UserError
from logicdistill.tasks.base import Policy, Task

PREFIX = "remote:"


def parse_remote(name: str) -> tuple[str, str | None]:
    """``remote:URL[#POLICY]`` -> (URL, POLICY or None); a UserError for a name with no URL."""
    spec = name[len(PREFIX) :]
    url, _, policy = spec.partition("#")
    if not url.strip():
        raise UserError(f"policy {name!r}: want remote:URL (e.g. remote:http://127.0.0.1:8000), or remote:URL#POLICY")
    Client(url)  # checks the URL's form
    return url, policy or None


class RemotePolicy(Policy):
    def __init__(self, task: Task, name: str, api_key: str | None = None, timeout: float = 60.0):
        url, self.remote_policy = parse_remote(name)
        self.task, self.name = task, name
        self.client = Client(url, api_key, timeout)
        self.env: Any = None
        self.last_answer: dict[str, Any] | None = None
        self.seconds: list[float] = []
        self.fallbacks = 0

    def reset(self, env: Any, seed: int) -> None:
        self.env = env

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        state = json.loads(json.dumps(self.task.state_json(self.env)))
        start = time.perf_counter()
        self.last_answer = self.client.decide(state, self.task.name, self.remote_policy)
        self.seconds.append(time.perf_counter() - start)
        action = self.last_answer.get("action")
        if action is None:
            self.fallbacks += 1
            return self.task.fallback_action(self.env)
        try:
            return self.task.action_from_result(action, self.env)
        except (TypeError, ValueError, OverflowError, IndexError, KeyError) as err:  # not this task's action
            raise UserError(
                f"{self.client.url} answered an action task {self.task.name!r} cannot play: "
                f"{json.dumps(action)[:100]} ({type(err).__name__}: {err})"
            ) from None

    @property
    def last_trace(self) -> str:
        lines = []
        for s in (self.last_answer or {}).get("stages", []):
            try:
                probs = ", ".join(f"{c['name']} {float(c['p']):.2f}" for c in s["candidates"])
                outcome = json.dumps(s["result"])[:100] if s.get("ok", True) else f"FAILED ({s.get('error')})"
                lines.append(f"  [{s['stage']}] {s['chosen']} -> {outcome}  candidates: {probs}")
            except (KeyError, TypeError, ValueError, AttributeError):  # a stage not shaped as SPEC §8 says
                lines.append(f"  (a stage the server sent in another shape: {json.dumps(s)[:100]})")
        return "\n".join(lines)

    def metrics(self) -> dict[str, float]:
        if not self.seconds:
            return {}
        ordered = sorted(self.seconds)
        return {
            "remote_p50_s": ordered[len(ordered) // 2],
            "remote_p99_s": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
            "failed_decisions": float(self.fallbacks),
        }

    def close(self) -> None:
        self.client.close()
