"""The Taxi plugin: the env, the exact oracle against an independent reference, the recorded base's admission,
and the teacher-program playing exactly as well as the oracle through the evaluation runner."""

from __future__ import annotations

import importlib
import re
from collections import deque
from pathlib import Path

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env
from logicdistill.evaluation import evaluate, policy_specs
from logicdistill.functionbase.admission import admit
from logicdistill.functionbase.function import Function, Manual, Param
from logicdistill.sandbox import Sandbox
from logicdistill.tasks import get_task, register_task, unregister_task
from logicdistill.teacher.build import build_base, default_store
from logicdistill.teacher.teachers import RecordedTeacher

from logicdistill_taxi import TaxiTask, oracle
from logicdistill_taxi.state import InvalidActionError

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
EPISODES = 200  # the closing numbers' episode count; the whole comparison takes a few seconds

# Gymnasium's Taxi map, copied here so that the reference below shares no code with the package.
MAP = [
    "+---------+",
    "|R: | : :G|",
    "| : | : : |",
    "| : : : : |",
    "| | : | : |",
    "|Y| : |B: |",
    "+---------+",
]
STOPS = [(0, 0), (0, 4), (4, 0), (4, 3)]


@pytest.fixture(scope="module")
def task():
    task = TaxiTask()
    register_task(task)
    yield task
    unregister_task(task.name)


@pytest.fixture(scope="module")
def teacher():
    return RecordedTeacher(TaxiTask.recorded_dir)


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(workers=1) as sb:
        yield sb


# --- an obviously correct reference: BFS on the map text, and the one plan every delivery follows ---


def reference_route_length(start: tuple[int, int], goal: tuple[int, int]) -> int:
    """Fewest moves between two cells: breadth-first over the map text (``:`` is open, ``|`` a wall)."""
    seen, queue = {start: 0}, deque([start])
    while queue:
        r, c = queue.popleft()
        steps = [(r + 1, c), (r - 1, c)]
        if MAP[r + 1][2 * c + 2] == ":":
            steps.append((r, c + 1))
        if MAP[r + 1][2 * c] == ":":
            steps.append((r, c - 1))
        for cell in steps:
            if 0 <= cell[0] < 5 and cell not in seen:
                seen[cell] = seen[(r, c)] + 1
                queue.append(cell)
    return seen[goal]


def reference_return(row: int, col: int, passenger: int, destination: int) -> int:
    """Drive to the passenger, pick up, drive to the destination, drop off: -1 per step, +20 for the last."""
    to_destination = reference_route_length(STOPS[passenger] if passenger < 4 else (row, col), STOPS[destination])
    if passenger == 4:
        return 20 - to_destination
    return 20 - (reference_route_length((row, col), STOPS[passenger]) + 1 + to_destination)


# --- the environment ---


def test_env_is_gymnasiums_taxi_and_passes_the_checker(task):
    env = task.make_env()
    assert env.spec.id == task.env_id in ("Taxi-v3", "Taxi-v4")
    assert env.spec.max_episode_steps == 200
    check_env(env.unwrapped, skip_render_check=True)
    with pytest.warns(UserWarning, match="wrapper"):  # the decision log wraps it; the checker says so, then passes
        check_env(task.make_env(), skip_render_check=True)


def test_decision_log_records_the_decision_just_made(task):
    env = task.make_env()
    obs, info = env.reset(seed=1)
    assert "action_taken" not in info
    best = oracle.solution_for(env).optimal_action(obs)
    next_obs, _, _, _, info = env.step(best)
    assert (info["state"], info["action_taken"], info["agrees"]) == (obs, best, True)
    worse = min(set(range(6)) - oracle.solution_for(env).optimal_actions(next_obs))
    _, _, _, _, info = env.step(worse)
    assert (info["state"], info["action_taken"], info["agrees"]) == (next_obs, worse, False)


# --- the oracle ---


def test_oracle_values_satisfy_bellman_optimality_exactly(task):
    P = task.make_env().unwrapped.P
    solution = oracle.solve(P)
    for s in range(500):
        q = [sum(p * (r + (0 if done else solution.value(s2))) for p, s2, r, done in P[s][a]) for a in range(6)]
        assert solution.value(s) == max(q) == round(max(q))  # integers: deterministic, undiscounted
        assert solution.optimal_actions(s) == {a for a in range(6) if q[a] == max(q)}


