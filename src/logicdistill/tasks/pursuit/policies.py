"""Pursuer baselines: ``optimal``, ``random`` and ``heuristic`` (greedy chase).

Each reads unit positions from the observation and the map and rules in force from the unwrapped
environment given to ``reset``. Actions are arrays of indices into ``rules.ACTIONS``.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np

from logicdistill.errors import UserError
from logicdistill.tasks.base import Policy
from logicdistill.tasks.pursuit.evaders import solution_for
from logicdistill.tasks.pursuit.rules import ACTIONS, STAY, Cell, move


def _cells(array: np.ndarray) -> list[Cell]:
    return [(int(r), int(c)) for r, c in np.asarray(array)]


class OptimalPolicy(Policy):
    """The solver's optimal joint move (2 pursuers vs 1 evader).

    Under emergency rules it takes the joint move with the lowest worst-case T* among those that
    break no rule in force (the solver knows nothing of emergencies, so this is a one-step repair,
    optimal only while no rule is active).
    """

    name = "optimal"

    def reset(self, env: gym.Env, seed: int) -> None:
        self.env = env.unwrapped
        if self.env.n_pursuers != 2 or self.env.n_evaders != 1:
            raise UserError(
                f"the optimal pursuer policy needs 2 pursuers and 1 evader "
                f"(got {self.env.n_pursuers} and {self.env.n_evaders})"
            )
        self.solution = solution_for(self.env.grid)

    def act(self, observation: Any, info: dict[str, Any]) -> np.ndarray:
        p0, p1 = _cells(observation["pursuers"])
        (e,) = _cells(observation["evaders"])
        if not self.env.active_events:
            return np.array(self.solution.pursuer_move(p0, p1, e), dtype=np.int64)
        values = self.solution.joint_values(p0, p1, e)
        for joint in np.argsort(values, kind="stable"):  # stable: ties keep the solver's joint order
            action = np.array(divmod(int(joint), len(ACTIONS)), dtype=np.int64)
            if self.env.count_violations(action) == 0:
                return action
        return np.array([STAY, STAY], dtype=np.int64)  # staying breaks no shipped rule


class RandomPolicy(Policy):
    """Uniform random joint actions, seeded by the episode seed."""

    name = "random"

    def reset(self, env: gym.Env, seed: int) -> None:
        self.n = env.unwrapped.n_pursuers
        self.rng = np.random.default_rng(seed)

    def act(self, observation: Any, info: dict[str, Any]) -> np.ndarray:
        return self.rng.integers(len(ACTIONS), size=self.n).astype(np.int64)


class HeuristicPolicy(Policy):
    """Greedy chase: each pursuer steps along a shortest path toward its nearest uncaptured evader.

    Ties (between evaders: lower index; between moves: action order). Moves that would break a rule
    in force (judged with the other pursuers staying) are skipped; collisions are left to the env.
    """

    name = "heuristic"

    def reset(self, env: gym.Env, seed: int) -> None:
        self.env = env.unwrapped

    def act(self, observation: Any, info: dict[str, Any]) -> np.ndarray:
        env, grid = self.env, self.env.grid
        pursuers = _cells(observation["pursuers"])
        targets = [
            e for e, done in zip(_cells(observation["evaders"]), observation["captured"], strict=True) if not done
        ]
        actions = np.full(len(pursuers), STAY, dtype=np.int64)
        if not targets:
            return actions
        for i, cell in enumerate(pursuers):
            target = min(targets, key=lambda e, cell=cell: grid.distance(cell, e))
            best = None
            for a in range(len(ACTIONS)):
                alone = np.full(len(pursuers), STAY, dtype=np.int64)
                alone[i] = a
                if env.active_events and env.count_violations(alone) > 0:
                    continue
                d = grid.distance(move(grid.obstacles, cell, a), target)
                if best is None or d < best[0]:
                    best = (d, a)
            actions[i] = best[1] if best is not None else STAY
        return actions
