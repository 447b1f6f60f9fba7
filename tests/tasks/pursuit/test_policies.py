"""Pursuer baselines: optimal play meets T* exactly, greedy chase choices, seeded random, rules respected."""

from __future__ import annotations

import numpy as np
import pytest

from logicdistill.errors import UserError
from logicdistill.tasks.pursuit.env import PursuitEmergencyEnv, PursuitEnv
from logicdistill.tasks.pursuit.policies import HeuristicPolicy, OptimalPolicy, RandomPolicy

from .pursuit_helpers import ScriptedEvader, play

UP, DOWN, LEFT, RIGHT, STAY = 0, 1, 2, 3, 4


def test_optimal_pursuers_vs_optimal_evader_capture_in_exactly_t_star():
    env = PursuitEnv()  # the default pool, optimal evader
    maps = set()
    for seed in range(15):
        infos, rewards = play(env, OptimalPolicy(), seed)
        assert infos[-1]["captured_this_step"] == [0] and sum(rewards) == 1.0
        assert len(rewards) == infos[0]["t_star"] > 0
        maps.add(infos[0]["map"])
    assert len(maps) >= 3


def test_optimal_policy_needs_two_vs_one():
    env = PursuitEnv(n_pursuers=3, evader="greedy")
    env.reset(seed=0)
    with pytest.raises(UserError, match="2 pursuers and 1 evader"):
        OptimalPolicy().reset(env, 0)


def _situation(pursuers, evaders, map="open"):
    env = PursuitEnv(map=map, n_pursuers=len(pursuers), n_evaders=len(evaders), evader=ScriptedEvader())
    obs, info = env.reset(seed=0, options={"pursuers": pursuers, "evaders": evaders})
    policy = HeuristicPolicy()
    policy.reset(env, 0)
    return env, obs, info, policy


def test_heuristic_steps_toward_nearest_evader_with_action_order_ties():
    env, obs, info, policy = _situation([(0, 0), (9, 9)], [(0, 5)])
    assert policy.act(obs, info).tolist() == [RIGHT, UP]  # P1: up and left both shorten by one; up comes first
    env, obs, info, policy = _situation([(0, 0), (9, 9)], [(0, 3), (8, 9)])
    assert policy.act(obs, info).tolist() == [RIGHT, UP]  # each chases its own nearest evader
    env, obs, info, policy = _situation([(3, 4), (9, 9)], [(6, 4)], map="block")
    assert policy.act(obs, info).tolist()[0] == LEFT  # around the block (the shorter side), not into it


def test_heuristic_ignores_captured_evaders():
    env, obs, info, policy = _situation([(0, 0), (9, 9)], [(0, 1), (9, 5)])
    obs, *_ = env.step(np.array([RIGHT, STAY]))
    assert obs["captured"].tolist() == [1, 0]
    assert policy.act(obs, {}).tolist() == [DOWN, LEFT]  # both now chase evader 1 at (9, 5)


def test_random_policy_is_seeded():
    env = PursuitEnv(map="open", evader="random")
    env.reset(seed=0)
    a, b = RandomPolicy(), RandomPolicy()
    a.reset(env, 7)
    b.reset(env, 7)
    first = [a.act(None, {}).tolist() for _ in range(10)]
    assert first == [b.act(None, {}).tolist() for _ in range(10)]
    assert all(len(x) == 2 and all(0 <= v < 5 for v in x) for x in first) and len({tuple(x) for x in first}) > 1


@pytest.mark.parametrize("scenario", ["danger_zone", "slowed_pursuer", "evader_sprint"])
@pytest.mark.parametrize("policy", [OptimalPolicy, HeuristicPolicy])
def test_baselines_respect_emergency_rules(scenario, policy):
    env = PursuitEmergencyEnv(scenario=scenario, max_steps=25)
    for seed in range(3):
        infos, _ = play(env, policy(), seed)
        assert infos[-1]["violations"] == 0
