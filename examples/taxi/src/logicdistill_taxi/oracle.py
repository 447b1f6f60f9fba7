"""The exact oracle for Taxi: value iteration over the environment's own transition table ``env.unwrapped.P``.

``P[state][action]`` lists ``(probability, next_state, reward, terminated)``. The Bellman backup is

    Q(s, a) = sum_k p_k * (r_k + gamma * V(s'_k) * (not terminated_k)),    V(s) = max_a Q(s, a)

with ``gamma = 1`` by default: Taxi's return is undiscounted (-1 per step, +20 on delivery, -10 for an
illegal pickup or drop-off), and every state can still reach a delivery, so the iteration converges (a
stochastic shortest-path problem). With the default, deterministic dynamics the values are integers
(20 minus the number of steps before the drop-off) and the sweep stops once nothing changes.

The table is solved as it stands, so ``is_rainy=True`` is solved exactly too; ``fickle_passenger`` changes
the destination inside ``step`` (it is not in ``P``), so the oracle is not optimal for that variant.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
from logicdistill.errors import UserError

GAMMA = 1.0
# Q values within this of the best count as optimal (exact ties between equally short routes).
TIE_TOLERANCE = 1e-9
MAX_SWEEPS = 100_000
# Gymnasium's toy-text transition table: P[state][action] = [(probability, next_state, reward, terminated)]
Table = dict[int, dict[int, list[tuple[float, int, float, bool]]]]


@dataclass(frozen=True)
class Solution:
    """Optimal values per state and action; the optimal actions are those attaining the maximum."""

    values: np.ndarray  # V*(s), shape (n_states,)
    q_values: np.ndarray  # Q*(s, a), shape (n_states, n_actions)
    sweeps: int

    def optimal_actions(self, state: int) -> frozenset[int]:
        """Every action attaining V*(state) (several when equally short routes exist)."""
        q = self.q_values[int(state)]
        return frozenset(int(a) for a in np.flatnonzero(q >= q.max() - TIE_TOLERANCE))

    def optimal_action(self, state: int) -> int:
        """The lowest-numbered optimal action (a fixed tie rule, so plays are reproducible)."""
        return min(self.optimal_actions(state))

    def value(self, state: int) -> float:
        return float(self.values[int(state)])


def _tables(P: Table) -> tuple[np.ndarray, ...]:
    """P as padded arrays (probability, next state, reward, continues) of shape (states, actions, outcomes)."""
    n_states, n_actions = len(P), len(P[0])
    width = max(len(P[s][a]) for s in range(n_states) for a in range(n_actions))
    prob = np.zeros((n_states, n_actions, width))
    nxt = np.zeros((n_states, n_actions, width), dtype=np.int64)
    reward = np.zeros((n_states, n_actions, width))
    continues = np.zeros((n_states, n_actions, width))
    for s in range(n_states):
        for a in range(n_actions):
            for k, (p, s2, r, done) in enumerate(P[s][a]):
                prob[s, a, k], nxt[s, a, k], reward[s, a, k], continues[s, a, k] = p, s2, r, not done
    return prob, nxt, reward, continues


def solve(P: Table, gamma: float = GAMMA, tol: float = 1e-10) -> Solution:
    """Value iteration on a Gymnasium toy-text transition table until no value moves by more than ``tol``."""
    if not 0.0 < gamma <= 1.0:
        raise UserError(f"gamma must lie in (0, 1], got {gamma!r}")
    prob, nxt, reward, continues = _tables(P)
    expected_reward = (prob * reward).sum(axis=2)
    values = np.zeros(len(P))
    for sweep in range(1, MAX_SWEEPS + 1):
        q = expected_reward + gamma * (prob * continues * values[nxt]).sum(axis=2)
        new = q.max(axis=1)
        if np.max(np.abs(new - values)) <= tol:
            return Solution(new, q, sweep)
        values = new
    raise UserError(f"value iteration did not converge in {MAX_SWEEPS} sweeps")


# One solution per environment object: its transition table is fixed once it is built.
_SOLVED: weakref.WeakKeyDictionary[Any, Solution] = weakref.WeakKeyDictionary()


def solution_for(env: Any) -> Solution:
    """The exact (gamma = 1) solution of this environment's own table (a Taxi env or any wrapper of one)."""
    taxi = env.unwrapped
    if taxi not in _SOLVED:
        _SOLVED[taxi] = solve(taxi.P)
    return _SOLVED[taxi]
