import json

import pytest

from logicdistill.errors import UserError
from logicdistill.evaluation import evaluate, format_table, make_env, play_episode, write_json
from tests.fakes import GuessTask


def test_paired_seeds_reproduce_and_policies_differ():
    task = GuessTask()
    a = evaluate(task, "zero", 20, seed=5, progress=False)
    b = evaluate(task, "zero", 20, seed=5, progress=False)
    cheat = evaluate(task, "cheat", 20, seed=5, progress=False)
    assert [r.total_reward for r in a.records] == [r.total_reward for r in b.records]
    assert [r.seed for r in a.records] == list(range(5, 25))
    assert cheat.metrics["mean_score"] == 3.0
    assert a.metrics["mean_score"] < 3.0
    decisions = sum(r.steps for r in a.records)  # 3 guesses per episode
    assert decisions == 60 and a.metrics["decisions_per_s"] == pytest.approx(decisions / a.metrics["wall_s"])


def test_unknown_policy_and_bad_env_argument_are_user_errors():
    task = GuessTask()
    with pytest.raises(UserError, match="unknown policy 'nope'.*cheat, zero"):
        evaluate(task, "nope", 1, seed=0, progress=False)
    with pytest.raises(UserError, match="bad environment argument"):
        make_env(task, {"colour": "red"})
    with pytest.raises(UserError, match="at least 1"):
        evaluate(task, "zero", 0, seed=0, progress=False)


def test_play_episode_reports_every_step_from_the_start():
    task = GuessTask()
    seen = []
    record = play_episode(
        task, task.make_env(), task.policies()["cheat"](task), 3, on_step=lambda t, *a: seen.append(t)
    )
    assert seen == [0, 1, 2, 3]
    assert record.steps == 3 and record.total_reward == 3.0


def test_json_and_table(tmp_path):
    task = GuessTask()
    results = [evaluate(task, p, 4, seed=0, progress=False) for p in ("cheat", "zero")]
    write_json(results[:1], tmp_path / "one.json")
    one = json.loads((tmp_path / "one.json").read_text())
    assert {"task", "policy", "episodes", "seed", "metrics"} <= set(one)  # the SPEC's keys (and the context)
    assert one["policy"] == "cheat" and one["metrics"]["mean_score"] == 3.0
    write_json(results, tmp_path / "both.json")
    assert [o["policy"] for o in json.loads((tmp_path / "both.json").read_text())] == ["cheat", "zero"]
    table = format_table(results, reference="cheat")
    assert "mean_score" in table and "cheat" in table
