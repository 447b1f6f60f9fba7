"""Shared helpers for the pursuit environment tests: scripted evaders and an episode loop."""

from __future__ import annotations

from typing import Any

import numpy as np

from logicdistill.tasks.pursuit.evaders import EvaderPolicy
from logicdistill.tasks.pursuit.rules import STAY


class ScriptedEvader(EvaderPolicy):
    """Plays the given actions in order (then stays) and records the pursuer cells it was shown."""

    name = "scripted"

    def __init__(self, actions: list[int] | None = None) -> None:
        self.script = list(actions or [])

    def reset(self, env: Any, rng: np.random.Generator) -> None:
        super().reset(env, rng)
        self.queue = list(self.script)
        self.seen: list[tuple] = []

    def act(self, env: Any, index: int) -> int:
        self.seen.append(tuple(env.pursuers))
        return self.queue.pop(0) if self.queue else STAY


def play(env: Any, policy: Any, seed: int) -> tuple[list[dict], list[float]]:
    """One episode as the runner plays it: infos (reset's first) and rewards."""
    obs, info = env.reset(seed=seed)
    policy.reset(env.unwrapped, seed)
    infos, rewards = [info], []
    done = False
    while not done:
        obs, reward, terminated, truncated, info = env.step(policy.act(obs, info))
        infos.append(info)
        rewards.append(reward)
        done = terminated or truncated
    return infos, rewards
