"""The exact pursuit oracle: optimal capture time T* for 2 pursuers vs 1 evader.

A state ``(p0, p1, e)`` has the pursuers to move. One step: the pursuers move jointly (collision rules
of ``rules.move_pursuers``); a pursuer ending on the evader captures it; otherwise the evader, seeing
the new pursuer cells, makes one of 5 moves, and stepping onto a pursuer is a capture too. Both count
as this step. ``T*(s) = 1 + min_joint max_evader T*(next)``, with 0 for a capture.

Retrograde value iteration, vectorised over all states: start from T = 0 on captured states and ∞
elsewhere, then repeat ``V(pursuers moved) = max over evader moves of T`` and ``T = 1 + min over joint
moves of V`` until nothing changes. After pass k every state with T* <= k holds its exact value, so
states still at ∞ at the fixed point are those where capture cannot be forced.

Solutions are cached on disk per map layout (``paths.cache_dir("solver") / f"{digest}.npz"``) and in
the process.
"""

from __future__ import annotations

import functools
import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from logicdistill.errors import UserError
from logicdistill.files import write_atomic
from logicdistill.paths import cache_dir as default_cache_dir
from logicdistill.tasks.pursuit.maps import GridMap
from logicdistill.tasks.pursuit.rules import Cell
from logicdistill.tasks.pursuit.transitions import N_ACTIONS, N_JOINT, joint_moves, unit_moves

UNFORCEABLE: int = -1  # stored in t_star where the pursuers cannot force capture
_INF = np.iinfo(np.int16).max  # stands for ∞ during the iteration
_CACHE_VERSION = 1  # bump when the stored format or the game semantics change

_memory: dict[str, tuple[np.ndarray, int]] = {}  # digest -> (t_star, passes)


@dataclass(frozen=True, eq=False)
class PursuitSolution:
    """T* for every state of one map, and the optimal moves of both sides derived from it.

    ``t_star[i(p0), i(p1), i(e)]`` (indices from ``grid.index``) is the optimal number of steps to
    capture with the pursuers to move, 0 on captured states, ``UNFORCEABLE`` where capture cannot be
    forced. States with ``p0 == p1`` never arise in play (pursuers cannot share a cell); they are
    solved with stacked pursuers allowed to stay stacked.
    """

    grid: GridMap
    t_star: np.ndarray
    passes: int = 0  # value-iteration passes the cold solve took (0 when unknown)

    def capture_time(self, p0: Cell, p1: Cell, e: Cell) -> int | None:
        """T* of the state with the pursuers to move; None when capture cannot be forced."""
        value = int(self.t_star[self._idx(p0), self._idx(p1), self._idx(e)])
        return None if value == UNFORCEABLE else value

    def pursuer_move(self, p0: Cell, p1: Cell, e: Cell) -> tuple[int, int]:
        """The optimal joint action ``(a0, a1)`` (indices into ``rules.ACTIONS``).

        Minimises the worst case over the evader's replies of T* after the step (a capture counts 0,
        unforceable counts ∞); ties go to the lowest ``a0 * 5 + a1``.
        """
        values = self.joint_values(p0, p1, e)
        best = int(np.argmin(values))  # argmin returns the first minimum: the lowest joint index
        return divmod(best, N_ACTIONS)

    def joint_values(self, p0: Cell, p1: Cell, e: Cell) -> np.ndarray:
        """For each joint action ``a0 * 5 + a1``: T* remaining after it and the evader's best reply.

        An int64 array of 25 values; a capture during the step is 0, unforceable is a large number.
        """
        i, j, k = self._idx(p0), self._idx(p1), self._idx(e)
        moves, end0, end1 = self._tables
        n = moves.shape[0]
        q0, q1 = end0[i * n + j], end1[i * n + j]  # (25,) pursuer cells after each joint move
        replies = moves[k]  # (5,) evader cells after each evader move
        t = self._t_inf[q0[:, None], q1[:, None], replies[None, :]]  # 0 where the evader steps onto a pursuer
        worst = t.max(axis=1)
        return np.where((q0 == k) | (q1 == k), 0, worst)

    def evader_move(self, p0: Cell, p1: Cell, e: Cell) -> int:
        """The optimal evader action once the pursuers have moved to ``p0``, ``p1``.

        Largest T* of the resulting state (stepping onto a pursuer = 0, unforceable = ∞), ties to
        the larger distance to the nearest pursuer, then the larger sum of distances, then the fixed
        action order (up, down, left, right, stay).
        """
        i, j, k = self._idx(p0), self._idx(p1), self._idx(e)
        moves, _, _ = self._tables
        dist = self.grid.distances
        best_key: tuple[int, int, int] | None = None
        best_action = 0
        for action in range(N_ACTIONS):
            target = int(moves[k, action])
            key = (
                int(self._t_inf[i, j, target]),
                int(min(dist[i, target], dist[j, target])),
                int(dist[i, target]) + int(dist[j, target]),
            )
            if best_key is None or key > best_key:  # strict: an earlier action wins ties
                best_key, best_action = key, action
        return best_action

    @functools.cached_property
    def _tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        moves = unit_moves(self.grid)
        end0, end1 = joint_moves(self.grid, moves)
        return moves, end0, end1

    @functools.cached_property
    def _t_inf(self) -> np.ndarray:
        """t_star with UNFORCEABLE replaced by a number larger than any T*, for comparisons."""
        t = self.t_star.astype(np.int64)
        t[t == UNFORCEABLE] = np.iinfo(np.int32).max
        return t

    def _idx(self, cell: Cell) -> int:
        try:
            return self.grid.index[(int(cell[0]), int(cell[1]))]
        except (KeyError, TypeError, IndexError, ValueError):
            raise UserError(f"{cell!r} is not a free cell of map {self.grid.name!r}") from None


