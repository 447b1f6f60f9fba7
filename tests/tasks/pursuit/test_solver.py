"""The exact pursuit oracle against a plain reference search, the rules, and its own cache."""

from __future__ import annotations

import functools
import itertools
import random

import numpy as np
import pytest

from logicdistill.errors import UserError
from logicdistill.tasks.pursuit import rules, solver
from logicdistill.tasks.pursuit.maps import GridMap, load_map, parse_map
from logicdistill.tasks.pursuit.solver import UNFORCEABLE, PursuitSolution, retrograde, solve
from logicdistill.tasks.pursuit.transitions import joint_moves, unit_moves
from tests.tasks.pursuit import reference_search as ref

SMALL_MAPS = {
    "open3": "...\n...\n...",
    "obstacles4": "....\n.#..\n...#\n....",
    "pillars5": ".....\n.#.#.\n.....\n.#.#.\n.....",
    "blocks5": "..#..\n.....\n.##..\n.....\n...#.",
    "corridor": "......\n.####.\n......",  # one long cycle around a wall
}


@functools.cache
def small_map(name: str) -> GridMap:
    return parse_map(SMALL_MAPS[name], name)


@functools.cache
def reference(name: str) -> dict[ref.State, int | None]:
    return ref.reference_t_star(small_map(name))


@functools.cache
def cold(name: str) -> PursuitSolution:
    grid = small_map(name) if name in SMALL_MAPS else load_map(name)
    return solve(grid, use_cache=False)


@pytest.fixture(autouse=True)
def fresh_memory():
    solver.clear_memory_cache()
    yield
    solver.clear_memory_cache()


@pytest.mark.parametrize("name", ["open3", "obstacles4", "corridor", "rooms"])
def test_move_tables_match_rules(name):
    grid = small_map(name) if name in SMALL_MAPS else load_map(name)
    cells = grid.free_cells
    moves = unit_moves(grid)
    for i, a in itertools.product(range(len(cells)), range(5)):
        assert cells[moves[i, a]] == rules.move(grid.obstacles, cells[i], a)
    end0, end1 = joint_moves(grid, moves)
    n = len(cells)
    for i, j in itertools.permutations(range(n), 2):
        for a0, a1 in itertools.product(range(5), repeat=2):
            expected = rules.move_pursuers(grid.obstacles, (cells[i], cells[j]), (a0, a1))
            got = (cells[end0[i * n + j, a0 * 5 + a1]], cells[end1[i * n + j, a0 * 5 + a1]])
            assert got == expected, (cells[i], cells[j], a0, a1)


@pytest.mark.parametrize("name", list(SMALL_MAPS))
def test_t_star_equals_reference_on_every_state(name):
    solution = cold(name)
    expected = reference(name)
    assert solution.t_star.dtype == np.int16
    assert solution.t_star.shape == (len(small_map(name).free_cells),) * 3
    mismatches = [(s, v, solution.capture_time(*s)) for s, v in expected.items() if solution.capture_time(*s) != v]
    assert mismatches == []


@pytest.mark.parametrize("name", ["obstacles4", "pillars5", "corridor"])
def test_pursuer_move_matches_reference_choice(name):
    grid, solution, t_ref = small_map(name), cold(name), reference(name)
    states = [s for s in ref.states(grid) if not rules.pursuer_captures(s[:2], s[2])]
    for state in random.Random(7).sample(states, 400):
        values = ref.joint_worst_cases(grid, t_ref, state)
        best = values.index(min(values))  # the first minimum: lowest a0 * 5 + a1
        assert solution.pursuer_move(*state) == divmod(best, 5), state
        assert list(solution.joint_values(*state)) == values


@pytest.mark.parametrize("name", ["obstacles4", "pillars5", "corridor"])
def test_evader_move_matches_reference_choice(name):
    grid, solution, t_ref = small_map(name), cold(name), reference(name)
    states = [s for s in ref.states(grid) if not rules.pursuer_captures(s[:2], s[2])]
    for p0, p1, e in random.Random(8).sample(states, 400):
        keys = ref.optimal_evader_values(grid, t_ref, p0, p1, e)
        assert solution.evader_move(p0, p1, e) == keys.index(max(keys)), (p0, p1, e)


def play(solution: PursuitSolution, p0, p1, e, pursuer=None, evader=None, limit=200) -> int:
    """Simulate with rules.py until capture; returns the number of steps. Defaults: optimal sides."""
    obstacles = solution.grid.obstacles
    pursuer = pursuer or solution.pursuer_move
    evader = evader or solution.evader_move
    for step in range(1, limit + 1):
        p0, p1 = rules.move_pursuers(obstacles, (p0, p1), pursuer(p0, p1, e))
        if rules.pursuer_captures((p0, p1), e):
            return step
        e = rules.move(obstacles, e, evader(p0, p1, e))
        if rules.pursuer_captures((p0, p1), e):
            return step
    return limit + 1


