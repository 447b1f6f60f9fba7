"""Checked conditions (SPEC §8): the grammar, the function fields, the reply parser, and every admission refusal,
each triggered by a teacher reply for the toy CountTask."""

import json

import pytest

from logicdistill.functionbase.condition import ConditionError, parse_condition
from logicdistill.functionbase.function import function_from_dict
from logicdistill.functionbase.guard import judge, with_rule_facts
from logicdistill.teacher.build import AdmissionFailed, build_base, check_base
from logicdistill.teacher.drafts import parse_reply
from logicdistill.teacher.parsing import ReplyParseError
from logicdistill.teacher.teachers import RecordedTeacher
from tests.fakes import PLUS_HUNDRED_REPLY, CountTask
from tests.functionbase.sample import REPLY, double

DOUBLE_WHEN = '"when_to_use": "big: no",'
NEGATE_WHEN = '"when_to_use": "big: yes",'
ADD_WHEN = '"when_to_use": "plus_hundred_in_force: yes",'


def checked(double_cond="not big", negate_cond="big"):
    """The sample Eq. 1 reply with these conditions (None: left unchecked)."""
    reply = REPLY
    if double_cond is not None:
        reply = reply.replace(DOUBLE_WHEN, DOUBLE_WHEN + f' "condition": {json.dumps(double_cond)},')
    if negate_cond is not None:
        reply = reply.replace(NEGATE_WHEN, NEGATE_WHEN + f' "condition": {json.dumps(negate_cond)},')
    return reply


def rule_reply(condition="plus_hundred_in_force", replaces=("double_it", "negate_it")):
    extra = f'"condition": {json.dumps(condition)}, "replaces": {json.dumps(list(replaces))},'
    return PLUS_HUNDRED_REPLY.replace(ADD_WHEN, ADD_WHEN + " " + extra)


def teacher(tmp_path, eq1, eq6=None):
    folder = tmp_path / "rec" / "count"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "eq1_base.md").write_text(eq1)
    (folder / "eq6_plus_hundred.md").write_text(eq6 or rule_reply())
    return RecordedTeacher(tmp_path / "rec")


def build(tmp_path, eq1, sandbox):
    from logicdistill.functionbase.store import FunctionBaseStore

    return build_base(CountTask(), teacher(tmp_path, eq1), FunctionBaseStore(tmp_path / "base"), sandbox)


@pytest.fixture(scope="module")
def sandbox():
    from logicdistill.sandbox import Sandbox

    box = Sandbox(workers=1)
    yield box
    box.close()


@pytest.mark.parametrize(
    "text, facts, value",
    [
        ("a and not b or c", {"a": True, "b": False, "c": False}, True),
        ("(a or b) and c", {"a": True, "b": False, "c": False}, False),
        ("not not a", {"a": True}, True),
        ("always", {}, True),
        ("a or b", {"a": True}, None),  # b unknown here: unchecked, not short-circuited
    ],
)
def test_conditions_evaluate_three_valued(text, facts, value):
    assert parse_condition(text).evaluate(facts) is value


@pytest.mark.parametrize("text", ["a and", "A", "a b", "(a or b", "not", "a == b", "", "and a", "f(x)", "a.b"])
def test_a_condition_that_does_not_parse_says_so(text):
    with pytest.raises(ConditionError):
        parse_condition(text)


def test_a_name_is_only_ever_a_fact_never_code():
    condition = parse_condition("__import__ or open")
    assert condition.facts() == {"__import__", "open"} and condition.evaluate({"__import__": False, "open": True})


def test_fields_round_trip_and_an_old_stored_function_loads():
    old = double().to_dict()
    assert "condition" not in old["manual"] and "replaces" not in old["manual"]  # stored byte for byte as before
    assert function_from_dict(old) == double()
    new = json.loads(json.dumps(old))
    new["manual"] |= {"condition": "not big", "replaces": ["negate_it"], "rule": "plus_hundred"}
    back = function_from_dict(new)
    assert back.manual.condition == "not big" and back.manual.replaces == ("negate_it",) and back.checked
    assert function_from_dict(back.to_dict()) == back
    assert back.compact() == double().compact()  # the student's view (and the fingerprint) do not change


def test_the_reply_parser_treats_a_bad_condition_like_a_bad_field():
    with pytest.raises(ReplyParseError, match="double_it.*ends too early"):
        parse_reply(checked(double_cond="not"), "t", "h", need_stages=True)
    with pytest.raises(ReplyParseError, match="Eq. 6"):
        parse_reply(REPLY.replace(DOUBLE_WHEN, DOUBLE_WHEN + ' "replaces": ["negate_it"],'), "t", "h", True)
    draft = parse_reply(checked(), "t", "h", need_stages=True)
    assert [f.manual.condition for f in draft.functions] == ["not big", "big"]


def test_a_sound_checked_base_is_admitted(tmp_path, sandbox):
    result = build(tmp_path, checked(), sandbox)
    assert all("condition" in r.passed for r in result.reports)
    reports, problem = check_base(CountTask(), result.base, sandbox)
    assert problem is None and all(r.ok for r in reports)


def test_refused_a_condition_on_a_fact_the_stage_cannot_see(tmp_path, sandbox):
    with pytest.raises(AdmissionFailed) as err:
        build(tmp_path, checked(double_cond="not huge"), sandbox)
    (line,) = err.value.lines
    assert line.startswith("double_it: condition:") and "reads huge" in line and "stage act cannot see" in line
    assert "facts there: big, plus_hundred_in_force" in line


