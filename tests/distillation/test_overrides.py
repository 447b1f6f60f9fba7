import re
from pathlib import Path

import pytest

from logicdistill.agent.candidates import CandidateBuilder
from logicdistill.agent.prompting import parse_facts
from logicdistill.agent.session import FunctionBaseSession
from logicdistill.agent.teacher_program import TeacherProgramPolicy
from logicdistill.distillation import overrides as overrides_module
from logicdistill.distillation.overrides import NOUNS, OVERRIDES, RULES, VERBS, override_examples
from logicdistill.distillation.traces import collect_traces
from logicdistill.tasks.pursuit.emergencies import event_kinds
from logicdistill.teacher.teachers import RECORDED_DIR
from tests.fakes import CountTask


@pytest.fixture
def count_setup(tmp_path, recorded):
    task = CountTask()
    session = FunctionBaseSession(task, recorded, tmp_path / "b")
    policy = TeacherProgramPolicy(task, session=session)
    try:
        traces = collect_traces(task, policy, range(6), None, progress=False)
    finally:
        policy.close()
    return CandidateBuilder(task, session.base, 3, "bm25", "hashing"), traces


def test_override_examples_are_seeded(count_setup):
    builder, traces = count_setup
    a = override_examples(builder, traces, 30, seed=1)
    assert a == override_examples(builder, traces, 30, seed=1)
    assert a != override_examples(builder, traces, 30, seed=2)


def test_the_override_is_the_label_exactly_when_its_rule_is_in_force(count_setup):
    builder, traces = count_setup
    examples = override_examples(builder, traces, 200, seed=0)
    kinds = {"override": 0, "plain_with_override": 0, "rule_without_override": 0}
    for e in examples:
        made_up = [c for c in e.candidates if c != "none" and c not in builder.functions]
        facts = parse_facts(e.state.split("Facts: ")[1].splitlines()[0])
        assert len(e.candidates) <= builder.k + 1 and e.candidates[-1] == "none"
        if not made_up:  # a rule in force that no candidate is about: the plain choice stands
            assert any(k.endswith("_in_force") for k in facts)
            assert e.candidates[e.gold] in builder.functions
            kinds["rule_without_override"] += 1
            continue
        (name,) = made_up
        rule = re.search(rf"- {name}: Use when: .*?(\w+)_in_force: yes", e.prefix).group(1)
        in_force = facts.get(f"{rule}_in_force", False)
        # a phrasing may also name a fact known at the stage ("big" here): read it as the label did
        when = re.search(rf"- {name}: Use when: (.*)", e.prefix).group(1)
        named = dict(re.findall(r"(\w+): (yes|no)\b", when.split("_in_force: yes", 1)[1]))
        holds = in_force and all(facts.get(k, False) == (v == "yes") for k, v in named.items())
        assert (e.candidates[e.gold] == name) == holds
        kinds["override" if in_force else "plain_with_override"] += 1
    assert min(kinds.values()) >= 10, kinds


def test_phrasings_read_the_facts_they_name():
    facts = {"fog_alert_in_force": True, "door_open": True, "alarm": False}
    applies = [o.applies("fog_alert", facts, "door_open", "alarm") for o in OVERRIDES]
    needs_a_no = [o for o in OVERRIDES if "{a}: no" in o.when]
    assert needs_a_no and all(not o.applies("fog_alert", facts, "door_open", "alarm") for o in needs_a_no)
    assert all(o.applies("fog_alert", facts, "alarm", "door_open") for o in needs_a_no)
    assert any(applies) and not any(o.applies("curfew", facts, "door_open", "alarm") for o in OVERRIDES)


def test_generic_code_names_no_task_fact():
    source = Path(overrides_module.__file__).read_text()
    assert "capture_available" not in source and "position_repeated" not in source


def test_made_up_rules_and_names_never_touch_a_real_emergency():
    real = set(event_kinds())
    assert real and not real & set(RULES)
    replies = "".join(p.read_text() for p in (RECORDED_DIR / "pursuit").glob("eq6_*.md"))
    functions = re.findall(r'"name": "(\w+)",\s*"stages"', replies)
    assert len(functions) >= 5  # the emergency functions of the recorded replies
    words = {w for name in real | set(functions) for w in name.split("_")}
    assert not words & (set(VERBS) | set(NOUNS) | {w for r in RULES for w in r.split("_")})
