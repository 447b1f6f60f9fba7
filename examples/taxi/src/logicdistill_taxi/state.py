"""What Logic Distillation sees of a Taxi state: JSON for the functions, the yes/no fact, prompt text.

Taxi's observation is one integer, ``((taxi_row * 5 + taxi_col) * 5 + passenger) * 4 + destination``,
with passenger 0-3 a stop (R, G, Y, B) and 4 "in the taxi". The functions get it decoded, with the map
spelled out: the four stops and the walls, each a pair of side-by-side cells the taxi cannot cross
between, read from the environment's own map so that a path search respects exactly the walls it has.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from logicdistill.errors import UserError
from logicdistill.tasks.base import Stage

from logicdistill_taxi.env import ACTION_NAMES

STOP_NAMES = ("R", "G", "Y", "B")
STOP_COLOURS = ("red", "green", "yellow", "blue")
IN_TAXI = 4


class InvalidActionError(UserError, ValueError):
    """A last-stage result that stands for no Taxi action."""


# The target stage's result, as the stage layout promises it to the act stage.
TARGET_RESULT = (
    'where the taxi must go now: {"target": [row, col], "stop": name, "passenger_in_taxi": bool, "at_target": bool}'
)

STAGES: tuple[Stage, ...] = (
    Stage("target", TARGET_RESULT),
    Stage("act", "the action: 0 south, 1 north, 2 east, 3 west, 4 pickup, 5 dropoff"),
)

STATE_FORMAT = """\
{"rows": 5, "cols": 5, "taxi": [2, 3], "passenger_at": "Y", "passenger_in_taxi": false, "destination": "G",
 "stops": {"R": [0, 0], "G": [0, 4], "Y": [4, 0], "B": [4, 3]},
 "walls": [[[0, 1], [0, 2]], [[1, 1], [1, 2]], [[3, 0], [3, 1]], [[3, 2], [3, 3]], [[4, 0], [4, 1]], [[4, 2], [4, 3]]]}
