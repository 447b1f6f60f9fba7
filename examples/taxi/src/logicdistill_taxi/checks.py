"""Admission checks for Taxi functions: properties any correct function has, on the states it says it serves.

A function's manual names the situations it serves as yes/no facts (``at_target: no``,
``passenger_in_taxi: yes``); it is checked on those situations only, on every cell of the map. A
``target`` function must name the right stop; an ``act`` function for ``at_target: no`` must take a
step that shortens the true shortest route (a breadth-first search on the env's own walls); one for
``at_target: yes`` must pick up a waiting passenger and drop off a riding one.
"""

from __future__ import annotations

import re
from collections import deque
from functools import cache
from typing import Any

import gymnasium as gym
from logicdistill.tasks import Caller, TaskCheck, results_equal

from logicdistill_taxi.env import DROPOFF, ENV_ID, PICKUP
from logicdistill_taxi.state import IN_TAXI, state_for

# (action, row step, col step) of the four moves.
_MOVES = ((0, 1, 0), (1, -1, 0), (2, 0, 1), (3, 0, -1))


@cache
def _taxi() -> Any:
    return gym.make(ENV_ID).unwrapped


def fact_domain(function: Any, fact: str) -> tuple[bool, ...]:
    """The values of ``fact`` a function serves, read from its "when to use" (both when it names neither or both)."""
    found = re.findall(rf"{fact}\s*[:=]\s*(yes|no|true|false)", function.manual.when_to_use, re.IGNORECASE)
    named = {value.lower() in ("yes", "true") for value in found}
    return tuple(named) if len(named) == 1 else (False, True)


def target_result(state: dict[str, Any]) -> dict[str, Any]:
    """The target stage's result as the stage layout defines it (the reference for the checks)."""
    riding = state["passenger_in_taxi"]
    stop = state["destination"] if riding else state["passenger_at"]
    cell = state["stops"][stop]
    return {"target": cell, "stop": stop, "passenger_in_taxi": riding, "at_target": state["taxi"] == cell}


def route_lengths(state: dict[str, Any], goal: list[int]) -> dict[tuple[int, int], int]:
    """Shortest route length from every cell to ``goal`` (breadth-first; walls block both ways)."""
    walls = {tuple(map(tuple, pair)) for pair in state["walls"]}
    walls |= {(b, a) for a, b in walls}
    lengths = {tuple(goal): 0}
    queue = deque([tuple(goal)])
    while queue:
        r, c = queue.popleft()
        for _, dr, dc in _MOVES:
            cell = (r + dr, c + dc)
            inside = 0 <= cell[0] < state["rows"] and 0 <= cell[1] < state["cols"]
            if inside and ((r, c), cell) not in walls and cell not in lengths:
                lengths[cell] = lengths[(r, c)] + 1
                queue.append(cell)
    return lengths


def _states(riding_values: tuple[bool, ...]) -> list[dict[str, Any]]:
    """Every taxi cell against every passenger stop (or a ride) and destination, for these ride values."""
    taxi, out = _taxi(), []
    passengers = ([IN_TAXI] if True in riding_values else []) + (list(range(4)) if False in riding_values else [])
    for row in range(5):
        for col in range(5):
            for passenger in passengers:
                for destination in range(4):
                    if passenger != destination:
                        out.append(state_for(taxi, row, col, passenger, destination))
    return out


def _args(function: Any, state: dict[str, Any]) -> dict[str, Any]:
    return {p.name: state if p.type == "state" else target_result(state) for p in function.manual.params}


def _first_failure(function: Any, call: Caller, states: list[dict[str, Any]], want: Any, what: str) -> str | None:
    """None when ``call`` gives ``want(state)`` (a set of right answers) on every state, else the first miss."""
    for state in states:
        result = call(_args(function, state))
        if not result.ok:
            return f"on {_short(state)}: {result.kind}: {result.reason}"
        if not any(results_equal(result.value, right) for right in want(state)):
            return f"{what}, but on {_short(state)} it returned {result.value!r}"
    return None


def _check_target(function: Any, call: Caller) -> str | None:
    states = _states(fact_domain(function, "passenger_in_taxi"))
    return _first_failure(function, call, states, lambda s: [target_result(s)], "the target must be the stop to reach")


def _shortening_moves(state: dict[str, Any]) -> list[int]:
    goal = target_result(state)["target"]
    lengths = route_lengths(state, goal)
    (r, c), here = state["taxi"], lengths[tuple(state["taxi"])]
    return [a for a, dr, dc in _MOVES if lengths.get((r + dr, c + dc)) == here - 1 and _adjacent(state, r, c, dr, dc)]


def _adjacent(state: dict[str, Any], r: int, c: int, dr: int, dc: int) -> bool:
    return [[r, c], [r + dr, c + dc]] not in state["walls"] and [[r + dr, c + dc], [r, c]] not in state["walls"]


def _check_route(function: Any, call: Caller) -> str | None:
    if False not in fact_domain(function, "at_target"):
        return None
    riding = fact_domain(function, "passenger_in_taxi")
    states = [s for s in _states(riding) if not target_result(s)["at_target"]]
    what = "away from the target a move must shorten the route"
    return _first_failure(function, call, states, _shortening_moves, what)


def _check_stop(function: Any, call: Caller) -> str | None:
    if True not in fact_domain(function, "at_target"):
        return None
    states = [s for s in _states(fact_domain(function, "passenger_in_taxi")) if target_result(s)["at_target"]]
    want = lambda s: [DROPOFF if s["passenger_in_taxi"] else PICKUP]  # noqa: E731
    what = "on the target a waiting passenger is picked up, a rider dropped off"
    return _first_failure(function, call, states, want, what)


def _short(state: dict[str, Any]) -> str:
    return f"taxi {state['taxi']}, passenger {state['passenger_at']}, destination {state['destination']}"


def function_checks() -> list[TaskCheck]:
    """Admission checks per stage, on the situations each function's manual says it serves."""
    return [
        TaskCheck("names the stop to reach", _check_target, ("target",)),
        TaskCheck("moves along a shortest route", _check_route, ("act",)),
        TaskCheck("picks up and drops off on the stop", _check_stop, ("act",)),
    ]