def test_oracle_values_match_the_map_reference_in_every_state(task):
    solution = oracle.solution_for(task.make_env())
    taxi = gym.make(task.env_id).unwrapped
    for s in range(500):
        assert solution.value(s) == reference_return(*taxi.decode(s)), taxi.decode(s)


def test_following_the_oracle_earns_its_value_from_every_start(task):
    env = task.make_env()
    taxi, solution = env.unwrapped, oracle.solution_for(env)
    starts = [s for s in range(500) if taxi.initial_state_distrib[s] > 0]
    assert len(starts) == 300
    for start in starts:
        env.reset(seed=0)
        taxi.s, total, done = start, 0.0, False
        state = start
        while not done:
            state, reward, done, truncated, _ = env.step(solution.optimal_action(state))
            total += reward
            assert not truncated
        assert total == solution.value(start)


# --- the recorded base: admission in the sandbox ---


def test_recorded_reply_is_marked_as_data(teacher):
    first = (TaxiTask.recorded_dir / "taxi" / "eq1_base.md").read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("<!--") and "recorded teacher output" in first.lower()
    assert "logicdistill base build --task taxi --teacher openai:MODEL" in first


def test_every_recorded_function_is_admitted(task, teacher, sandbox, tmp_path):
    result = build_base(task, teacher, default_store(task, tmp_path), sandbox)
    base = result.base
    assert base.stages == task.stages
    assert sorted(base.functions) == ["drive_shortest_path", "drop_off_passenger", "find_target", "pick_up_passenger"]
    assert not base.flags  # no near-duplicates
    checks = {c.name for c in task.function_checks()}
    for report in result.reports:
        assert report.ok, report.reasons()
        assert checks & set(report.passed), report.passed  # each function met at least one task check
        assert {"example 1", "example 2"} <= set(report.passed)
    for function in base.functions.values():
        assert all(p.type in ("state", "stage_result") for p in function.manual.params)


def _function(name: str, source: str, when: str, stage: str, params: tuple[Param, ...]) -> Function:
    return Function(name, source, Manual("s", when, params, "r", (stage,)))


def test_task_checks_reject_wrong_functions(task, sandbox):
    state, target = Param("state", "state"), Param("target", "stage_result")

    def problems(function: Function) -> dict[str, str | None]:
        report = admit(function, sandbox, task.function_checks())
        return {o.name: o.detail for o in report.outcomes if not o.ok and o.name != "examples"}

    blind = _function(
        "manhattan_move",
        "def manhattan_move(state, target):\n"
        "    (r, c), (tr, tc) = state['taxi'], target['target']\n"
        "    if c != tc:\n        return 2 if tc > c else 3\n"
        "    return 0 if tr > r else 1\n",
        "at_target: no",
        "act",
        (state, target),
    )
    assert "shorten the route" in problems(blind)["moves along a shortest route"]
    wrong_stop = _function(
        "always_destination",
        "def always_destination(state):\n    stop = state['destination']\n"
        "    return {'target': state['stops'][stop], 'stop': stop, 'passenger_in_taxi': state['passenger_in_taxi'],"
        " 'at_target': state['taxi'] == state['stops'][stop]}\n",
        "every step",
        "target",
        (state,),
    )
    assert "stop to reach" in problems(wrong_stop)["names the stop to reach"]
    # The same function is right where its manual restricts it to a riding passenger.
    riding_only = _function(
        "riding_target",
        wrong_stop.source.replace("always_destination", "riding_target"),
        "passenger_in_taxi: yes",
        "target",
        (state,),
    )
    assert "names the stop to reach" not in problems(riding_only)
    swapped = _function("drop_anyway", "def drop_anyway(target):\n    return 5\n", "at_target: yes", "act", (target,))
    assert "picked up" in problems(swapped)["picks up and drops off on the stop"]


# --- playing through the evaluation runner, as `logicdistill eval` does ---


def test_policies_include_the_baselines_and_the_ld_policies(task):
    assert get_task("taxi") is task
    names = set(policy_specs(task))
    assert {"optimal", "random", "heuristic", "teacher-program", "ld", "student-direct"} <= names


