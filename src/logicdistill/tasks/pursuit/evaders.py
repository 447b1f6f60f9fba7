"""Evader policies and their registry: ``random``, ``greedy``, ``optimal``; plug more in with ``register_evader``.

An evader policy is asked for one single move at a time, after the pursuers have moved (it sees
their new cells in ``env.pursuers``). During an evader sprint it is asked twice in one step, with
its own cell already updated by the first move.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np

from logicdistill.errors import UserError
from logicdistill.tasks.pursuit.rules import ACTIONS, move

PursuitEnv = Any  # tasks.pursuit.env.PursuitEnv, named only in annotations: env imports this module
PursuitSolution = Any  # tasks.pursuit.solver.PursuitSolution, loaded late (numpy tables)


class EvaderPolicy(ABC):
    """Base class of evader policies. ``rng`` is seeded from the environment at every reset."""

    name: str = "evader"

    def check(self, env: PursuitEnv) -> None:  # noqa: B027 - optional hook
        """Raise UserError when this policy cannot play in ``env`` (called once, at construction)."""

    def reset(self, env: PursuitEnv, rng: np.random.Generator) -> None:
        """Start an episode (``env.grid`` is already drawn)."""
        self.rng = rng

    @abstractmethod
    def act(self, env: PursuitEnv, index: int) -> int:
        """The action (index into ``rules.ACTIONS``) of evader ``index``."""


class RandomEvader(EvaderPolicy):
    """Uniform over the five actions."""

    name = "random"

    def act(self, env: PursuitEnv, index: int) -> int:
        return int(self.rng.integers(len(ACTIONS)))


class GreedyEvader(EvaderPolicy):
    """Maximise the BFS distance to the nearest pursuer; ties: larger sum of distances, then action order."""

    name = "greedy"

    def act(self, env: PursuitEnv, index: int) -> int:
        grid = env.grid
        rows = [grid.index[p] for p in env.pursuers]
        best_key: tuple[int, int] | None = None
        best = 0
        for action in range(len(ACTIONS)):
            target = grid.index[move(grid.obstacles, env.evaders[index], action)]
            dists = grid.distances[rows, target].astype(int)  # 0 where it would step onto a pursuer
            key = (int(dists.min()), int(dists.sum()))
            if best_key is None or key > best_key:  # strict: the earlier action keeps a tie
                best_key, best = key, action
        return best


class OptimalEvader(EvaderPolicy):
    """Minimax play from the exact solution (2 pursuers vs 1 evader only).

    Ties go to the larger distance to the nearest pursuer, then the larger sum of distances, then action order.
    """

    name = "optimal"

    def check(self, env: PursuitEnv) -> None:  # noqa: B027 - optional hook
        if env.n_pursuers != 2 or env.n_evaders != 1:
            raise UserError(
                f"the optimal evader needs 2 pursuers and 1 evader (got {env.n_pursuers} and {env.n_evaders}); "
                "use evader='greedy' or 'random'"
            )

    def reset(self, env: PursuitEnv, rng: np.random.Generator) -> None:
        super().reset(env, rng)
        self.solution = solution_for(env.grid)

    def act(self, env: PursuitEnv, index: int) -> int:
        p0, p1 = env.pursuers
        return self.solution.evader_move(p0, p1, env.evaders[index])


def solution_for(grid: Any) -> PursuitSolution:
    """The exact solution of ``grid`` (the solver caches it on disk and in the process)."""
    from logicdistill.tasks.pursuit.solver import solve  # imported late: the solver loads numpy tables

    return solve(grid)