def solve(grid: GridMap, cache_dir: Path | None = None, use_cache: bool = True) -> PursuitSolution:
    """Solve ``grid`` exactly, or load the solution cached for its layout.

    With ``use_cache=False`` nothing is read or written: a cold solve. A cache file that cannot be
    read or does not match the map is recomputed and replaced.
    """
    if not use_cache:
        t_star, passes = retrograde(grid)
        return PursuitSolution(grid, t_star, passes)
    if grid.digest in _memory:
        t_star, passes = _memory[grid.digest]
        return PursuitSolution(grid, t_star, passes)
    path = Path(cache_dir) if cache_dir is not None else default_cache_dir("solver")
    path = path / f"{grid.digest}.npz"
    loaded = _load(path, grid)
    if loaded is None:
        loaded = retrograde(grid)
        _save(path, grid, *loaded)
    loaded[0].setflags(write=False)  # shared between solutions of the same layout
    _memory[grid.digest] = loaded
    return PursuitSolution(grid, *loaded)


def retrograde(grid: GridMap) -> tuple[np.ndarray, int]:
    """The value iteration itself: ``(t_star, passes)``, t_star int16 of shape (n, n, n)."""
    moves = unit_moves(grid)
    n = moves.shape[0]
    end0, end1 = joint_moves(grid, moves)
    succ = end0 * n + end1  # (n*n, 25) pair after each joint move
    evader = np.arange(n)[None, :]
    captured = (evader == np.repeat(np.arange(n), n)[:, None]) | (evader == np.tile(np.arange(n), n)[:, None])

    t = np.where(captured, 0, _INF).astype(np.int16)  # rows: pursuer pair, columns: evader cell
    v = np.empty_like(t)
    acc = np.empty_like(t)
    buf = np.empty_like(t)
    passes = 0
    while True:
        passes += 1
        # Evader to move, pursuers already on the pair's cells: the best of its 5 moves. Stepping onto
        # a pursuer reads T = 0 from the captured entry; a pursuer that moved onto the evader is 0 too.
        t.take(moves[:, 0], axis=1, out=v)
        for b in range(1, N_ACTIONS):
            t.take(moves[:, b], axis=1, out=buf)
            np.maximum(v, buf, out=v)
        v[captured] = 0
        # Pursuers to move: the best joint move, one step more.
        v.take(succ[:, 0], axis=0, out=acc)
        for a in range(1, N_JOINT):
            v.take(succ[:, a], axis=0, out=buf)
            np.minimum(acc, buf, out=acc)
        np.add(acc, 1, out=acc, where=acc < _INF)
        acc[captured] = 0
        if np.array_equal(acc, t):
            break
        t, acc = acc, t
    t_star = t.reshape(n, n, n).copy()
    t_star[t_star == _INF] = UNFORCEABLE
    return t_star, passes


def clear_memory_cache() -> None:
    """Forget the in-process solutions (the disk cache stays)."""
    _memory.clear()


def _load(path: Path, grid: GridMap) -> tuple[np.ndarray, int] | None:
    if not path.is_file():
        return None
    n = len(grid.free_cells)
    try:
        with np.load(path, allow_pickle=False) as data:
            ok = int(data["version"]) == _CACHE_VERSION and str(data["map_text"]) == grid.to_text()
            t_star, passes = data["t_star"], int(data["passes"])
    except Exception:  # a truncated or foreign file raises many kinds of error; any of them means recompute
        return None
    if not ok or t_star.dtype != np.int16 or t_star.shape != (n, n, n) or (t_star < UNFORCEABLE).any():
        return None
    return t_star, passes


def _save(path: Path, grid: GridMap, t_star: np.ndarray, passes: int) -> None:
    """Write atomically so readers never see half a file."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, t_star=t_star, passes=passes, map_text=grid.to_text(), version=_CACHE_VERSION)
    try:
        write_atomic(path, buffer.getvalue())
    except OSError as exc:  # the solution is still good; only the cache is lost
        warnings.warn(f"could not write solver cache {path}: {exc}", stacklevel=3)


__all__ = ["UNFORCEABLE", "PursuitSolution", "clear_memory_cache", "retrograde", "solve"]
