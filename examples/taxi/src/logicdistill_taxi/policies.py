"""Taxi baselines: the exact ``optimal`` oracle, a seeded uniform ``random`` driver, a rule-of-thumb ``heuristic``."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from logicdistill.tasks.base import Policy

from logicdistill_taxi import oracle
from logicdistill_taxi.env import DROPOFF, EAST, NORTH, PICKUP, SOUTH, WEST
from logicdistill_taxi.state import IN_TAXI

# Mixed into the random policy's seed: Gymnasium seeds the env's generator from the same episode seed,
# so without it the driver's coin flips would replay the draws that placed the taxi and the passenger.
_RANDOM_SALT = 0x7A_C1


class OptimalPolicy(Policy):
    """Plays the value-iteration optimum of the env's own transition table (ties to the lowest action)."""

    name = "optimal"

    def __init__(self) -> None:
        self._env: Any = None

    def reset(self, env: gym.Env, seed: int) -> None:
        self._env = env

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        if self._env is None:
            raise RuntimeError("reset(env, seed) must come before act()")
        return oracle.solution_for(self._env).optimal_action(int(observation))


class RandomPolicy(Policy):
    """Picks one of the six actions uniformly, from a generator seeded by the episode seed."""

    name = "random"

    def __init__(self) -> None:
        self._rng = np.random.default_rng([0, _RANDOM_SALT])

    def reset(self, env: gym.Env, seed: int) -> None:
        # A missing seed falls back to 0 so that a run is always reproducible.
        self._rng = np.random.default_rng([int(seed or 0), _RANDOM_SALT])

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        return int(self._rng.integers(6))


class HeuristicPolicy(Policy):
    """A naive driver with no map knowledge beyond the blocked moves: pick up or drop off on the target stop;
    else close the column gap east or west, and when a wall (the action mask) blocks that, sidestep north or
    south at random (seeded by the episode); in the target's column, drive north or south. It always
    delivers, a few steps later than the optimum on average."""

    name = "heuristic"

    def __init__(self) -> None:
        self._env: Any = None
        self._rng = np.random.default_rng([0, _RANDOM_SALT + 1])

    def reset(self, env: gym.Env, seed: int) -> None:
        self._env = env
        self._rng = np.random.default_rng([int(seed or 0), _RANDOM_SALT + 1])

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        if self._env is None:
            raise RuntimeError("reset(env, seed) must come before act()")
        taxi = self._env.unwrapped
        row, col, passenger, destination = taxi.decode(int(observation))
        target_row, target_col = taxi.locs[destination if passenger == IN_TAXI else passenger]
        if (row, col) == (target_row, target_col):
            return DROPOFF if passenger == IN_TAXI else PICKUP
        if col == target_col:
            return SOUTH if target_row > row else NORTH
        across = EAST if target_col > col else WEST
        open_moves = taxi.action_mask(int(observation))  # 0 where a wall or the grid's edge blocks the move
        if open_moves[across]:
            return across
        return int(self._rng.choice([move for move in (SOUTH, NORTH) if open_moves[move]]))
