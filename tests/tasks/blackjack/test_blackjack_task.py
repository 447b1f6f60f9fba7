"""BlackjackTask: registry, policies, per-episode stats and aggregate metrics through the evaluation runner."""

from __future__ import annotations

import math

import pytest

from logicdistill.errors import UserError
from logicdistill.evaluation.runner import evaluate, play_episode
from logicdistill.tasks import get_task
from logicdistill.tasks.base import EpisodeRecord
from logicdistill.tasks.blackjack import dp
from logicdistill.tasks.blackjack.task import BlackjackTask


@pytest.fixture(scope="module")
def task() -> BlackjackTask:
    return get_task("blackjack")


def test_registry_and_contract(task):
    assert isinstance(task, BlackjackTask)
    assert task.env_id == "logicdistill/TwentyOne-v0" and [s.name for s in task.stages] == ["decide"]
    assert set(task.policies()) == {"optimal", "random", "heuristic"}
    rules = task.rules_text()
    assert "17" in rules and "stick" in rules and "hit" in rules and "4/13" in rules


def test_optimal_policy_agrees_everywhere_and_heuristic_does_not(task):
    env = task.make_env()
    optimal = task.policies()["optimal"](task)
    heuristic = task.policies()["heuristic"](task)
    opt = [play_episode(task, env, optimal, seed) for seed in range(200)]
    heu = [play_episode(task, env, heuristic, seed) for seed in range(200)]
    assert all(r.stats["agreeing_steps"] == r.stats["decisions"] == r.steps for r in opt)
    assert task.aggregate(opt)["action_agreement"] == 1.0
    assert task.aggregate(heu)["action_agreement"] < 1.0
    # Paired seeds deal the same first state to both policies.
    assert [r.stats["start_value"] for r in opt] == [r.stats["start_value"] for r in heu]


def test_episode_stats_from_infos(task):
    infos = [
        {},  # the reset info carries no decision
        {"state": (12, 2, False), "action_taken": 0, "optimal_action": 1, "agrees": False},
        {"state": (12, 2, False), "action_taken": 1, "optimal_action": 1, "agrees": True},
    ]
    stats = task.episode_stats(None, infos, [0.0, 1.0])
    assert stats["return"] == 1.0 and stats["agreeing_steps"] == 1 and stats["decisions"] == 2
    assert stats["start_value"] == dp.state_value(12, 2, False)


def test_aggregate_metrics(task):
    records = [
        EpisodeRecord(seed=i, steps=1, total_reward=r, stats={"return": r, "agreeing_steps": a, "decisions": 2})
        for i, (r, a) in enumerate([(1.0, 2), (-1.0, 1), (0.0, 0), (-1.0, 2)])
    ]
    metrics = task.aggregate(records)
    assert metrics["mean_return"] == -0.25 and metrics["episodes"] == 4
    assert metrics["action_agreement"] == 5 / 8
    assert math.isclose(metrics["return_stderr"], math.sqrt((1.5625 + 0.5625 + 0.0625 + 0.5625) / 3 / 4))
    assert metrics["optimal_return"] == dp.expected_return()
    with pytest.raises(UserError):
        task.aggregate([])


def test_random_policy_is_seeded_by_the_episode(task):
    first = evaluate(task, "random", episodes=30, seed=5, progress=False)
    again = evaluate(task, "random", episodes=30, seed=5, progress=False)
    assert [r.total_reward for r in first.records] == [r.total_reward for r in again.records]
    assert [r.steps for r in first.records] == [r.steps for r in again.records]
    assert first.metrics["episodes"] == 30 and 0.0 < first.metrics["action_agreement"] < 1.0


def test_policy_options_are_checked(task):
    factories = task.policies()
    assert factories["heuristic"](task, threshold=15).act((15, 10, 0), {}) == dp.STICK
    assert factories["random"](task, hit_probability=1.0).act((5, 10, 0), {}) == dp.HIT
    for name, options in [("optimal", {"depth": 3}), ("random", {"seed": 1}), ("heuristic", {"threshold": 30})]:
        with pytest.raises(UserError):
            factories[name](task, **options)
