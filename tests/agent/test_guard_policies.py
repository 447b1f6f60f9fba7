"""ld-guard and manual-match (SPEC §8) on the toy CountTask, and ld unchanged by conditions (same seeds)."""

import pytest

from logicdistill.agent.student_decider import _masked
from logicdistill.evaluation import evaluate
from logicdistill.settings import Settings
from logicdistill.student.scoring import Selection
from logicdistill.student.tiny import tiny_student
from tests.evaluation.decision_log import assert_same_decisions, log_decisions
from tests.fakes import CountTask
from tests.functionbase.test_conditions import checked, teacher


@pytest.fixture
def decisions(monkeypatch):
    return log_decisions(monkeypatch)


def _evaluate(policy, rec, tmp_path, batch=1, student=True, **options):
    options = {"teacher": rec, "base_root": tmp_path / "bases", **options}
    if student is not False:  # True: a fresh tiny student; or the student given
        student = tiny_student(0) if student is True else student
        options |= {"student": student, "tuned": False, "k": 2, "embedder": "hashing"}
    settings = Settings(episodes_at_once=batch)
    return evaluate(CountTask(), policy, 7, seed=11, policy_kwargs=options, progress=False, settings=settings)


def test_ld_chooses_the_same_with_or_without_conditions(tmp_path, recorded, decisions):
    plain = _evaluate("ld", recorded, tmp_path / "a")
    before = dict(decisions)
    decisions.clear()
    guarded_base = _evaluate("ld", teacher(tmp_path, checked()), tmp_path / "b")
    assert_same_decisions(before, decisions, entropy_tol=0.0)  # the prompt is the same: conditions are not in it
    assert [r.stats for r in plain.records] == [r.stats for r in guarded_base.records]
    assert "false_condition_rate" not in plain.metrics and "forced_rate" not in guarded_base.metrics
    misreads = [c for (_, step, _), (c, label, _) in decisions.items() if c != label]
    assert misreads and guarded_base.metrics["false_condition_rate"] > 0  # the untrained student misreads


def test_ld_guard_on_an_unchecked_base_chooses_as_ld(tmp_path, recorded, decisions):
    ld = _evaluate("ld", recorded, tmp_path)
    before = dict(decisions)
    decisions.clear()
    guard = _evaluate("ld-guard", recorded, tmp_path)
    assert_same_decisions(before, decisions)
    assert [r.stats for r in ld.records] == [r.stats for r in guard.records]
    assert guard.metrics["unchecked_rate"] == 1.0 and guard.metrics["forced_rate"] == 0.0


@pytest.mark.parametrize("batch", [1, 3])
def test_ld_guard_is_forced_where_one_condition_holds_and_runs_no_forward_pass(tmp_path, monkeypatch, batch):
    student = tiny_student(0)
    monkeypatch.setattr(type(student), "select_batch", lambda *a, **k: pytest.fail("a forced stage was scored"))
    result = _evaluate("ld-guard", teacher(tmp_path, checked()), tmp_path, batch=batch, student=student)
    m = result.metrics
    assert m["selection_accuracy"] == 1.0 and m["forced_rate"] == 1.0 and m["false_condition_rate"] == 0.0
    assert m["wrong_new_function_rate"] == 0.0 and m["new_function_choice_rate"] == 1.0
    program = _evaluate("teacher-program", teacher(tmp_path, checked()), tmp_path, student=False)
    assert [r.stats for r in result.records] == [r.stats for r in program.records]


def test_ld_guard_masks_the_student_where_conditions_leave_a_choice(tmp_path, decisions):
    rec = teacher(tmp_path, checked(double_cond="not big", negate_cond=None))  # negate_it unchecked
    result = _evaluate("ld-guard", rec, tmp_path)
    m = result.metrics
    assert m["false_condition_rate"] == 0.0 and 0 < m["forced_rate"] < 1 and m["unchecked_rate"] > 0


def test_manual_match_plays_as_the_program_when_conditions_decide(tmp_path):
    rec = teacher(tmp_path, checked())
    match = _evaluate("manual-match", rec, tmp_path, student=False)
    program = _evaluate("teacher-program", rec, tmp_path, student=False)
    assert [r.stats for r in match.records] == [r.stats for r in program.records]
    assert match.metrics["selection_accuracy"] == 1.0 and match.metrics["forced_rate"] == 1.0
    many = _evaluate("manual-match", rec, tmp_path, student=False, batch=3)
    assert [r.stats for r in many.records] == [r.stats for r in match.records]


def test_manual_match_takes_the_first_in_base_order(tmp_path, decisions):
    rec = teacher(tmp_path, checked(double_cond=None, negate_cond=None))  # only the rule's function is checked
    match = _evaluate("manual-match", rec, tmp_path, student=False)
    # before the rule both functions are unchecked; after it the rule's function replaces them: forced
    assert match.metrics["unchecked_rate"] == 0.5 and match.metrics["forced_rate"] == 0.5
    before = {c for (_, step, _), (c, _, _) in decisions.items() if step < 2}
    after = {c for (_, step, _), (c, _, _) in decisions.items() if step >= 2}
    assert before == {"double_it"} and after == {"add_hundred"}  # first in base order; then the rule's, which holds


def test_the_mask_renormalises_over_the_allowed_answers():
    import numpy as np

    selection = Selection(0, np.array([0.5, 0.3, 0.2]), 1.49, "a")
    assert _masked(selection, ["a", "b", "none"], None) == ("a", 1.49)
    name, bits = _masked(selection, ["a", "b", "none"], ["b", "none"])
    assert name == "b" and bits == pytest.approx(0.971, abs=1e-3)