@pytest.mark.parametrize("name", ["pillars5", "blocks5", "corridor", "walls", "rooms"])
def test_optimal_play_captures_in_exactly_t_star(name):
    solution = cold(name)
    cells = solution.grid.free_cells
    rng = random.Random(11)
    for _ in range(40):
        p0, p1, e = rng.sample(cells, 3)
        t = solution.capture_time(p0, p1, e)
        assert t is not None and t > 0
        assert play(solution, p0, p1, e) == t


@pytest.mark.parametrize("name", ["blocks5", "scatter"])
def test_t_star_bounds_against_random_opponents(name):
    """Optimal pursuers catch any evader within T*; the optimal evader survives any pursuers T* steps."""
    solution = cold(name)
    cells = solution.grid.free_cells
    rng = random.Random(12)
    for _ in range(30):
        p0, p1, e = rng.sample(cells, 3)
        t = solution.capture_time(p0, p1, e)
        assert play(solution, p0, p1, e, evader=lambda *_: rng.randrange(5)) <= t
        random_pursuers = lambda *_: (rng.randrange(5), rng.randrange(5))  # noqa: E731
        assert play(solution, p0, p1, e, pursuer=random_pursuers, limit=t + 5) >= t


def test_bellman_equation_and_symmetry_on_a_named_map():
    solution = cold("scatter")
    cells = solution.grid.free_cells
    rng = random.Random(13)
    for _ in range(300):
        p0, p1, e = rng.sample(cells, 3)
        assert solution.capture_time(p0, p1, e) == 1 + int(solution.joint_values(p0, p1, e).min())
        assert solution.capture_time(p0, p1, e) == solution.capture_time(p1, p0, e)
    assert solution.capture_time(cells[0], cells[1], cells[1]) == 0


def test_unforceable_sentinel_in_the_api():
    grid = small_map("open3")
    t_star = retrograde(grid)[0].copy()
    i = grid.index
    # Pretend the evader escapes for good from the corner (2, 2) with pursuers at (0, 0) and (0, 1).
    t_star[i[(0, 0)], i[(0, 1)], i[(2, 2)]] = UNFORCEABLE
    fake = PursuitSolution(grid, t_star)
    assert fake.capture_time((0, 0), (0, 1), (2, 2)) is None
    assert fake.capture_time((0, 0), (0, 1), (1, 2)) is not None
    assert rules.move(grid.obstacles, (1, 2), fake.evader_move((0, 0), (0, 1), (1, 2))) == (2, 2)
    # Staying puts the pursuers in the unforceable state; the chosen move must avoid that.
    assert fake.pursuer_move((0, 0), (0, 1), (2, 2)) != (4, 4)


def test_bad_cells_raise_user_error():
    solution = cold("obstacles4")
    with pytest.raises(UserError, match="not a free cell"):
        solution.capture_time((1, 1), (0, 0), (3, 3))  # (1, 1) is an obstacle
    with pytest.raises(UserError):
        solution.evader_move((0, 0), (9, 9), (3, 3))


def test_cache_round_trip(tmp_path, monkeypatch):
    grid = small_map("pillars5")
    first = solve(grid, cache_dir=tmp_path)
    path = tmp_path / f"{grid.digest}.npz"
    assert path.is_file() and not list(tmp_path.glob("*.tmp"))
    assert solve(grid, cache_dir=tmp_path).t_star is first.t_star  # in-process cache
    solver.clear_memory_cache()
    monkeypatch.setattr(solver, "retrograde", _must_not_run)
    again = solve(parse_map(grid.to_text(), "same-layout"), cache_dir=tmp_path)
    np.testing.assert_array_equal(again.t_star, first.t_star)
    assert again.grid.name == "same-layout" and again.passes == first.passes


@pytest.mark.parametrize("garbage", [b"not a zip file", b""])
def test_corrupt_cache_is_recomputed(tmp_path, garbage):
    grid = small_map("obstacles4")
    path = tmp_path / f"{grid.digest}.npz"
    path.write_bytes(garbage)
    solution = solve(grid, cache_dir=tmp_path)
    np.testing.assert_array_equal(solution.t_star, cold("obstacles4").t_star)
    solver.clear_memory_cache()
    assert solver._load(path, grid) is not None  # the bad file was replaced with a good one


def test_cache_for_another_layout_is_not_trusted(tmp_path):
    grid, other = small_map("obstacles4"), small_map("corridor")
    assert len(grid.free_cells) == len(other.free_cells)  # same shape of t_star: only the map text differs
    solver._save(tmp_path / f"{grid.digest}.npz", other, cold("corridor").t_star, 1)
    np.testing.assert_array_equal(solve(grid, cache_dir=tmp_path).t_star, cold("obstacles4").t_star)


def test_use_cache_false_reads_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGICDISTILL_HOME", str(tmp_path))
    solve(small_map("open3"), use_cache=False)
    assert not any(tmp_path.rglob("*.npz"))
    solve(small_map("open3"))  # the default cache folder comes from paths.cache_dir("solver")
    assert len(list((tmp_path / "solver").glob("*.npz"))) == 1


def _must_not_run(grid):
    raise AssertionError("the cached solution should have been loaded")
