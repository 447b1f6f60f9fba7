"""The pursuit rules (SPEC §3.1), written once, plainly.

Everything that moves a unit goes through here: the environment, the slow reference search of the
tests, and the vectorised solver's transition tables (which tests check against these functions).
A cell is ``(row, col)``; row 0 is the top of the map.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Cell = tuple[int, int]

ACTIONS: tuple[str, ...] = ("up", "down", "left", "right", "stay")
DELTAS: tuple[Cell, ...] = ((-1, 0), (1, 0), (0, -1), (0, 1), (0, 0))
STAY = 4


def is_free(obstacles: np.ndarray, cell: Cell) -> bool:
    """True when ``cell`` lies on the map and is not an obstacle."""
    r, c = cell
    h, w = obstacles.shape
    return 0 <= r < h and 0 <= c < w and not obstacles[r, c]


def move(obstacles: np.ndarray, cell: Cell, action: int) -> Cell:
    """One unit's move; a move into a wall or an obstacle is a stay."""
    dr, dc = DELTAS[action]
    target = (cell[0] + dr, cell[1] + dc)
    return target if is_free(obstacles, target) else cell


def move_pursuers(obstacles: np.ndarray, pursuers: Sequence[Cell], actions: Sequence[int]) -> tuple[Cell, ...]:
    """All pursuers move at once, then collisions are resolved.

    When several pursuers would end on one cell, the one already standing there (it stayed or was
    blocked) keeps it, else the lowest-indexed one does; the others stay where they were. A pursuer
    sent back may now block one that followed it, so resolve until nothing collides. Swaps and
    following into a vacated cell are allowed.
    """
    start = [tuple(p) for p in pursuers]
    end = [move(obstacles, p, a) for p, a in zip(start, actions, strict=True)]
    while True:
        claims: dict[Cell, list[int]] = {}
        for i, cell in enumerate(end):
            claims.setdefault(cell, []).append(i)
        contested = [ids for ids in claims.values() if len(ids) > 1]
        before = list(end)
        for ids in contested:
            holders = [i for i in ids if end[i] == start[i]]
            keeper = holders[0] if holders else min(ids)
            for i in ids:
                if i != keeper:
                    end[i] = start[i]
        if end == before:  # settled (pursuers that already shared a cell and stayed keep sharing it)
            return tuple(end)


def pursuer_captures(pursuers: Sequence[Cell], evader: Cell) -> bool:
    """An evader is caught when a pursuer stands on its cell (after either side moves)."""
    return tuple(evader) in {tuple(p) for p in pursuers}