Cells are [row, col]; row 0 is the top (north), col 0 the left (west).
taxi: the taxi's cell. passenger_at: the stop where the passenger waits, or "taxi" once picked up.
passenger_in_taxi: true once the passenger is in the taxi (the yes/no state fact passenger_in_taxi).
destination: the stop where the passenger wants to be dropped off. stops: the four stops' cells.
walls: pairs of side-by-side cells with a wall between them: the taxi cannot move from one to the other.
The grid's edge also blocks; a blocked move leaves the taxi where it is (and still costs the step).
Actions: 0 south (row+1), 1 north (row-1), 2 east (col+1), 3 west (col-1), 4 pickup, 5 dropoff."""

STAGE_HINT = """\
Two stages work well. "target": the stop the taxi must reach now (the passenger's stop while the passenger waits,
the destination once it rides) as {"target": [row, col], "stop": name, "passenger_in_taxi": bool,
"at_target": bool}, whose yes/no facts decide the next stage. "act": the action, a step along a shortest path
around the walls while at_target is no, a pickup or a drop-off once it is yes."""


def decode(env: gym.Env) -> tuple[int, int, int, int]:
    """``(taxi_row, taxi_col, passenger, destination)`` of the current state; a UserError before a reset."""
    taxi = env.unwrapped
    if not hasattr(taxi, "s"):
        raise UserError("no state yet: call reset() first")
    row, col, passenger, destination = taxi.decode(int(taxi.s))
    return int(row), int(col), int(passenger), int(destination)


def walls(taxi: Any) -> list[list[list[int]]]:
    """Every wall as the pair of cells it separates, read from the map (``|`` between two columns)."""
    desc = taxi.desc  # grid row r is desc[r + 1]; the border between cols c and c + 1 is desc[r + 1][2c + 2]
    rows, cols = len(desc) - 2, (len(desc[0]) - 1) // 2
    return [[[r, c], [r, c + 1]] for r in range(rows) for c in range(cols - 1) if desc[r + 1][2 * c + 2] == b"|"]


def state_for(taxi: Any, row: int, col: int, passenger: int, destination: int) -> dict[str, Any]:
    """The state JSON of a decoded state on the map of ``taxi`` (an unwrapped Taxi env)."""
    return {
        "rows": len(taxi.desc) - 2,
        "cols": (len(taxi.desc[0]) - 1) // 2,
        "taxi": [row, col],
        "passenger_at": "taxi" if passenger == IN_TAXI else STOP_NAMES[passenger],
        "passenger_in_taxi": passenger == IN_TAXI,
        "destination": STOP_NAMES[destination],
        "stops": {name: [int(r), int(c)] for name, (r, c) in zip(STOP_NAMES, taxi.locs, strict=True)},
        "walls": walls(taxi),
    }


def state_json(env: gym.Env) -> dict[str, Any]:
    """The ``state`` argument of every function (see ``STATE_FORMAT``)."""
    return state_for(env.unwrapped, *decode(env))


def state_facts(env: gym.Env) -> dict[str, bool]:
    """The state's yes/no fact: whether the passenger rides in the taxi. Taxi has no rules arriving
    mid-episode, so there are no ``<kind>_in_force`` facts."""
    return {"passenger_in_taxi": decode(env)[2] == IN_TAXI}


def _stop_text(env: gym.Env, index: int) -> str:
    r, c = env.unwrapped.locs[index]
    return f"{STOP_NAMES[index]} ({STOP_COLOURS[index]}, row {r}, col {c})"


def state_text(env: gym.Env) -> str:
    """The state for student prompts: cells in words and the fact as ``passenger_in_taxi: yes/no``."""
    row, col, passenger, destination = decode(env)
    where = "rides in the taxi" if passenger == IN_TAXI else f"waits at stop {_stop_text(env, passenger)}"
    fact = "yes" if passenger == IN_TAXI else "no"
    return (
        f"The taxi is at row {row}, col {col}. "
        f"The passenger {where} and wants to go to {_stop_text(env, destination)}.\n"
        f"passenger_in_taxi: {fact}"
    )


def describe(env: gym.Env) -> str:
    """The map with the taxi drawn (``T`` empty, ``@`` carrying), then the state in words."""
    row, col, passenger, _ = decode(env)
    lines = [line.decode() for line in (bytes(r) for r in env.unwrapped.desc)]
    cells = list(lines[row + 1])
    cells[2 * col + 1] = "@" if passenger == IN_TAXI else "T"
    lines[row + 1] = "".join(cells)
    return "\n".join(lines) + "\n" + state_text(env).splitlines()[0]


def action_from_result(result: Any) -> int:
    """The action an act result stands for: 0..5 (or a dict with an ``action`` field holding one)."""
    value = result.get("action") if isinstance(result, dict) else result
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < len(ACTION_NAMES):
        raise InvalidActionError(
            f"the act stage must return an action 0..5 ({', '.join(ACTION_NAMES)}), got {result!r}"
        )
    return value


# -- Stateless decisions (logicdistill serve): the same views rebuilt from the state JSON alone -------------

_CELL = {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 4}, "minItems": 2, "maxItems": 2}
STATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["taxi", "passenger_at", "passenger_in_taxi", "destination", "stops"],
    "properties": {
        "rows": {"type": "integer", "minimum": 5, "maximum": 5},
        "cols": {"type": "integer", "minimum": 5, "maximum": 5},
        "taxi": _CELL,
        "passenger_at": {"type": "string", "enum": [*STOP_NAMES, "taxi"]},
        "passenger_in_taxi": {"type": "boolean"},
        "destination": {"type": "string", "enum": list(STOP_NAMES)},
        "stops": {"type": "object", "required": list(STOP_NAMES), "properties": {n: _CELL for n in STOP_NAMES}},
        "walls": {"type": "array", "maxItems": 64, "items": {"type": "array", "items": _CELL, "maxItems": 2}},
    },
}


def state_problem(state: dict[str, Any]) -> str | None:
    """What the schema lets through and a taxi ride cannot show: the passenger both waiting and riding."""
    riding, at = state["passenger_in_taxi"], state["passenger_at"]
    if riding != (at == "taxi"):
        return f"passenger_in_taxi is {str(riding).lower()} but passenger_at is {at!r}"
    cells = [tuple(state["stops"][name]) for name in STOP_NAMES]
    if len(set(cells)) != len(cells):
        return "two stops share a cell"
    return None


def facts_from_state(state: dict[str, Any]) -> dict[str, bool]:
    return {"passenger_in_taxi": bool(state["passenger_in_taxi"])}


def text_from_state(state: dict[str, Any]) -> str:
    """``state_text`` from the JSON."""

    def stop(name: str) -> str:
        r, c = state["stops"][name]
        return f"{name} ({STOP_COLOURS[STOP_NAMES.index(name)]}, row {r}, col {c})"

    row, col = state["taxi"]
    riding = bool(state["passenger_in_taxi"])
    where = "rides in the taxi" if riding else f"waits at stop {stop(state['passenger_at'])}"
    return (
        f"The taxi is at row {row}, col {col}. "
        f"The passenger {where} and wants to go to {stop(state['destination'])}.\n"
        f"passenger_in_taxi: {'yes' if riding else 'no'}"
    )
