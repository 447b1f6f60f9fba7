"""Pursuit maps: the named 10×10 maps, seeded random maps, and map files.

A map file is plain UTF-8 text, one line per row: ``.`` a free cell, ``#`` an obstacle. Every map keeps
its free cells connected, so any unit can reach any free cell.

Size caps: at most MAX_SIDE rows and columns and MAX_FREE_CELLS free cells. The exact solver holds
about 15 bytes per state and there are n**3 states for n free cells (measured peak: 10x10 open 18 MiB,
0.7 s; 12x12 47 MiB, 2.3 s; 15x15 160 MiB, 14 s; 16x16 230 MiB, 26 s cold on one core), so 256 cells
is the largest a laptop solves in under a minute, while a 40x40 open map would want about 57 GiB.
"""

from __future__ import annotations

import functools
import hashlib
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from logicdistill.errors import FormatError, UserError
from logicdistill.tasks.pursuit.rules import DELTAS, Cell

MAPS_DIR = Path(__file__).parent / "maps"
NAMED_MAPS: tuple[str, ...] = ("open", "block", "walls", "scatter", "rooms")
MAX_SIDE = 32  # rows and columns; keeps observations and rendered frames small
MAX_FREE_CELLS = 256  # the solver's n**3 states: 16x16 open is ~230 MiB (see the module docstring)
MAX_FILE_BYTES = 64 * 1024  # a 32x32 map is ~1 KiB; anything far bigger is not a map file
SEED_MAX = 2**32 - 1


@dataclass(frozen=True, eq=False)
class GridMap:
    """A grid with obstacles. ``obstacles[r, c]`` is True where a unit cannot stand."""

    name: str
    obstacles: np.ndarray = field(repr=False)

    @property
    def height(self) -> int:
        return int(self.obstacles.shape[0])

    @property
    def width(self) -> int:
        return int(self.obstacles.shape[1])

    @functools.cached_property
    def free_cells(self) -> tuple[Cell, ...]:
        """Free cells in row-major order; their position here is the cell's index."""
        return tuple((int(r), int(c)) for r, c in zip(*np.nonzero(~self.obstacles), strict=True))

    @functools.cached_property
    def index(self) -> dict[Cell, int]:
        return {cell: i for i, cell in enumerate(self.free_cells)}

    @functools.cached_property
    def digest(self) -> str:
        """Identifies the layout (not the name): the solver cache key."""
        return hashlib.sha256(self.to_text().encode()).hexdigest()[:16]

    @functools.cached_property
    def distances(self) -> np.ndarray:
        """Shortest-path distances between free cells, ``distances[i, j]`` by cell index."""
        n = len(self.free_cells)
        dist = np.full((n, n), -1, dtype=np.int16)
        for i, src in enumerate(self.free_cells):
            dist[i, i] = 0
            queue = deque([src])
            while queue:
                cell = queue.popleft()
                d = dist[i, self.index[cell]]
                for dr, dc in DELTAS[:4]:
                    nxt = (cell[0] + dr, cell[1] + dc)
                    j = self.index.get(nxt)
                    if j is not None and dist[i, j] < 0:
                        dist[i, j] = d + 1
                        queue.append(nxt)
        return dist

    def distance(self, a: Cell, b: Cell) -> int:
        return int(self.distances[self.index[tuple(a)], self.index[tuple(b)]])

    def to_text(self) -> str:
        return "\n".join("".join("#" if o else "." for o in row) for row in self.obstacles) + "\n"


def parse_map(text: str, name: str = "custom") -> GridMap:
    """Parse map text; raise FormatError saying what is wrong."""
    rows = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not rows:
        raise FormatError(f"map {name!r} is empty")
    width = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != width:
            raise FormatError(f"map {name!r}: row {i + 1} has {len(row)} cells, row 1 has {width}")
        bad = set(row) - {".", "#"}
        if bad:
            raise FormatError(f"map {name!r}: row {i + 1} has {sorted(bad)}; use '.' (free) and '#' (obstacle)")
    check_size(name, len(rows), width, sum(row.count(".") for row in rows))
    obstacles = np.array([[ch == "#" for ch in row] for row in rows], dtype=bool)
    grid = GridMap(name, obstacles)
    if len(grid.free_cells) < 3:
        raise FormatError(f"map {name!r} needs at least 3 free cells")
    if not _connected(obstacles):
        raise FormatError(f"map {name!r}: free cells are not all connected")
    return grid