def test_refused_a_condition_the_program_does_not_follow(tmp_path, sandbox):
    with pytest.raises(AdmissionFailed) as err:
        build(tmp_path, checked(double_cond="big", negate_cond=None), sandbox)
    line = err.value.lines[-1]
    assert "disagree with the program" in line and "stage act" in line and "double_it" in line
    assert "big: no" in line  # the facts it happened on


def test_refused_two_checked_conditions_that_hold_at_once(tmp_path, sandbox):
    with pytest.raises(AdmissionFailed) as err:
        build(tmp_path, checked(double_cond="always", negate_cond="big"), sandbox)
    line = err.value.lines[-1]
    assert "several conditions hold at once" in line and "double_it" in line and "negate_it" in line


def test_refused_replaces_naming_no_function_at_that_stage(tmp_path, sandbox):
    from logicdistill.agent.session import FunctionBaseSession
    from logicdistill.tasks.base import RuleEvent

    rec = teacher(tmp_path, checked(), rule_reply(replaces=("double_it", "triple_it")))
    session = FunctionBaseSession(CountTask(), rec, tmp_path / "b", sandbox=sandbox)
    with pytest.raises(AdmissionFailed) as err:
        session.adopt(RuleEvent("plus_hundred", "add 100", "plus_hundred_in_force", {}), 2)
    (line,) = err.value.lines
    assert line.startswith("add_hundred: condition: replaces triple_it")
    assert "functions there: double_it, negate_it" in line


def test_refused_a_new_rule_whose_functions_leave_two_conditions_holding(tmp_path, sandbox):
    from logicdistill.agent.session import FunctionBaseSession
    from logicdistill.tasks.base import RuleEvent

    rec = teacher(tmp_path, checked(), rule_reply(replaces=("double_it",)))  # negate_it still holds when big
    session = FunctionBaseSession(CountTask(), rec, tmp_path / "b", sandbox=sandbox)
    with pytest.raises(AdmissionFailed, match="several conditions hold at once: negate_it .*add_hundred"):
        session.adopt(RuleEvent("plus_hundred", "add 100", "plus_hundred_in_force", {}), 2)


def test_a_new_rule_replaces_what_it_names_while_in_force(tmp_path, sandbox):
    from logicdistill.agent.session import FunctionBaseSession
    from logicdistill.tasks.base import RuleEvent

    session = FunctionBaseSession(CountTask(), teacher(tmp_path, checked()), tmp_path / "b", sandbox=sandbox)
    session.adopt(RuleEvent("plus_hundred", "add 100", "plus_hundred_in_force", {}), 2)
    functions = session.base.functions
    assert functions["add_hundred"].manual.rule == "plus_hundred"
    names = ["add_hundred", "double_it", "negate_it"]
    facts = with_rule_facts({"big": False, "plus_hundred_in_force": True}, ["plus_hundred"])
    live = judge(functions, "act", names, facts)
    assert live.holds == ("add_hundred",) and live.replaced == ("double_it", "negate_it")
    before = judge(functions, "act", names, with_rule_facts({"big": True}, ["plus_hundred"]))
    assert before.holds == ("negate_it",) and before.false == ("add_hundred", "double_it") and not before.replaced


def test_an_unparseable_condition_in_a_stored_base_is_refused_by_base_check(tmp_path, sandbox):
    import dataclasses

    base = build(tmp_path, checked(), sandbox).base
    broken = base.functions["double_it"]
    broken = dataclasses.replace(broken, manual=dataclasses.replace(broken.manual, condition="big and"))
    base = dataclasses.replace(base, functions=base.functions | {"double_it": broken})
    reports, _ = check_base(CountTask(), base, sandbox)
    (bad,) = [r for r in reports if not r.ok]
    assert bad.function == "double_it" and "does not parse" in bad.reasons()[0]


@pytest.mark.parametrize("task_name", ["pursuit", "blackjack"])
def test_conditions_leave_the_fingerprint_and_the_student_prompt_unchanged(task_name, tmp_path, sandbox):
    """A run distilled on a base before it gained conditions still matches it (run.check_base): the student
    never reads conditions, so the fingerprint leaves them out."""
    import dataclasses

    from logicdistill.functionbase.fingerprint import base_fingerprint
    from logicdistill.functionbase.store import FunctionBaseStore
    from logicdistill.student.runs import DistilledStudent, shipped_run
    from logicdistill.tasks import get_task

    task = get_task(task_name)
    base = build_base(task, RecordedTeacher(), FunctionBaseStore(tmp_path / task_name), sandbox).base
    assert all(f.checked for f in base.functions.values())
    plain = {
        n: dataclasses.replace(f, manual=dataclasses.replace(f.manual, condition=None, replaces=()))
        for n, f in base.functions.items()
    }
    assert base_fingerprint(dataclasses.replace(base, functions=plain)) == base_fingerprint(base)
    assert DistilledStudent.load(shipped_run(task_name)).check_base(base_fingerprint(base))


def test_a_task_that_names_no_facts_has_them_found_along_random_episodes():
    """A plugin task need not list its facts: those that only appear mid-episode are found by playing."""
    from tests.fakes import CountTask

    class LateFactTask(CountTask):
        def state_facts(self, env):
            facts = super().state_facts(env)
            if env.unwrapped.t >= 1:  # never true at a reset
                facts["moved"] = True
            return facts

    names = LateFactTask().fact_names()
    assert "big" in names and "moved" in names
    assert not any(n.endswith("_in_force") for n in names)  # rule facts are the rule kinds' business
