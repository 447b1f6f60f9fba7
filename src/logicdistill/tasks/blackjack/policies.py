"""21 Points baselines: the DP ``optimal`` oracle, a seeded ``random`` player, the ``heuristic`` (stick on 17+)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from logicdistill.errors import UserError
from logicdistill.tasks.base import Policy
from logicdistill.tasks.blackjack import dp

# Mixed into the random policy's seed: Gymnasium seeds the env's generator from the same episode seed
# with the same SeedSequence + PCG64, so without it the coin flips would replay the deck's draws.
_RANDOM_SALT = 0x21_B1AC


class OptimalPolicy(Policy):
    """Plays the exact DP optimum (ties to stick)."""

    name = "optimal"

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        return dp.optimal_action(*observation)


class HeuristicPolicy(Policy):
    """Sticks on a total of ``threshold`` (17) or more, hits below it, whatever the dealer shows."""

    name = "heuristic"

    def __init__(self, threshold: int = 17) -> None:
        if not 4 <= int(threshold) <= 22:
            raise UserError(f"heuristic threshold must be 4..22, got {threshold!r}")
        self.threshold = int(threshold)

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        return dp.STICK if observation[0] >= self.threshold else dp.HIT

    def hit_probability(self, state: dp.State) -> float:
        """P(hit) in ``state``, for exact evaluation with :func:`dp.policy_return`."""
        return float(self.act(state, {}))


class RandomPolicy(Policy):
    """Hits with probability ``hit_probability`` (1/2), from a generator seeded by the episode seed."""

    name = "random"

    def __init__(self, hit_probability: float = 0.5) -> None:
        if not 0.0 <= float(hit_probability) <= 1.0:
            raise UserError(f"hit_probability must lie in [0, 1], got {hit_probability!r}")
        self.p_hit = float(hit_probability)
        self._rng = np.random.default_rng([0, _RANDOM_SALT])

    def reset(self, env: gym.Env, seed: int) -> None:
        # A missing seed falls back to 0 so that a run is always reproducible.
        self._rng = np.random.default_rng([int(seed or 0), _RANDOM_SALT])

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        return dp.HIT if self._rng.random() < self.p_hit else dp.STICK

    def hit_probability(self, state: dp.State) -> float:
        """P(hit) in ``state``, for exact evaluation with :func:`dp.policy_return`."""
        return self.p_hit