def random_map(seed: int, width: int = 10, height: int = 10, density: float = 0.1) -> GridMap:
    """A seeded random map: obstacles added one by one, each only if free cells stay connected."""
    check_size(f"random:{seed}", height, width, width * height - int(round(density * width * height)))
    rng = np.random.default_rng(seed)
    obstacles = np.zeros((height, width), dtype=bool)
    target = int(round(density * width * height))
    for flat in rng.permutation(width * height):
        if obstacles.sum() >= target:
            break
        r, c = divmod(int(flat), width)
        obstacles[r, c] = True
        if not _connected(obstacles):
            obstacles[r, c] = False
    return GridMap(f"random:{seed}", obstacles)


def load_map(spec: str) -> GridMap:
    """A map by name (``open``), by seed (``random:7``) or from a file path."""
    if spec in NAMED_MAPS:
        return _named(spec)
    if spec.startswith("random:"):
        text = spec.split(":", 1)[1].strip()
        seed = int(text) if text.isdigit() and len(text) <= 10 else -1
        if not 0 <= seed <= SEED_MAX:
            raise UserError(f"random map seed must be a whole number in 0..{SEED_MAX}, got {spec!r}")
        return random_map(seed)
    path = Path(spec)
    if path.is_file():
        return parse_map(_read_map_file(path), name=path.stem)
    if path.exists():
        raise UserError(f"map {spec!r} is not a regular file (a directory?); give a map file, a name or random:SEED")
    if path.suffix or len(path.parts) > 1:  # a file name, not a map name
        raise UserError(f"map file {spec!r}: no such file (named maps: {', '.join(NAMED_MAPS)}, random:SEED)")
    raise UserError(f"unknown map {spec!r}: use one of {', '.join(NAMED_MAPS)}, random:SEED, or a map file")


def check_size(name: str, height: int, width: int, free: int) -> None:
    """UserError when a map is larger than the caps (checked before any array or solver table is built)."""
    if height > MAX_SIDE or width > MAX_SIDE:
        raise UserError(
            f"map {name!r} is {height}x{width}; maps may have at most {MAX_SIDE} rows and {MAX_SIDE} columns"
        )
    if free > MAX_FREE_CELLS:
        gib = 15 * free**3 / 2**30
        raise UserError(
            f"map {name!r} has {free} free cells; the exact solver handles at most {MAX_FREE_CELLS} "
            f"(a 16x16 open map; this one would need about {gib:.0f} GiB)"
        )


def _read_map_file(path: Path) -> str:
    """The text of a map file; UserError for a file too big, binary or not UTF-8 (checked before parsing)."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise UserError(f"map file {path} is {size} bytes; a map has at most {MAX_SIDE}x{MAX_SIDE} cells (~1 KiB)")
    data = path.read_bytes()
    if b"\0" in data:
        raise UserError(f"map file {path} is binary; a map is text of '.' (free) and '#' (obstacle)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UserError(
            f"map file {path} is not UTF-8 text (byte {data[err.start]:#04x} at offset {err.start})"
        ) from None


@functools.cache
def _named(name: str) -> GridMap:
    return parse_map((MAPS_DIR / f"{name}.txt").read_text(), name=name)


def _connected(obstacles: np.ndarray) -> bool:
    free = list(zip(*np.nonzero(~obstacles), strict=True))
    if not free:
        return False
    seen = {free[0]}
    queue = deque([free[0]])
    h, w = obstacles.shape
    while queue:
        r, c = queue.popleft()
        for dr, dc in DELTAS[:4]:
            nr, nc = r + dr, c + dc
            if 0 <= nr < h and 0 <= nc < w and not obstacles[nr, nc] and (nr, nc) not in seen:
                seen.add((nr, nc))
                queue.append((nr, nc))
    return len(seen) == len(free)
