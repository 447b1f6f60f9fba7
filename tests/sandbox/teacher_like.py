"""A realistic teacher-written module (grid path logic) that must pass the checks and run unchanged."""

SOURCE = '''
"""Pursuit helpers written the way a teacher model writes them."""
from collections import deque
from typing import List, Optional, Tuple
import heapq
import math

MOVES = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1), "stay": (0, 0)}


class Node:
    def __init__(self, cost, cell):
        self.cost = cost
        self.cell = cell

    def __lt__(self, other):
        return self.cost < other.cost


def manhattan(a: List[int], b: List[int]) -> int:
    """Manhattan distance between two cells."""
    return abs(a[0] - b[0]) + abs(a[1] - b[1])


def neighbours(cell, grid):
    r, c = cell
    for name, (dr, dc) in MOVES.items():
        nr, nc = r + dr, c + dc
        if 0 <= nr < len(grid) and 0 <= nc < len(grid[0]) and grid[nr][nc] == 0:
            yield name, (nr, nc)


def bfs(grid: List[List[int]], start: List[int]) -> List[List[Optional[int]]]:
    """Shortest-path distance from start to every free cell (None where unreachable)."""
    dist = [[None] * len(grid[0]) for _ in grid]
    dist[start[0]][start[1]] = 0
    queue = deque([tuple(start)])
    while queue:
        cell = queue.popleft()
        for _, (nr, nc) in neighbours(cell, grid):
            if dist[nr][nc] is None:
                dist[nr][nc] = dist[cell[0]][cell[1]] + 1
                queue.append((nr, nc))
    return dist


def best_move(grid, me, target) -> str:
    """The move that most reduces the path distance to target (ties: fixed order)."""
    dist = bfs(grid, target)
    options = [(dist[c[0]][c[1]], i, name) for i, (name, c) in enumerate(neighbours(tuple(me), grid))]
    options = [o for o in options if o[0] is not None]
    return min(options)[2] if options else "stay"


def cheapest(costs: List[int]) -> Tuple[int, int]:
    heap = [Node(c, i) for i, c in enumerate(costs)]
    heapq.heapify(heap)
    top = heapq.heappop(heap)
    return top.cell, top.cost


def describe(cell) -> str:
    match cell:
        case [r, c] if r == c:
            label = "diagonal"
        case [r, c]:
            label = f"row {r!r}, col {c:>2}"
        case _:
            label = "unknown"
    squares = sorted((x * x for x in range(3)), key=lambda v: -v)
    assert squares[0] == 4
    return f"{label} ({math.hypot(3, 4):.1f})"
'''

GRID = [[0] * 10 for _ in range(10)]
for _r in range(1, 9):
    GRID[_r][5] = 1  # a wall down the middle with gaps at the top and bottom rows
