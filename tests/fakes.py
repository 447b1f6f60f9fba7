"""A deterministic toy task for testing the runner and the CLI without the real tasks."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from logicdistill.tasks.base import EpisodeRecord, Policy, Task


class GuessEnv(gym.Env):
    """Guess a hidden bit three times; +1 per right guess."""

    observation_space = gym.spaces.Discrete(2)
    action_space = gym.spaces.Discrete(2)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.bits = self.np_random.integers(0, 2, size=3)
        self.t = 0
        return int(self.bits[0]), {"hint": int(self.bits[0])}

    def step(self, action):
        reward = float(action == self.bits[self.t])
        self.t += 1
        done = self.t == 3
        obs = int(self.bits[min(self.t, 2)])
        return obs, reward, done, False, {"hint": obs}


class CheatPolicy(Policy):
    name = "cheat"

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        return info["hint"]


class ZeroPolicy(Policy):
    name = "zero"

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        return 0


class GuessTask(Task):
    name = "guess"
    description = "guess a bit"
    env_id = "none"

    def rules_text(self) -> str:
        return "Guess the hidden bit."

    def make_env(self, **kwargs: Any) -> gym.Env:
        return GuessEnv(**kwargs)

    def policies(self):
        return {"cheat": lambda task, **o: CheatPolicy(), "zero": lambda task, **o: ZeroPolicy()}

    def episode_stats(self, env, infos, rewards):
        return {"score": sum(rewards)}

    def aggregate(self, records: list[EpisodeRecord]) -> dict[str, float]:
        return {"mean_score": float(np.mean([r.stats["score"] for r in records]))}
