"""Held-out scoring per condition form and per stage, on a fake scorer (no model)."""

from types import SimpleNamespace

from logicdistill.distillation.curriculum import Curriculum
from logicdistill.distillation.heldout import by_form, by_group, hits, mean, recall


class FormBlindStudent:
    """Right on every form but negation, where it always takes the first candidate that is not the answer."""

    def select_batch(self, examples):
        picks = []
        for e in examples:
            wrong = next(i for i in range(len(e.candidates)) if i != e.gold)
            picks.append(SimpleNamespace(index=wrong if e.form == "negation" else e.gold))
        return picks


def test_accuracy_and_count_per_form():
    examples = Curriculum().examples(44, seed=0, forms=["single", "negation", "chain", "no_fit"], bases="heldout")
    scores = hits(FormBlindStudent(), examples)
    result = by_form(scores, examples)
    assert set(result) == {"single", "negation", "chain", "no_fit"}
    assert result["negation"] == {"accuracy": 0.0, "count": 11}
    assert result["single"] == result["chain"] == result["no_fit"] == {"accuracy": 1.0, "count": 11}
    assert mean(scores) == 0.75


def test_task_examples_have_no_form_and_groups_skip_the_empty_one():
    examples = Curriculum().examples(4, seed=0, forms=["single"])
    plain = [examples[0].__class__(examples[0].prefix, examples[0].state, examples[0].candidates, examples[0].gold)]
    assert plain[0].form == "" and by_form([True], plain) == {}
    assert by_group([True, False, True, True], ["act", "act", "", "rule_override"]) == {
        "act": 0.5,
        "rule_override": 1.0,
    }
    assert hits(FormBlindStudent(), []) == []


def test_recall_at_each_k():
    assert recall([1, 2, None, 1], 3) == {"recall@1": 0.5, "recall@2": 0.75, "recall@3": 0.75}
