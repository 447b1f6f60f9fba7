"""The LD policy's metrics from stage records: accuracy by stage, retrieval recall, first use of a new function."""

from types import SimpleNamespace

import pytest

from logicdistill.agent.ld_slot import LDSlot, LDStats
from logicdistill.agent.stages import StageRecord


def _record(stage, chosen, shown):
    return StageRecord(stage, ["a", "b", "c", "rule_fn"], chosen, {}, True, shown=shown)


def test_metrics_from_stage_records():
    slot = SimpleNamespace(stats=LDStats(new_functions={"rule_fn"}), _arrival=None)
    score = LDSlot._score
    score(slot, _record("moves", "a", ("a", "b")), "a", 0)
    score(slot, _record("choose", "b", ("b", "c")), "c", 0)  # wrong, the program's choice was shown
    score(slot, _record("choose", "b", ("a", "b")), "c", 1)  # wrong, the program's choice was not retrieved
    slot._arrival = 2  # a rule arrives at step 2; its function is first chosen at step 5
    score(slot, _record("choose", "c", ("c", "rule_fn")), "rule_fn", 3)
    score(slot, _record("choose", "rule_fn", ("c", "rule_fn")), "rule_fn", 5)
    score(slot, _record("choose", "rule_fn", None), "rule_fn", 6)  # every function shown: not a retrieval
    other = SimpleNamespace(stats=LDStats(new_functions={"rule_fn"}), _arrival=None)
    score(other, _record("moves", "b", ("a", "b")), "a", 0)
    m = LDStats.merge([slot.stats, other.stats]).metrics(weights_unchanged=True)
    assert m["selection_accuracy"] == pytest.approx(3 / 7)
    assert m["selection_accuracy.moves"] == 0.5 and m["selection_accuracy.choose"] == pytest.approx(2 / 5)
    assert m["retrieval_recall"] == pytest.approx(5 / 6)
    assert m["first_new_function_step"] == 5.0 and m["steps_to_first_use"] == 3.0
    assert m["new_function_choice_rate"] == pytest.approx(2 / 3)


def test_no_recall_without_shown_candidates():
    slot = SimpleNamespace(stats=LDStats(), _arrival=None)
    LDSlot._score(slot, _record("act", "a", None), "a", 0)
    m = slot.stats.metrics(True)
    assert "retrieval_recall" not in m and m["selection_accuracy.act"] == 1.0
