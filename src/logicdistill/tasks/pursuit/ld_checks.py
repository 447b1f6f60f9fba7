"""Admission checks for pursuit functions: properties any correct function has, on sampled states."""

from __future__ import annotations

from functools import cache
from itertools import product
from typing import Any

import numpy as np

from logicdistill.tasks.base import Caller, TaskCheck

ALL_MOVES = [list(m) for m in product(range(5), repeat=2)]


@cache
def sample_states(n: int = 12, seed: int = 0) -> tuple[dict[str, Any], ...]:
    """Pursuit states from seeded resets and a few random steps (no solver needed)."""
    from logicdistill.tasks.pursuit.env import PursuitEnv
    from logicdistill.tasks.pursuit.ld_state import state_json

    env = PursuitEnv(evader="random", oracle=False)
    rng = np.random.default_rng(seed)
    states = []
    for i in range(n):
        env.reset(seed=seed * 1000 + i)
        for _ in range(int(rng.integers(0, 4))):
            _, _, done, trunc, _ = env.step(rng.integers(0, 5, size=2))
            if done or trunc:
                break
        else:
            states.append(state_json(env))
    return tuple(states)


def _is_joint_move(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2 and all(isinstance(a, int) and 0 <= a < 5 for a in value)


def _moves_are_joint_actions(function: Any, call: Caller) -> str | None:
    for state in sample_states():
        result = call({"state": state})
        if not result.ok:
            return f"{result.kind}: {result.reason}"
        value = result.value
        if not isinstance(value, dict) or not isinstance(value.get("moves"), list) or not value["moves"]:
            return f"returned {str(value)[:80]}, not an object with a non-empty 'moves' list"
        if not all(_is_joint_move(m) for m in value["moves"]):
            return "a move is not [a0, a1] with actions 0-4"
        if not isinstance(value.get("capture_available"), bool):
            return "the result lacks the yes/no fact capture_available"
    return None


def _choice_is_allowed(function: Any, call: Caller) -> str | None:
    rng = np.random.default_rng(1)
    for state in sample_states():
        subset = [ALL_MOVES[i] for i in sorted(rng.choice(25, size=int(rng.integers(1, 26)), replace=False))]
        moves = {"moves": subset, "capture_available": False, "position_repeated": False}
        args = {p.name: (state if p.type == "state" else moves) for p in function.manual.params}
        result = call(args)
        if not result.ok:
            return f"{result.kind}: {result.reason}"
        if result.value not in subset:
            return f"chose {result.value}, which is not among the allowed moves"
    return None


def pursuit_checks() -> list[TaskCheck]:
    return [
        TaskCheck("moves are joint actions", _moves_are_joint_actions, ("moves",)),
        TaskCheck("choice is an allowed move", _choice_is_allowed, ("choose",)),
    ]
