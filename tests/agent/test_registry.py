"""The policy registry: one entry per policy; the CLI, `tasks` and the runner read it, so a new policy is one entry."""

import pytest

from logicdistill.agent.registry import PolicySpec, policy_spec, register_policy, unregister_policy
from logicdistill.agent.slot_policy import SlotPolicy
from logicdistill.agent.stages import Choice
from logicdistill.cli import main
from logicdistill.evaluation import evaluate, policy_specs
from logicdistill.settings import Settings
from tests.fakes import CountTask


class FirstDecider:
    def choose(self, view):
        return Choice(view.candidates[0])

    def update(self, base):
        pass


class FirstCandidatePolicy(SlotPolicy):
    """A policy of a test: at every stage the first function the base lists for it, no model."""

    name = "first-candidate"

    def make_decider(self, session):
        return FirstDecider()

    def choose_many(self, requests):
        return [slot.decider.choose(view) for slot, view in requests]

    def metrics(self):
        return self.stats().metrics(weights_unchanged=True)


@pytest.fixture
def first_candidate():
    spec = register_policy(
        PolicySpec(
            "first-candidate",
            lambda task, settings=None, **options: FirstCandidatePolicy(task, settings, **options),
            "the first function of the stage (a test policy)",
            frozenset({"teacher", "rule_teacher"}),
            lockstep=True,
        )
    )
    yield spec
    unregister_policy(spec.name)


def test_a_new_policy_is_one_entry(first_candidate, recorded, tmp_path, capsys):
    task = CountTask()
    assert "first-candidate" in policy_specs(task) and policy_spec("first-candidate") is first_candidate
    options = {"teacher": recorded, "base_root": tmp_path / "bases"}
    one = evaluate(
        task, "first-candidate", 5, 3, policy_kwargs=options, progress=False, settings=Settings(episodes_at_once=1)
    )
    many = evaluate(
        task, "first-candidate", 5, 3, policy_kwargs=options, progress=False, settings=Settings(episodes_at_once=5)
    )
    assert [r.stats for r in one.records] == [r.stats for r in many.records]
    assert one.metrics["invalid_calls"] == 0 and 0 < one.metrics["selection_accuracy"] < 1  # it ignores the rule
    assert main(["tasks"]) == 0
    assert "first-candidate" in capsys.readouterr().out


def test_prefix_entries_and_unknown_names():
    spec = PolicySpec("echo:", lambda task, settings=None, **o: None, "a prefix entry")
    assert spec.matches("echo:http://x") and not spec.matches("echo:") and not spec.matches("ld")
    assert spec.take({"run": "r", "teacher": "t"}) == {}
    with pytest.raises(ValueError, match="unknown options"):
        register_policy(PolicySpec("bad", spec.factory, "x", frozenset({"color"})))
    with pytest.raises(ValueError, match="registered already"):
        register_policy(PolicySpec("ld", spec.factory, "another ld"))


def test_teacher_program_plays_in_lockstep_with_the_same_outcomes(recorded, tmp_path):
    task, options = CountTask(), {"teacher": recorded, "base_root": tmp_path / "bases"}
    one = evaluate(
        task, "teacher-program", 6, 1, policy_kwargs=options, progress=False, settings=Settings(episodes_at_once=1)
    )
    many = evaluate(
        task, "teacher-program", 6, 1, policy_kwargs=options, progress=False, settings=Settings(episodes_at_once=4)
    )
    assert [r.stats for r in one.records] == [r.stats for r in many.records]
    assert [r.total_reward for r in one.records] == [r.total_reward for r in many.records]
    assert one.metrics["invalid_calls"] == many.metrics["invalid_calls"] == 0
    assert "failed_decisions" not in one.metrics  # one name for the event across policies
