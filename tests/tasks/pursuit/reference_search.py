"""A slow, plain reference for the pursuit oracle, built directly on ``rules.py``.

It answers "can the pursuers force capture within k steps?" for k = 1, 2, ... with sets of states,
straight from the definition: a state is won within k when some joint pursuer move either lands a
pursuer on the evader, or leaves every evader reply either stepping onto a pursuer or in a state won
within k - 1. T* is the first k at which a state is won; states never won are unforceable (None).
It shares nothing with the vectorised solver but ``rules.py`` and the map's cell list.

Only states with the pursuers on different cells are searched: play never stacks them, and
``rules.move_pursuers`` is not defined for stacked starts.
"""

from __future__ import annotations

import functools
import itertools

from logicdistill.tasks.pursuit import rules
from logicdistill.tasks.pursuit.maps import GridMap

State = tuple[rules.Cell, rules.Cell, rules.Cell]
JOINT = list(itertools.product(range(len(rules.ACTIONS)), repeat=2))  # ordered as a0 * 5 + a1


def states(grid: GridMap) -> list[State]:
    cells = grid.free_cells
    return [(p0, p1, e) for p0 in cells for p1 in cells for e in cells if p0 != p1]


def outcomes(grid: GridMap, state: State) -> list[tuple[bool, list[tuple[bool, State]]]]:
    """For each joint move in order: (pursuers captured, [(evader stepped onto a pursuer, next state)])."""
    p0, p1, e = state
    result = []
    for q0, q1 in _pursuer_ends(grid, p0, p1):
        if rules.pursuer_captures((q0, q1), e):
            result.append((True, []))
            continue
        replies = [(rules.pursuer_captures((q0, q1), e2), (q0, q1, e2)) for e2 in _evader_ends(grid, e)]
        result.append((False, replies))
    return result


@functools.cache
def _pursuer_ends(grid: GridMap, p0: rules.Cell, p1: rules.Cell) -> list[tuple[rules.Cell, ...]]:
    # Cached per pursuer pair only to keep the tests fast; the values come straight from the rules.
    return [rules.move_pursuers(grid.obstacles, (p0, p1), actions) for actions in JOINT]


@functools.cache
def _evader_ends(grid: GridMap, e: rules.Cell) -> list[rules.Cell]:
    return [rules.move(grid.obstacles, e, b) for b in range(len(rules.ACTIONS))]


def reference_t_star(grid: GridMap) -> dict[State, int | None]:
    """T* of every state with the pursuers apart (None where capture cannot be forced)."""
    all_states = states(grid)
    successors = {s: outcomes(grid, s) for s in all_states}
    won: dict[State, int] = {s: 0 for s in all_states if rules.pursuer_captures(s[:2], s[2])}
    k = 0
    while True:
        k += 1
        newly = [
            s
            for s in all_states
            if s not in won
            and any(
                captured or all(stepped_on or nxt in won for stepped_on, nxt in replies)
                for captured, replies in successors[s]
            )
        ]
        if not newly:
            break
        won.update((s, k) for s in newly)  # added after the pass: `won` held exactly "within k - 1"
    return {s: won.get(s) for s in all_states}


def _inf(value: int | None) -> float:
    return float("inf") if value is None else float(value)


def joint_worst_cases(grid: GridMap, t_star: dict[State, int | None], state: State) -> list[float]:
    """For each joint move: T* left after it and the evader's best reply (capture 0, unforceable ∞)."""
    values = []
    for captured, replies in outcomes(grid, state):
        if captured:
            values.append(0.0)
        else:
            values.append(max(0.0 if stepped_on else _inf(t_star[nxt]) for stepped_on, nxt in replies))
    return values


def optimal_evader_values(grid: GridMap, t_star: dict[State, int | None], p0, p1, e) -> list[tuple]:
    """The evader's ranking key per action (pursuers already on p0, p1): T*, nearest, sum of distances."""
    keys = []
    for b in range(len(rules.ACTIONS)):
        e2 = rules.move(grid.obstacles, e, b)
        value = 0.0 if rules.pursuer_captures((p0, p1), e2) else _inf(t_star[(p0, p1, e2)])
        d0, d1 = grid.distance(p0, e2), grid.distance(p1, e2)
        keys.append((value, min(d0, d1), d0 + d1))
    return keys
