"""The evaluator that labels the curriculum, on hand-written cases of every condition form."""

import pytest

from logicdistill.distillation.conditions import Ambiguous, Condition, gold


def C(*literals, stage="s", rank=0):  # noqa: N802 - reads like the manual it stands for
    return Condition(tuple(literals), stage, rank)


def test_single():
    base = {"on": C(("a", True)), "off": C(("a", False))}
    assert gold(base, "s", {"a": True}) == "on"
    assert gold(base, "s", {"a": False}) == "off"
    assert gold(base, "s", {}) == "off"  # a fact not stated is no


def test_negation_and_the_trap():
    base = {
        "plain_yes": C(("a", True)),
        "plain_no_b": C(("a", False), ("b", True)),
        "plain_no_nob": C(("a", False), ("b", False)),
        "rule_fn": C(("r_in_force", True), ("a", False), rank=1),
    }
    # the trap: the rule is in force but its function says "a: no" and a is yes
    assert gold(base, "s", {"r_in_force": True, "a": True, "b": True}) == "plain_yes"
    assert gold(base, "s", {"r_in_force": True, "a": False, "b": True}) == "rule_fn"
    assert gold(base, "s", {"a": False, "b": True}) == "plain_no_b"


def test_conjunction():
    base = {"yn": C(("a", True), ("b", False)), "yy": C(("a", True), ("b", True)), "n": C(("a", False))}
    assert gold(base, "s", {"a": True, "b": False}) == "yn"
    assert gold(base, "s", {"a": True, "b": True}) == "yy"
    assert gold(base, "s", {"a": False, "b": True}) == "n"


def test_chain_first_match_wins():
    base = {"first": C(("a", True), rank=3), "second": C(("b", True), rank=2), "last": C(rank=0)}
    assert gold(base, "s", {"a": True, "b": True}) == "first"
    assert gold(base, "s", {"a": False, "b": True}) == "second"
    assert gold(base, "s", {}) == "last"


def test_override_beats_the_plain_functions_whatever_they_say():
    base = {"p": C(("a", True)), "q": C(("a", False)), "o": C(("o", True), rank=1)}
    assert gold(base, "s", {"a": True, "o": True}) == "o"
    assert gold(base, "s", {"a": True, "o": False}) == "p"


def test_exclusive():
    base = {"x": C(("m1", True)), "y": C(("m2", True)), "z": C(("m1", False), ("m2", False))}
    assert [gold(base, "s", f) for f in ({"m1": True}, {"m2": True}, {"m3": True})] == ["x", "y", "z"]


def test_rule_in_force_absent_means_not_in_force():
    base = {"plain": C(("a", True)), "rule_fn": C(("r_in_force", True), rank=1)}
    assert gold(base, "s", {"a": True}) == "plain"
    assert gold(base, "s", {"a": True, "r_in_force": False}) == "plain"
    assert gold(base, "s", {"a": True, "r_in_force": True}) == "rule_fn"


def test_multi_stage_and_distractors_never_fit_another_stage_or_an_unstated_fact():
    base = {"here": C(("a", True)), "there": C(("a", True), stage="t", rank=5), "foreign": C(("g", True), rank=5)}
    assert gold(base, "s", {"a": True}) == "here"
    assert gold(base, "t", {"a": True}) == "there"
    assert gold({"any": C(("a", True), stage=None)}, "whatever", {"a": True}) == "any"


def test_no_fit_and_ambiguity():
    assert gold({"p": C(("a", True)), "q": C(("a", False), ("b", True))}, "s", {"a": False}) is None
    with pytest.raises(Ambiguous):
        gold({"p": C(("a", True)), "q": C(("b", True))}, "s", {"a": True, "b": True})