def test_teacher_program_returns_exactly_the_optimum_on_the_same_seeds(task, teacher, tmp_path):
    optimal = evaluate(task, "optimal", EPISODES, seed=0, progress=False)
    program = evaluate(
        task,
        "teacher-program",
        EPISODES,
        seed=0,
        policy_kwargs={"teacher": teacher, "base_root": tmp_path},
        progress=False,
    )
    assert program.metrics["mean_return"] == optimal.metrics["mean_return"] == optimal.metrics["optimal_return"]
    assert [r.total_reward for r in program.records] == [r.total_reward for r in optimal.records]
    assert program.metrics["success_rate"] == 1.0 and program.metrics["action_agreement"] == 1.0
    assert program.metrics["invalid_calls"] == 0
    assert optimal.metrics["mean_steps"] == program.metrics["mean_steps"]


def test_baselines_rank_below_the_optimum(task):
    optimal = evaluate(task, "optimal", 40, seed=7, progress=False).metrics
    heuristic = evaluate(task, "heuristic", 40, seed=7, progress=False).metrics
    rand = evaluate(task, "random", 10, seed=7, progress=False).metrics
    assert heuristic["success_rate"] == 1.0 and heuristic["mean_return"] < optimal["mean_return"]
    assert 0 < heuristic["action_agreement"] < 1
    assert rand["mean_return"] < heuristic["mean_return"]
    again = evaluate(task, "heuristic", 40, seed=7, progress=False).metrics
    assert again["mean_return"] == heuristic["mean_return"]  # seeded: paired runs repeat


# --- the LD adapter: state, facts, text, actions ---


def test_state_json_facts_and_text_follow_the_observation(task):
    env = task.make_env()
    for seed in range(30):
        obs, _ = env.reset(seed=seed)
        for _ in range(seed % 4):  # a few moves, and sometimes a ride
            obs, *_ = env.step(oracle.solution_for(env).optimal_action(obs))
        row, col, passenger, destination = env.unwrapped.decode(obs)
        state = task.state_json(env)
        assert state["taxi"] == [row, col] and state["stops"]["RGYB"[destination]] == list(STOPS[destination])
        assert state["passenger_in_taxi"] is (passenger == 4) and task.state_facts(env) == {
            "passenger_in_taxi": passenger == 4
        }
        assert state["passenger_at"] == ("taxi" if passenger == 4 else "RGYB"[passenger])
        assert f"passenger_in_taxi: {'yes' if passenger == 4 else 'no'}" in task.state_text(env)
        assert f"row {row}, col {col}" in task.describe(env)
    walls = {(tuple(a), tuple(b)) for a, b in task.state_json(env)["walls"]}
    assert walls == {((r, c), (r, c + 1)) for r in range(5) for c in range(4) if MAP[r + 1][2 * c + 2] == "|"}


def test_action_from_result_accepts_only_actions(task):
    env = task.make_env()
    assert [task.action_from_result(a, env) for a in range(6)] == list(range(6))
    assert task.action_from_result({"action": 4}, env) == 4
    for bad in (None, True, 6, -1, "north", 1.0, {"move": 0}):
        with pytest.raises(InvalidActionError):
            task.action_from_result(bad, env)
    assert task.action_choices(env) == {"south": 0, "north": 1, "east": 2, "west": 3, "pickup": 4, "dropoff": 5}


def test_package_declares_the_entry_point_and_ships_the_recording():
    text = (PACKAGE_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '[project.entry-points."logicdistill.tasks"]' in text
    assert re.search(r'^taxi = "logicdistill_taxi:TaxiTask"$', text, re.MULTILINE)
    assert '"recorded/**/*.md"' in text
    assert TaxiTask.recorded_dir == PACKAGE_ROOT / "src" / "logicdistill_taxi" / "recorded"
    assert (TaxiTask.recorded_dir / "taxi" / "eq1_base.md").is_file()


def test_plugin_module_registers_the_task_on_import(task):
    import logicdistill_taxi.plugin

    try:
        importlib.reload(logicdistill_taxi.plugin)  # a fresh import, whatever ran before
        assert isinstance(get_task("taxi"), TaxiTask) and get_task("taxi") is not task
    finally:
        register_task(task)
