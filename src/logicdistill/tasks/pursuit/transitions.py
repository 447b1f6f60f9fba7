"""Vectorised move tables for the 2-pursuer solver, built from the same rules as ``rules.py``.

Cells are numbered by ``GridMap.index``; a pursuer pair ``(i, j)`` is numbered ``i * n + j``.
Tests check every entry of these tables against ``rules.move`` and ``rules.move_pursuers``.
"""

from __future__ import annotations

import numpy as np

from logicdistill.tasks.pursuit.maps import GridMap
from logicdistill.tasks.pursuit.rules import ACTIONS, DELTAS

N_ACTIONS = len(ACTIONS)
N_JOINT = N_ACTIONS * N_ACTIONS  # joint action a0 * 5 + a1


def unit_moves(grid: GridMap) -> np.ndarray:
    """``moves[i, a]``: the cell index a unit on cell ``i`` reaches with action ``a`` (blocked = stay)."""
    cells = np.array(grid.free_cells, dtype=np.int64).reshape(-1, 2)
    n = len(cells)
    # Look targets up in a padded index grid, so that off-map targets land on a -1 border.
    lookup = np.full((grid.height + 2, grid.width + 2), -1, dtype=np.int64)
    lookup[cells[:, 0] + 1, cells[:, 1] + 1] = np.arange(n)
    moves = np.empty((n, N_ACTIONS), dtype=np.int64)
    for a, (dr, dc) in enumerate(DELTAS):
        target = lookup[cells[:, 0] + 1 + dr, cells[:, 1] + 1 + dc]
        moves[:, a] = np.where(target >= 0, target, np.arange(n))
    return moves


def joint_moves(grid: GridMap, moves: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Both pursuers move at once with the collision rule of ``rules.move_pursuers``.

    Returns ``(end0, end1)``, each of shape ``(n * n, 25)``: the cell indices the two pursuers end
    on, for pair ``i * n + j`` and joint action ``a0 * 5 + a1``.

    With two pursuers one resolution round settles every collision when they start apart: the loser
    goes back to its own start, which nobody else can hold. Pairs that start on one cell (never
    reached by play) get the same round, which lets them stay stacked; ``rules.move_pursuers`` does
    not terminate there, so only pairs that start apart are compared with it.
    """
    moves = unit_moves(grid) if moves is None else moves
    n = moves.shape[0]
    start0 = np.repeat(np.arange(n), n)[:, None]  # (n*n, 1)
    start1 = np.tile(np.arange(n), n)[:, None]
    a0 = np.repeat(np.arange(N_ACTIONS), N_ACTIONS)[None, :]  # (1, 25)
    a1 = np.tile(np.arange(N_ACTIONS), N_ACTIONS)[None, :]
    end0 = moves[start0, a0]
    end1 = moves[start1, a1]
    clash = end0 == end1
    # The pursuer already standing on the contested cell keeps it; otherwise pursuer 0 does.
    keeper0 = (end0 == start0) | (end1 != start1)
    end0, end1 = (
        np.where(clash & ~keeper0, start0, end0),
        np.where(clash & keeper0, start1, end1),
    )
    return end0, end1
