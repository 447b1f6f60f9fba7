"""Gymnasium's Taxi, unchanged, plus an info-only wrapper that records each decision against the oracle.

The dynamics, the 200-step time limit and the observation are Gymnasium's own (``gymnasium.make``).
The runner hands ``episode_stats`` only the infos and rewards of an episode, never the actions, so the
wrapper writes the decision just made into each step's info: ``state`` (the observation acted on),
``action_taken`` and ``agrees`` (the action attains the optimal value, so equally short routes all
agree). It never holds the optimal action for the *next* decision: a policy reading ``info`` learns
nothing ahead.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from logicdistill_taxi import oracle

# Gymnasium 1.0-1.2 register Taxi-v3; 1.3 renamed it Taxi-v4 (same default dynamics, the rainy and fickle
# variants fixed) and refuses the old id, so the task takes whichever this Gymnasium has, v3 first.
ENV_ID = next((env_id for env_id in ("Taxi-v3", "Taxi-v4") if env_id in gym.registry), "Taxi-v3")

ACTION_NAMES = ("south", "north", "east", "west", "pickup", "dropoff")
SOUTH, NORTH, EAST, WEST, PICKUP, DROPOFF = range(6)


class DecisionLog(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Adds ``state``, ``action_taken`` and ``agrees`` (with the exact oracle) to every step's info."""

    def __init__(self, env: gym.Env) -> None:
        # Recording the (no) arguments lets env.spec rebuild the wrapped env, as gymnasium's checker does.
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.Wrapper.__init__(self, env)
        self._state: int | None = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        obs, info = self.env.reset(seed=seed, options=options)
        self._state = int(obs)
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        state = self._state
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._state = int(obs)
        if state is not None:  # stepping before reset is the inner env's error to raise
            info = dict(info, state=state, action_taken=int(action))
            info["agrees"] = int(action) in oracle.solution_for(self.env).optimal_actions(state)
        return obs, reward, terminated, truncated, info


def make_taxi(**kwargs: Any) -> gym.Env:
    """``gymnasium.make`` of Taxi with ``kwargs`` (render_mode, is_rainy, ...), inside :class:`DecisionLog`."""
    return DecisionLog(gym.make(ENV_ID, **kwargs))
