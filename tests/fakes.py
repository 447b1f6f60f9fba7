"""A deterministic toy task for testing the runner and the CLI without the real tasks."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from logicdistill.tasks.base import EpisodeRecord, Policy, RuleEvent, Stage, Task


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


class CountEnv(gym.Env):
    """x counts up from a seeded start; an emergency rule arrives at step 2. The action is any integer."""

    observation_space = gym.spaces.Discrete(100)
    action_space = gym.spaces.Discrete(1000)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.x, self.t, self.actions = int(self.np_random.integers(0, 6)), 0, []
        return self.x, {}

    def step(self, action):
        self.actions.append(int(action))
        self.x, self.t = self.x + 1, self.t + 1
        info = {"step": self.t}
        if self.t == 2:
            info["new_rule"] = "From now on, add one hundred."
        return self.x, 0.0, False, self.t >= 4, info


class CountTask(GuessTask):
    """A task with a one-stage function base (see tests/functionbase/sample.py) and one emergency kind."""

    name = "count"
    stages = (Stage("act", "the number"),)

    def make_env(self, **kwargs: Any) -> gym.Env:
        return CountEnv()

    def policies(self):
        return {}

    def state_format(self):
        return '{"x": int}'

    def state_json(self, env):
        return {"x": env.unwrapped.x}

    def state_facts(self, env):
        env = env.unwrapped
        facts = {"big": env.x > 3}
        if env.t >= 2:
            facts["plus_hundred_in_force"] = True
        return facts

    def rule_kinds(self):
        return ("plus_hundred",)

    def rollout_env_args(self, kind=None, env=None):
        return [{}]  # the rule arrives at step 2 of every episode

    def rule_events(self, env, info):
        if not info.get("new_rule"):
            return []
        return [RuleEvent("plus_hundred", info["new_rule"], "plus_hundred_in_force", {})]

    def fallback_action(self, env):
        return 999

    def episode_stats(self, env, infos, rewards):
        return {"actions": list(env.unwrapped.actions)}

    def aggregate(self, records):
        return {"episodes": len(records)}


PLUS_HUNDRED_REPLY = """```json
{"functions": [{"name": "add_hundred", "stages": ["act"], "summary": "x plus 100",
  "when_to_use": "plus_hundred_in_force: yes", "params": [{"name": "state", "type": "state"}],
  "returns": "int", "examples": [{"args": {"state": {"x": 1}}, "expected": 101}]}],
 "program": "select_function"}
```
```python
def add_hundred(state):
    return state['x'] + 100
```
```python
def select_function(stage, facts):
    if facts.get("plus_hundred_in_force"):
        return "add_hundred"
    return "negate_it" if facts.get("big") else "double_it"
```
"""
