"""PursuitTask: registry, environments, rules text, policies, and the metrics of played episodes."""

from __future__ import annotations

import math

import pytest

from logicdistill.tasks import get_task
from logicdistill.tasks.base import EpisodeRecord, Policy
from logicdistill.tasks.pursuit.env import PursuitEmergencyEnv, PursuitEnv
from logicdistill.tasks.pursuit.task import PursuitTask

from .pursuit_helpers import play


def test_task_registry_and_envs():
    task = get_task("pursuit")
    assert isinstance(task, PursuitTask) and [s.name for s in task.stages] == ["moves", "choose"]
    env = task.make_env(scenario=None, evader="greedy")
    assert type(env.unwrapped) is PursuitEnv and env.spec.id == task.env_id
    emergency = task.make_env(scenario="slowed_pursuer")
    assert type(emergency.unwrapped) is PursuitEmergencyEnv and emergency.unwrapped.scenario.name == "slowed_pursuer"


def test_rules_text_covers_the_rules():
    text = get_task("pursuit").rules_text().lower()
    for phrase in ("up", "stay", "obstacle", "lower number", "swap", "caught", "60 steps", "violation"):
        assert phrase in text


def test_policies_are_factories_of_policies():
    task = get_task("pursuit")
    policies = task.policies()
    assert set(policies) == {"optimal", "random", "heuristic"}
    assert all(isinstance(make(task), Policy) and make(task).name == name for name, make in policies.items())


def _records(task, env, policy_name, seeds):
    records = []
    for seed in seeds:
        infos, rewards = play(env, task.policies()[policy_name](task), seed)
        records.append(EpisodeRecord(seed, len(rewards), sum(rewards), task.episode_stats(env, infos, rewards)))
    return records


def test_metrics_of_played_episodes():
    task = get_task("pursuit")
    records = _records(task, task.make_env(), "optimal", range(4))
    assert all(r.stats["captured"] and r.stats["steps"] == r.stats["t_star"] for r in records)
    metrics = task.aggregate(records)
    assert metrics["capture_rate"] == 1.0 and metrics["optimal_ratio"] == 1.0 and metrics["episodes"] == 4
    assert metrics["mean_steps"] == sum(r.steps for r in records) / 4 and metrics["violations"] == 0


def test_emergency_episode_stats():
    task = get_task("pursuit")
    env = task.make_env(scenario="danger_zone", max_steps=10)
    (record,) = _records(task, env, "random", [5])
    stats = record.stats
    assert stats["scenario"] == "danger_zone" and stats["first_rule_step"] == 4 and stats["map"] == "open"
    # the score is +1 per capture and -1 per violation, so the violations are what the captures do not explain
    assert stats["return"] == record.total_reward
    assert stats["violations"] == int(stats["captured"]) - record.total_reward


def test_aggregate_arithmetic():
    def rec(captured, steps, t_star, violations=0):
        stats = {"captured": captured, "steps": steps, "t_star": t_star, "violations": violations}
        return EpisodeRecord(0, steps, float(captured) - violations, stats)

    metrics = get_task("pursuit").aggregate([rec(True, 10, 10), rec(True, 30, 20, 2), rec(False, 60, 12, 1)])
    assert metrics == pytest.approx(
        {"capture_rate": 2 / 3, "mean_steps": 20.0, "optimal_ratio": 1.25, "violations": 3.0, "episodes": 3.0}
    )
    nothing = get_task("pursuit").aggregate([rec(False, 60, None)])
    assert nothing["capture_rate"] == 0.0 and math.isnan(nothing["mean_steps"]) and math.isnan(nothing["optimal_ratio"])
