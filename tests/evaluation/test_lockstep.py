"""Episodes in lockstep make the same decisions as episodes played one after another, stage by stage."""

import math

import pytest

from logicdistill.evaluation import evaluate
from logicdistill.settings import Settings
from logicdistill.student.tiny import tiny_student
from tests.evaluation.decision_log import assert_same_decisions, log_decisions
from tests.fakes import CountTask, GuessTask


@pytest.fixture
def decisions(monkeypatch):
    return log_decisions(monkeypatch)


def _evaluate(policy, recorded, tmp_path, batch, episodes=7, **options):
    options = {
        "student": tiny_student(0),
        "teacher": recorded,
        "base_root": tmp_path / "bases",
        "k": 2,  # the count base has 2 functions, 3 once the rule arrives: retrieval then ranks them
        "retriever": "fused",
        "embedder": "hashing",
        **options,
    }
    settings = Settings(episodes_at_once=batch)
    return evaluate(CountTask(), policy, episodes, seed=11, policy_kwargs=options, progress=False, settings=settings)


def _same_results(one, many) -> None:
    assert [r.seed for r in many.records] == [r.seed for r in one.records] == list(range(11, 18))
    assert [r.stats for r in many.records] == [r.stats for r in one.records]
    assert [r.steps for r in many.records] == [r.steps for r in one.records]
    for name, value in one.metrics.items():
        if name in ("decisions_per_s", "wall_s"):
            continue
        if name == "mean_entropy_bits":
            assert many.metrics[name] == pytest.approx(value, abs=1e-5)
        else:
            assert many.metrics[name] == value or (math.isnan(value) and math.isnan(many.metrics[name])), name


@pytest.mark.parametrize("batch", [3, 16])
def test_lockstep_decides_as_one_after_another(tmp_path, recorded, decisions, batch):
    one = _evaluate("ld-untuned", recorded, tmp_path, batch=1)
    alone = dict(decisions)
    decisions.clear()
    many = _evaluate("ld-untuned", recorded, tmp_path, batch=batch)
    assert len(alone) == 7 * 4  # 7 episodes, 4 steps, one stage each
    assert_same_decisions(alone, decisions)
    _same_results(one, many)
    # the rule arrives at step 2 of every episode: its new function is adopted per episode, then chosen or not
    assert many.metrics["new_function_stages"] == 7 * 2 and "new_function_choice_rate" in many.metrics
    assert many.metrics["weights_unchanged"] == 1.0


def test_lockstep_generate_mode_matches_too(tmp_path, recorded, decisions):
    one = _evaluate("ld-generate", recorded, tmp_path, batch=1, episodes=3, tuned=False)
    alone = dict(decisions)
    decisions.clear()
    many = _evaluate("ld-generate", recorded, tmp_path, batch=3, episodes=3, tuned=False)
    assert_same_decisions(alone, decisions)
    assert [r.stats for r in many.records] == [r.stats for r in one.records]


def test_one_forward_pass_per_stage_for_all_live_episodes(tmp_path, recorded, monkeypatch):
    student = tiny_student(0)
    calls = []
    original = type(student).select_batch

    def select_batch(self, examples, **kwargs):
        calls.append(len(examples))
        return original(self, examples, **kwargs)

    monkeypatch.setattr(type(student), "select_batch", select_batch)
    _evaluate("ld-untuned", recorded, tmp_path, batch=4, episodes=4, student=student)
    assert calls == [4, 4, 4, 4]  # 4 steps of one stage; every episode lives to the end


def test_policies_without_slots_play_one_after_another():
    one = evaluate(GuessTask(), "zero", 5, seed=2, progress=False)
    many = evaluate(GuessTask(), "zero", 5, seed=2, progress=False, settings=Settings(episodes_at_once=4))
    assert [r.total_reward for r in many.records] == [r.total_reward for r in one.records]


def test_a_retrieval_index_forgets_the_rules_of_the_episode_before(tmp_path, recorded):
    from logicdistill.agent.ld_policy import LDPolicy
    from logicdistill.evaluation import play_episode

    task = CountTask()
    policy = LDPolicy(
        task, tuned=False, student=tiny_student(0), teacher=recorded, base_root=tmp_path / "b", embedder="hashing"
    )
    try:
        play_episode(task, task.make_env(), policy, seed=1)
        assert "add_hundred" in policy.slot.decider.builder.retriever
        policy.reset(task.make_env().unwrapped, 2)
        retriever = policy.slot.decider.builder.retriever
        assert "add_hundred" not in retriever and len(retriever) == 2
    finally:
        policy.close()


def test_a_bf16_student_plays_in_lockstep_too(tmp_path, recorded, decisions):
    import torch

    from logicdistill.student.loading import load_student

    student = load_student("tiny", dtype=torch.bfloat16)
    assert next(student.model.parameters()).dtype == torch.bfloat16
    result = _evaluate("ld-untuned", recorded, tmp_path, batch=4, episodes=4, student=student)
    assert result.metrics["invalid_calls"] == 0.0 and len(decisions) == 16


def test_without_a_batch_the_policy_says_how_many_side_by_side(tmp_path, recorded, monkeypatch):
    from logicdistill import settings
    from logicdistill.evaluation import runner

    widths = []
    original = runner.play_lockstep

    def play_lockstep(task, envs, policy, seeds, on_episode=None):
        widths.append(len(envs))
        return original(task, envs, policy, seeds, on_episode)

    monkeypatch.setattr(runner, "play_lockstep", play_lockstep)
    monkeypatch.setitem(settings.DEVICE_DEFAULTS, "cpu", settings.DeviceDefaults(3, 8, 64))
    _evaluate("ld-untuned", recorded, tmp_path, batch=None, episodes=5)
    _evaluate("ld-untuned", recorded, tmp_path, batch=1, episodes=2)  # 1: one after another, no lockstep
    assert widths == [3]
