"""The pursuit rules, written once, plainly.

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


RULES_TEXT = """\
Pursuit. The board is a grid of cells (10 rows x 10 columns on the standard maps). A cell is written \
(row, col); row 0 is the top row and col 0 the left column. Some cells are obstacles (#); units stand \
only on free cells, and every free cell can be reached from every other.

You control 2 pursuers, P0 and P1, together. One evader, E, runs from them.

Each step you choose one action for every pursuer: up (row - 1), down (row + 1), left (col - 1), right \
(col + 1) or stay. A move off the grid or into an obstacle leaves that unit where it is.

Order of a step: the pursuers move first, all at the same time. Then the evader moves one cell (or stays), \
already seeing where the pursuers ended.

Collisions: two pursuers never share a cell. If several pursuers would end on the same cell and one of \
them already stands there (it stayed, or its move was blocked), it keeps the cell and the others stay where \
they were. Otherwise the pursuer with the lower number gets the cell and the others stay where they were. \
Pursuers may swap cells, and a pursuer may follow another into the cell it just left.

Capture: the evader is caught when a pursuer ends its move on the evader's cell, or when the evader moves \
onto a cell where a pursuer stands.

Goal: catch the evader within 60 steps, in as few steps as possible. The evader plays well: it moves so \
that capture takes as long as possible.

Emergencies: new rules can arrive during an episode. Each one says from which step it applies; the step \
number is the number of steps already taken. A move that breaks a rule in force is a violation: it is not \
carried out (that pursuer stays) and it costs one point.

Score: +1 for each evader caught, -1 for each violation.
"""
