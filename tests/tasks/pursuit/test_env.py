"""PursuitEnv: Gymnasium conformance, seeding, the movement/collision/capture rules, errors."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import logicdistill  # noqa: F401 - registers the environments
from logicdistill.errors import UserError
from logicdistill.tasks.pursuit.env import InvalidActionError, PursuitEnv
from logicdistill.tasks.pursuit.evaders import GreedyEvader, RandomEvader
from logicdistill.tasks.pursuit.policies import RandomPolicy
from logicdistill.tasks.pursuit.rules import STAY
from logicdistill.tasks.pursuit.solver import solve

from .pursuit_helpers import ScriptedEvader, play

UP, DOWN, LEFT, RIGHT = 0, 1, 2, 3


PURSUIT, EMERGENCY = "logicdistill/Pursuit-v0", "logicdistill/PursuitEmergency-v0"


@pytest.mark.parametrize(
    ("env_id", "kwargs"),
    [
        (PURSUIT, {}),
        (PURSUIT, {"map": "random:3", "n_evaders": 2, "evader": "greedy", "render_mode": "rgb_array"}),
        (PURSUIT, {"map": "rooms", "n_pursuers": 3, "evader": "random", "render_mode": "ansi"}),
        (EMERGENCY, {"scenario": "danger_zone"}),
        (EMERGENCY, {"scenario": "slowed_pursuer", "evader": "greedy"}),
        (EMERGENCY, {"scenario": "evader_sprint"}),
    ],
)
def test_check_env_passes(env_id, kwargs):
    check_env(gym.make(env_id, **kwargs).unwrapped, skip_close_check=True)


def test_registered_ids_and_spaces():
    env = gym.make("logicdistill/Pursuit-v0", map="random:5", n_evaders=2, evader="greedy")
    assert env.action_space == gym.spaces.MultiDiscrete([5, 5])
    obs, info = env.reset(seed=0)
    assert obs["pursuers"].shape == (2, 2) and obs["evaders"].shape == (2, 2)
    assert obs["obstacles"].shape == (10, 10) and info["t_star"] is None and info["map"] == "random:5"
    emergency = gym.make("logicdistill/PursuitEmergency-v0", scenario="evader_sprint")
    assert emergency.unwrapped.events[0].kind == "evader_sprint"


def test_seeded_resets_reproduce_and_cover_the_pool():
    env = PursuitEnv(evader="greedy")
    first = [env.reset(seed=s) for s in range(12)]
    again = [env.reset(seed=s) for s in range(12)]
    for (o1, i1), (o2, i2) in zip(first, again, strict=True):
        assert i1 == i2 and all(np.array_equal(o1[k], o2[k]) for k in o1)
    assert len({info["map"] for _, info in first}) >= 3  # the pool of named maps is drawn from


def test_start_cells_are_distinct_and_free():
    env = PursuitEnv(map="scatter", n_pursuers=3, n_evaders=2, evader="random")
    for seed in range(30):
        env.reset(seed=seed)
        cells = env.pursuers + env.evaders
        assert len(set(cells)) == 5 and all(c in env.grid.index for c in cells)


def test_whole_seeded_episodes_reproduce():
    def episode(seed):
        env = PursuitEnv(map="walls", evader="random")
        play(env, RandomPolicy(), seed)
        return env.history

    assert episode(3) == episode(3)
    assert episode(3) != episode(4)


def _env(pursuers, evaders, actions=None, map="open", **kw):
    env = PursuitEnv(map=map, n_pursuers=len(pursuers), n_evaders=len(evaders), evader=ScriptedEvader(actions), **kw)
    env.reset(seed=0, options={"pursuers": pursuers, "evaders": evaders})
    return env


@pytest.mark.parametrize(
    ("pursuers", "actions", "expected"),
    [
        ([(2, 2), (2, 4)], [RIGHT, LEFT], [(2, 3), (2, 4)]),  # same empty target: lower index wins
        ([(2, 3), (2, 4)], [STAY, LEFT], [(2, 3), (2, 4)]),  # the one standing there keeps it
        ([(2, 2), (2, 3)], [RIGHT, LEFT], [(2, 3), (2, 2)]),  # swaps are allowed
        ([(2, 2), (2, 3)], [RIGHT, RIGHT], [(2, 3), (2, 4)]),  # following into a vacated cell
        ([(0, 0), (9, 9)], [UP, RIGHT], [(0, 0), (9, 9)]),  # walls block
        ([(0, 4), (0, 3)], [UP, RIGHT], [(0, 4), (0, 3)]),  # a pursuer blocked by the wall keeps its cell
    ],
)
def test_pursuer_moves_and_collisions(pursuers, actions, expected):
    env = _env(pursuers, [(8, 0)])
    env.step(np.array(actions))
    assert env.pursuers == expected


def test_obstacles_block_moves():
    env = _env([(3, 4), (6, 5)], [(0, 0)], map="block")
    env.step(np.array([DOWN, UP]))
    assert env.pursuers == [(3, 4), (6, 5)]


def test_capture_by_pursuer_move():
    env = _env([(2, 2), (7, 7)], [(2, 3), (0, 9)], actions=[LEFT, STAY])
    obs, reward, terminated, truncated, info = env.step(np.array([RIGHT, STAY]))
    assert reward == 1.0 and info["captured_this_step"] == [0] and not terminated
    assert obs["captured"].tolist() == [1, 0] and env.evaders[0] == (2, 3)  # a captured evader no longer moves
    assert env.evader_policy.seen == [((2, 3), (7, 7))]  # only the free evader was asked


def test_capture_by_evader_stepping_onto_pursuer():
    env = _env([(2, 2), (7, 7)], [(2, 4)], actions=[LEFT])
    _, reward, terminated, truncated, info = env.step(np.array([RIGHT, STAY]))
    assert env.evader_policy.seen == [((2, 3), (7, 7))]  # the evader saw the pursuers' new cells
    assert reward == 1.0 and terminated and not truncated and info["captured_this_step"] == [0]
    with pytest.raises(UserError, match="reset"):
        env.step(np.array([STAY, STAY]))


def test_truncation_at_step_limit():
    env = _env([(0, 0), (0, 9)], [(9, 5)], max_steps=3)
    results = [env.step(np.array([STAY, STAY])) for _ in range(3)]
    assert [r[3] for r in results] == [False, False, True] and not any(r[2] for r in results)
    assert [r[4]["step"] for r in results] == [1, 2, 3] and len(env.history) == 4


def test_greedy_evader_choices():
    env = _env([(5, 5), (5, 6)], [(5, 3)])
    greedy = GreedyEvader()
    assert greedy.act(env, 0) == UP  # up, down and left tie on (3, 7): action order decides
    env.reset(seed=0, options={"pursuers": [(5, 5), (0, 3)], "evaders": [(5, 3)]})
    assert greedy.act(env, 0) == DOWN  # down and left tie on (3, 9), beating up's sum of 7
    env.reset(seed=0, options={"pursuers": [(0, 1), (1, 0)], "evaders": [(0, 0)]})
    assert greedy.act(env, 0) == UP  # up, left (blocked) and stay tie; moves onto a pursuer score 0


def test_t_star_in_reset_info_matches_solver():
    env = PursuitEnv(map="block", evader="greedy")
    _, info = env.reset(seed=0, options={"pursuers": [(0, 0), (9, 9)], "evaders": [(0, 9)]})
    assert info["t_star"] == solve(env.grid).capture_time((0, 0), (9, 9), (0, 9)) and info["t_star"] > 0
    assert PursuitEnv(map="block", evader="greedy", oracle=False).reset(seed=0)[1]["t_star"] is None


@pytest.mark.parametrize("action", [[1], [0, 5], [-1, 0], [0.5, 1.0], "up", [[0, 1]]])
def test_invalid_actions_raise_clear_errors(action):
    env = _env([(0, 0), (0, 9)], [(9, 5)])
    with pytest.raises(InvalidActionError, match="action") as err:
        env.step(action)
    assert isinstance(err.value, UserError) and isinstance(err.value, ValueError)


def test_step_before_reset_raises():
    with pytest.raises(UserError, match="reset"):
        PursuitEnv(evader="random").step(np.array([0, 0]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_pursuers": 3}, "optimal evader"),
        ({"n_evaders": 2}, "optimal evader"),
        ({"evader": "clever"}, "unknown evader"),
        ({"map": "nowhere"}, "unknown map"),
        ({"max_steps": 0}, "max_steps"),
        ({"render_mode": "human"}, "render_mode"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(UserError, match=message):
        PursuitEnv(**kwargs)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"pursuers": [(0, 0)]}, "needs 2 cells"),
        ({"pursuers": [(0, 0), (4, 4)]}, "not a free cell"),
        ({"pursuers": [(0, 0), (0, 1)], "evaders": [(0, 1)]}, "occupied"),
        ({"pursuers": "here"}, "list of"),
        ({"speed": 2}, "unknown reset options"),
        ({"map": "random:1", "pursuers": [(0, 0), (0, 1)]}, None),
    ],
)
def test_reset_options(options, message):
    env = PursuitEnv(map="block", evader=RandomEvader())
    if message is None:
        _, info = env.reset(seed=1, options=options)
        assert info["map"] == "random:1" and env.pursuers == [(0, 0), (0, 1)]
        return
    with pytest.raises(UserError, match=message):
        env.reset(seed=1, options=options)
