"""What Logic Distillation sees of a 21 Points hand: JSON for the functions, the yes/no fact, prompt text, checks.

One decision step is one stage, ``decide``, whose result is the action (0 stick, 1 hit). The state fact
``usable_ace`` (stated as ``usable_ace: yes/no`` in prompts) tells a soft total from a hard one, the split
on which the teacher's functions are chosen. The admission checks hold for any correct player, whatever
the teacher's strategy: a decide function returns an action, sticks on 21 and hits a hard 11 or less.
"""

from __future__ import annotations

import re
from typing import Any

from logicdistill.errors import UserError
from logicdistill.tasks.base import Caller, Stage, TaskCheck
from logicdistill.tasks.blackjack import dp
from logicdistill.tasks.blackjack.env import InvalidActionError, card_name

STAGES: tuple[Stage, ...] = (Stage("decide", "the action: 0 stick or 1 hit"),)

STATE_FORMAT = """\
{"player_sum": 15, "dealer_card": 10, "usable_ace": false}
player_sum: the total of your hand (4..21 without a usable ace, 12..21 with one).
dealer_card: the dealer's face-up card: 1 is an ace, 2..9 their number, 10 any 10-valued card (10, J, Q, K).
usable_ace: true when your hand holds an ace that counts 11 (a "soft" total), false otherwise (a "hard" total).
The yes/no state fact usable_ace (usable_ace: yes / usable_ace: no) is the same as this field.
Actions: 0 = stick, 1 = hit."""

STAGE_HINT = """\
One stage is enough: "decide" returns the action, 0 (stick) or 1 (hit). Hands with a usable ace (soft totals)
and hands without one (hard totals) are played differently, so the yes/no fact usable_ace can choose the function."""

STATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["player_sum", "dealer_card", "usable_ace"],
    "properties": {
        "player_sum": {"type": "integer", "minimum": 2, "maximum": 31},
        "dealer_card": {"type": "integer", "minimum": 1, "maximum": 10},
        "usable_ace": {"type": "boolean"},
    },
}

# How a manual's "when to use" names the usable_ace fact (the manual format asks for "fact: yes/no").
_USABLE_ACE = re.compile(r"usable_ace\s*[:=]\s*(yes|no|true|false)", re.IGNORECASE)


def observation(env: Any) -> tuple[int, int, bool]:
    """The hand as ``(player_sum, dealer_card, usable_ace)`` from the unwrapped env; a UserError before a deal."""
    env = env.unwrapped
    if not hasattr(env, "player"):
        raise UserError("no hand dealt yet: call reset() first")
    player_sum, dealer_card, usable = env._get_obs()
    return int(player_sum), int(dealer_card), bool(usable)


def state_json(env: Any) -> dict[str, Any]:
    """The state argument of every function: ``{"player_sum", "dealer_card" (1 = ace), "usable_ace"}``."""
    player_sum, dealer_card, usable = observation(env)
    return {"player_sum": player_sum, "dealer_card": dealer_card, "usable_ace": usable}


def state_facts(env: Any) -> dict[str, bool]:
    """The one yes/no fact a function is chosen by: whether the hand holds a usable ace."""
    return {"usable_ace": observation(env)[2]}


def state_text(env: Any) -> str:
    """The short state text of student prompts: the totals in words and the fact as ``usable_ace: yes/no``."""
    return text_of(*observation(env))


def text_of(player_sum: int, dealer_card: int, usable: bool) -> str:
    """The state text of a hand given by its three numbers (the live env's and a served state's)."""
    return (
        f"Your hand totals {player_sum}. The dealer shows {card_name(dealer_card)} (dealer_card {dealer_card}).\n"
        f"usable_ace: {'yes' if usable else 'no'}"
    )


def action_from_result(result: Any) -> int:
    """The action a decide result stands for: 0 or 1 (or a dict with an ``action`` field holding one)."""
    value = result.get("action") if isinstance(result, dict) else result
    if isinstance(value, bool) or not isinstance(value, int) or value not in (dp.STICK, dp.HIT):
        raise InvalidActionError(f"the decide stage must return 0 (stick) or 1 (hit), got {result!r}")
    return value


def state_domain(function: Any) -> tuple[bool, ...]:
    """The usable_ace values a function serves, read from its "when to use" (both when it names neither or both)."""
    named = {m.lower() in ("yes", "true") for m in _USABLE_ACE.findall(function.manual.when_to_use)}
    return tuple(sorted(named)) if len(named) == 1 else (False, True)


def sample_states(usable_values: tuple[bool, ...]) -> list[dict[str, Any]]:
    """A fixed sample of decision states: every dealer card against low, borderline and high totals."""
    totals = {False: (4, 8, 11, 12, 13, 16, 17, 20, 21), True: (12, 15, 17, 18, 19, 21)}
    return [
        {"player_sum": s, "dealer_card": d, "usable_ace": u}
        for u in usable_values
        for s in totals[u]
        for d in range(1, 11)
    ]


def _results(function: Any, call: Caller, states: list[dict[str, Any]]) -> tuple[list[Any], str | None]:
    """Each state's result, or the first failure as a message."""
    arg = function.manual.params[0].name if function.manual.params else "state"
    values = []
    for state in states:
        result = call({arg: state})
        if not result.ok:
            return values, f"on {state}: {result.kind}: {result.reason}"
        values.append(result.value)
    return values, None


def _is_action(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and value in (dp.STICK, dp.HIT)


def _check_actions(function: Any, call: Caller) -> str | None:
    states = sample_states(state_domain(function))
    values, problem = _results(function, call, states)
    if problem:
        return problem
    bad = next(((s, v) for s, v in zip(states, values, strict=True) if not _is_action(v)), None)
    return None if bad is None else f"on {bad[0]} returned {bad[1]!r}, not 0 (stick) or 1 (hit)"


def _check_expected(function: Any, call: Caller, states: list[dict[str, Any]], want: int, what: str) -> str | None:
    if not states:
        return None
    values, problem = _results(function, call, states)
    if problem:
        return problem
    wrong = next(((s, v) for s, v in zip(states, values, strict=True) if v != want), None)
    return None if wrong is None else f"{what}, but on {wrong[0]} it returned {wrong[1]!r}"


def _check_sticks_on_21(function: Any, call: Caller) -> str | None:
    states = [
        {"player_sum": 21, "dealer_card": d, "usable_ace": u} for u in state_domain(function) for d in range(1, 11)
    ]
    return _check_expected(function, call, states, dp.STICK, "a total of 21 must stick (a hit can only lose)")


def _check_hits_low_hard(function: Any, call: Caller) -> str | None:
    if False not in state_domain(function):
        return None
    states = [{"player_sum": s, "dealer_card": d, "usable_ace": False} for s in (4, 7, 11) for d in range(1, 11)]
    return _check_expected(function, call, states, dp.HIT, "a hard total of 11 or less must hit (a hit cannot bust)")


def function_checks() -> list[TaskCheck]:
    """Admission checks for decide functions, on the states their manual says they serve."""
    decide = tuple(s.name for s in STAGES)
    return [
        TaskCheck("returns an action", _check_actions, decide),
        TaskCheck("sticks on 21", _check_sticks_on_21, decide),
        TaskCheck("hits a hard 11 or less", _check_hits_low_hard, decide),
    ]
