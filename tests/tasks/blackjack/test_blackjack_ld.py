"""The LD side of 21 Points: the state adapter, the admission checks, and the recorded Eq. 1 teacher reply.

The recorded functions run in the real sandbox; driven by the recorded usage program they must play the
DP optimum in every state, so the teacher-program baseline is exactly the oracle on this task.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from logicdistill.errors import UserError
from logicdistill.functionbase.admission import admit, module_id
from logicdistill.functionbase.function import Function, Manual, Param
from logicdistill.sandbox import Sandbox, check_source
from logicdistill.tasks import get_task
from logicdistill.tasks.blackjack import dp, ld_state
from logicdistill.tasks.blackjack.env import InvalidActionError
from logicdistill.teacher.drafts import PROGRAM_FUNCTION, Draft, parse_reply
from logicdistill.teacher.teachers import RECORDED_DIR, RecordedTeacher

REPLY_PATH = RECORDED_DIR / "blackjack" / "eq1_base.md"
PROGRAM_ID = "blackjack_program"


@pytest.fixture(scope="module")
def task():
    return get_task("blackjack")


@pytest.fixture(scope="module")
def draft() -> Draft:
    return parse_reply(REPLY_PATH.read_text(encoding="utf-8"), "recorded", "x", need_stages=True)


@pytest.fixture(scope="module")
def sandbox(draft):
    with Sandbox(workers=1) as sb:
        for f in draft.functions:
            assert sb.load(module_id(f), f.source).ok
        assert sb.load(PROGRAM_ID, draft.program).ok
        yield sb


def _state(player_sum: int, dealer_card: int, usable_ace: bool) -> dict:
    return {"player_sum": player_sum, "dealer_card": dealer_card, "usable_ace": usable_ace}


def _teacher_program_actions(draft: Draft, sandbox: Sandbox, states: list[dp.State]) -> list[int]:
    """The recorded program picks a function from the state facts; the function gives the action."""
    by_name = {f.name: f for f in draft.functions}
    picks = sandbox.call_many([(PROGRAM_ID, PROGRAM_FUNCTION, ["decide", {"usable_ace": u}], {}) for _, _, u in states])
    assert all(p.ok and p.value in by_name for p in picks), picks[:3]
    calls = [
        (module_id(by_name[p.value]), p.value, [], {"state": _state(*s)}) for p, s in zip(picks, states, strict=True)
    ]
    results = sandbox.call_many(calls)
    assert all(r.ok for r in results), [r.reason for r in results if not r.ok][:3]
    return [r.value for r in results]


def test_recorded_reply_is_marked_as_data_and_parses_into_the_stage_layout(task, draft):
    first = REPLY_PATH.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("<!--") and "recorded teacher output" in first.lower()
    assert "logicdistill base build --task blackjack --teacher openai:MODEL" in first
    assert draft.stages == task.stages == (ld_state.STAGES[0],)
    assert [f.name for f in draft.functions] == ["hard_total_decision", "soft_total_decision"]
    for f in draft.functions:
        assert f.manual.stages == ("decide",) and [(p.name, p.type) for p in f.manual.params] == [("state", "state")]
        assert 2 <= len(f.manual.examples) <= 3
    assert ld_state.state_domain(draft.functions[0]) == (False,)
    assert ld_state.state_domain(draft.functions[1]) == (True,)
    # The recorded teacher replays the same file through the same parser.
    assert RecordedTeacher().write_base(task).functions == draft.functions


def test_recorded_code_passes_the_static_checks(draft):
    for source in [f.source for f in draft.functions] + [draft.program]:
        result = check_source(source)
        assert result.ok, str(result)


def test_recorded_functions_pass_admission_with_the_task_checks(task, draft, sandbox):
    for f in draft.functions:
        report = admit(f, sandbox, task.function_checks(), draft.functions)
        assert report.ok, report.reasons()
        assert {"example 1", "example 2", "returns an action", "sticks on 21"} <= set(report.passed)
        assert report.near_duplicate_of is None


def test_manual_examples_return_what_they_say(draft, sandbox):
    for f in draft.functions:
        for example in f.manual.examples:
            result = sandbox.call(module_id(f), f.name, [], example.args)
            assert result.ok and result.value == example.expected, (f.name, example)
            state = example.args["state"]
            assert example.expected == dp.optimal_action(state["player_sum"], state["dealer_card"], state["usable_ace"])


def test_teacher_program_plays_the_dp_optimum_in_every_state(draft, sandbox):
    states = list(dp.all_states())
    actions = _teacher_program_actions(draft, sandbox, states)
    assert len(states) == 280
    assert actions == [dp.optimal_action(*s) for s in states]
    table = dict(zip(states, actions, strict=True))
    assert abs(dp.policy_return_exact(lambda s: Fraction(table[s])) - dp.expected_return_exact()) < Fraction(1, 100)


def test_task_checks_reject_wrong_decide_functions(task, sandbox):
    def fn(name: str, body: str, when: str) -> Function:
        manual = Manual("s", when, (Param("state", "state"),), "0 or 1", ("decide",))
        return Function(name, f"def {name}(state):\n" + body, manual)

    def problems(function: Function) -> dict[str, str]:
        assert sandbox.load(module_id(function), function.source).ok
        call = lambda args: sandbox.call(module_id(function), function.name, [], args)  # noqa: E731
        return {c.name: c.run(function, call) for c in task.function_checks()}

    hits_21 = problems(fn("always_hit", "    return 1\n", "usable_ace: no"))
    assert "21 must stick" in hits_21["sticks on 21"] and hits_21["returns an action"] is None
    words = problems(fn("say_stick", "    return 'stick'\n", "any hand"))
    assert "not 0 (stick) or 1 (hit)" in words["returns an action"]
    lazy = problems(fn("stick_always", "    return 0\n", "usable_ace: no"))
    assert "11 or less must hit" in lazy["hits a hard 11 or less"]
    # A soft-only function is checked on soft hands only: failing on hard ones is no fault.
    soft_only = fn("soft_only", "    return [1, 0][state['player_sum'] // 19]\n", "usable_ace: yes")
    assert problems(soft_only) == dict.fromkeys(["returns an action", "sticks on 21", "hits a hard 11 or less"])
    crashing = problems(fn("crashes", "    return state['missing']\n", "usable_ace: no"))
    assert "error" in crashing["returns an action"]


def test_state_json_facts_text_and_describe_follow_the_env(task):
    env = task.make_env()
    with pytest.raises(UserError, match="reset"):
        task.state_json(env)
    for seed in range(40):
        obs, _ = env.reset(seed=seed)
        state = task.state_json(env)
        assert state == _state(int(obs[0]), int(obs[1]), bool(obs[2]))
        assert type(state["usable_ace"]) is bool and type(state["player_sum"]) is int
        assert task.state_facts(env) == {"usable_ace": bool(obs[2])}
        text = task.state_text(env)
        assert f"usable_ace: {'yes' if obs[2] else 'no'}" in text and f"totals {obs[0]}" in text
        assert f"totals {obs[0]}" in task.describe(env)
    assert "player_sum" in task.state_format() and "usable_ace" in task.stage_hint()


def test_action_from_result_accepts_only_stick_or_hit(task):
    env = task.make_env()
    assert task.action_from_result(0, env) == 0 and task.action_from_result(1, env) == 1
    assert task.action_from_result({"action": 1}, env) == 1
    for bad in (True, 2, -1, "hit", 1.0, None, {"move": 0}):
        with pytest.raises(InvalidActionError):
            task.action_from_result(bad, env)


def test_adapter_drives_seeded_episodes_to_full_agreement(task, draft, sandbox):
    """state_json -> program + function in the sandbox -> action_from_result -> env.step, hand after hand."""
    by_name = {f.name: f for f in draft.functions}
    env = task.make_env()
    decisions = 0
    for seed in range(60):
        env.reset(seed=seed)
        done = False
        while not done:
            pick = sandbox.call(PROGRAM_ID, PROGRAM_FUNCTION, ["decide", task.state_facts(env)], {})
            result = sandbox.call(module_id(by_name[pick.value]), pick.value, [], {"state": task.state_json(env)})
            _, _, done, _, info = env.step(task.action_from_result(result.value, env))
            assert info["agrees"], info
            decisions += 1
    assert decisions > 60
