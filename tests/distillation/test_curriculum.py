"""The selection curriculum: seeded, balanced over forms, labelled by the evaluator, held-out bases unseen."""

import re
from collections import Counter
from pathlib import Path

import pytest

from logicdistill.distillation.conditions import gold
from logicdistill.distillation.curriculum import Curriculum
from logicdistill.distillation.forms import FORMS
from logicdistill.distillation.vocab import ALL_WORDS, VOCABULARIES
from logicdistill.teacher.teachers import RECORDED_DIR

ROOT = Path(__file__).resolve().parents[2]


def test_reproducible_from_the_seed():
    c = Curriculum()
    assert c.examples(60, seed=3) == c.examples(60, seed=3)
    assert c.examples(60, seed=3) != c.examples(60, seed=4)
    assert c.examples(30, seed=3, bases="heldout") == c.examples(30, seed=3, bases="heldout")


@pytest.mark.parametrize("n", [110, 115])
def test_every_form_gets_its_share(n):
    counts = Counter(e.form for e in Curriculum().examples(n, seed=0))
    assert set(counts) == set(FORMS)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_forms_can_be_chosen_and_unknown_ones_are_refused():
    assert {e.form for e in Curriculum().examples(12, 0, forms=["negation", "chain"])} == {"negation", "chain"}
    with pytest.raises(ValueError):
        Curriculum().examples(3, 0, forms=["telepathy"])
    with pytest.raises(ValueError):
        Curriculum(forms=("single", "nope"))
    with pytest.raises(ValueError):
        Curriculum().examples(3, 0, bases="test")


def test_labels_are_the_evaluators_and_the_prompt_states_them():
    c = Curriculum()
    problems = c.problems(220, seed=1)
    examples = c.examples(220, seed=1)
    for p, e in zip(problems, examples, strict=True):
        label = gold(p.conditions, p.stage, p.facts)
        assert p.gold == label and e.form == p.form
        assert e.candidates[e.gold] == (label or "none") and e.candidates[-1] == "none"
        assert (label is None) == (p.form == "no_fit")
        for name, manual in p.manuals.items():
            assert f"- {name}: {manual}" in e.prefix and manual.startswith("Use when: ")
            for fact, _ in p.conditions[name].literals:
                assert fact in manual
        for fact, value in p.state_facts.items():
            assert f"{fact}: {'yes' if value else 'no'}" in e.state
        if p.form == "earlier_result":
            assert p.result_facts and "Earlier results:" in e.state


def test_each_form_reaches_several_answers_and_the_negation_trap_is_drawn():
    problems = Curriculum().problems(660, seed=2)
    for form in FORMS:
        if form != "no_fit":  # which function (in the order the form wrote them) is the answer
            answers = {list(p.conditions).index(p.gold) for p in problems if p.form == form}
            assert len(answers) >= 2, form
    traps = 0
    for p in problems:  # a rule in force, its function says "x: no", x is yes: a plain function is the answer
        if p.form == "negation" and p.gold is not None and p.conditions[p.gold].rank == 0:
            facts = p.facts
            traps += any(
                any(f.endswith("_in_force") and facts.get(f) for f, v in c.literals)
                and any(not v and facts.get(f) for f, v in c.literals)
                for c in p.conditions.values()
            )
    assert traps >= 10
    ranked = Counter(p.form for p in problems if p.gold and p.conditions[p.gold].rank > 0)
    assert ranked["rule_in_force"] >= 10 and ranked["override"] >= 10 and ranked["chain"] >= 10


def test_other_stages_are_always_named():
    for p in Curriculum().problems(110, seed=4, forms=["multi_stage", "distractor"]):
        for name, c in p.conditions.items():
            if c.stage != p.stage:
                assert f"stage {c.stage}," in p.manuals[name].lower()


def test_phrasings_cover_what_teachers_write():
    text = "\n".join(m for p in Curriculum().problems(440, seed=5) for m in p.manuals.values())
    for phrase in (
        ": no",
        " is no",
        "not ",
        ": yes",
        "_in_force: yes",
        "whatever",
        "whether or not",
        "Stage ",
        "every step",
    ):
        assert phrase in text, phrase
    assert re.search(r"Priority \d|First choice|Checked first", text) and "exactly one of" in text


def _names(problems):
    functions, facts, stages = set(), set(), set()
    for p in problems:
        functions |= set(p.manuals)
        facts |= set(p.facts) | {f for c in p.conditions.values() for f, _ in c.literals}
        stages |= {p.stage} | {c.stage for c in p.conditions.values()}
    return functions, facts, stages


def test_heldout_bases_share_no_name_with_training_bases():
    train = _names(Curriculum().problems(550, seed=0))
    held = _names(Curriculum().problems(550, seed=0, bases="heldout"))
    for a, b in zip(train, held, strict=True):
        assert a and b and not a & b
    assert not VOCABULARIES["train"].words() & VOCABULARIES["heldout"].words()
    assert not set(VOCABULARIES["train"].consonants) & set(VOCABULARIES["heldout"].consonants)


def test_no_word_of_a_shipped_task_is_in_the_vocabulary():
    files = [*RECORDED_DIR.glob("*/eq*.md"), *(ROOT / "examples" / "taxi").rglob("eq*.md")]
    assert len(files) >= 5
    text = "".join(f.read_text() for f in files)
    names = set(re.findall(r'"name": "(\w+)"', text)) | set(re.findall(r"(\w+): (?:yes|no)", text))
    words = {w for n in names for w in n.split("_")} - {"in", "force", "no", "yes"}
    assert {"capture", "stall", "ace", "passenger"} <= words
    assert not words & ALL_WORDS
