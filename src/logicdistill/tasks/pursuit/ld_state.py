"""What Logic Distillation sees of a pursuit state: JSON for the functions, yes/no facts, prompt text.

The functions are teacher-written and get only this JSON (never the solver or the env object). Facts a
student must match are stated as yes/no lines (``danger_zone_in_force: yes``).
"""

from __future__ import annotations

import dataclasses
import itertools
from types import SimpleNamespace
from typing import Any

import numpy as np

from logicdistill.tasks.base import RuleEvent
from logicdistill.tasks.pursuit.emergencies import DangerZone, EmergencyEvent, EvaderSprint, SlowedPursuer
from logicdistill.tasks.pursuit.maps import MAX_SIDE
from logicdistill.tasks.pursuit.rules import ACTIONS

STATE_FORMAT = """\
{"height": 10, "width": 10, "obstacles": [[r, c], ...], "pursuers": [[r, c], [r, c]], "evaders": [[r, c]],
 "captured": [false], "step": 7, "max_steps": 60,
 "history": [{"pursuers": [[r, c], [r, c]], "evaders": [[r, c]]}, ...],
 "rules": [{"kind": "...", "text": "...", "arrived_at": 5, "params": {...}}]}
history: positions at the start of each earlier step, oldest first. rules: the emergency rules in force.
Actions: 0 up (row-1), 1 down (row+1), 2 left (col-1), 3 right (col+1), 4 stay. A joint action is
[action of P0, action of P1]."""

STAGE_HINT = """\
Two stages work well: first the joint moves the rules in force allow, with yes/no facts about the situation
(for instance whether a capture is available now and whether the position has repeated); then the joint action
to play, chosen among those moves."""


def joint_action_names(n_pursuers: int) -> dict[str, Any]:
    """``{"up+left": array([0, 2]), ...}`` for every joint action."""
    names = {}
    for combo in itertools.product(range(len(ACTIONS)), repeat=n_pursuers):
        names["+".join(ACTIONS[a] for a in combo)] = np.array(combo, dtype=np.int64)
    return names


def rule_params(event: EmergencyEvent) -> dict[str, Any]:
    """An event's parameters as the functions read them in ``state["rules"]``."""
    if isinstance(event, DangerZone):
        return {"cells": [list(c) for c in sorted(event.cells)]}
    if isinstance(event, SlowedPursuer):
        return {"pursuer": event.index}
    if isinstance(event, EvaderSprint):
        return {"duration": event.duration}
    return {f.name: _jsonable(getattr(event, f.name)) for f in dataclasses.fields(event) if f.name != "step"}


def state_json(env: Any) -> dict[str, Any]:
    env = env.unwrapped
    grid = env.grid
    return {
        "height": grid.height,
        "width": grid.width,
        "obstacles": [[int(r), int(c)] for r, c in zip(*grid.obstacles.nonzero(), strict=True)],
        "pursuers": [list(p) for p in env.pursuers],
        "evaders": [list(e) for e in env.evaders],
        "captured": [bool(c) for c in env.captured],
        "step": int(env.step_count),
        "max_steps": int(env.max_steps),
        "history": [
            {"pursuers": [list(p) for p in s.pursuers], "evaders": [list(e) for e in s.evaders]}
            for s in env.history[:-1]
        ],
        "rules": [
            {"kind": e.kind, "text": e.rule_text(), "arrived_at": e.step, "params": rule_params(e)}
            for e in env.active_events
        ],
    }


def state_facts(env: Any) -> dict[str, bool]:
    """One fact per emergency rule in force: ``<kind>_in_force``."""
    return {f"{e.kind}_in_force": True for e in env.unwrapped.active_events}


def state_text(env: Any) -> str:
    """The short state text of student prompts (the prompt adds the yes/no facts of ``state_facts``)."""
    env = env.unwrapped
    units = ", ".join(f"P{i} at ({r},{c})" for i, (r, c) in enumerate(env.pursuers))
    evaders = ", ".join(
        f"E at ({r},{c})" for (r, c), caught in zip(env.evaders, env.captured, strict=True) if not caught
    )
    return f"Step {env.step_count} of {env.max_steps}. {units}. {evaders}."


def rule_events(env: Any, info: dict[str, Any]) -> list[RuleEvent]:
    """The rules that arrive with this step's info (Eq. 6 inputs)."""
    env = env.unwrapped
    if not info.get("new_rule"):
        return []
    return [
        RuleEvent(e.kind, e.rule_text(), f"{e.kind}_in_force", rule_params(e), e.recorded_dir)
        for e in env.events
        if e.step == env.step_count
    ]


def _jsonable(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return [_jsonable(v) for v in sorted(value)]
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


# -- Stateless decisions: the same views rebuilt from the state JSON alone (logicdistill serve) -------------

MAX_STEPS = 100_000  # far beyond any episode; bounds the numbers that reach the prompt text
MAX_HISTORY = 1000  # far beyond any step limit played; a longer history is refused, not scanned
_CELL = {
    "type": "array",
    "items": {"type": "integer", "minimum": 0, "maximum": MAX_SIDE - 1},
    "minItems": 2,
    "maxItems": 2,
}
_CELLS = {"type": "array", "items": _CELL, "maxItems": MAX_SIDE * MAX_SIDE}
_UNITS = {"type": "array", "items": _CELL, "minItems": 1, "maxItems": 8}

STATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["height", "width", "obstacles", "pursuers", "evaders", "captured", "step", "max_steps"],
    "properties": {
        "height": {"type": "integer", "minimum": 1, "maximum": MAX_SIDE},
        "width": {"type": "integer", "minimum": 1, "maximum": MAX_SIDE},
        "obstacles": _CELLS,
        "pursuers": _UNITS,
        "evaders": _UNITS,
        "captured": {"type": "array", "items": {"type": "boolean"}, "minItems": 1, "maxItems": 8},
        "step": {"type": "integer", "minimum": 0, "maximum": MAX_STEPS},
        "max_steps": {"type": "integer", "minimum": 1, "maximum": MAX_STEPS},
        "history": {
            "type": "array",
            "maxItems": MAX_HISTORY,
            "items": {
                "type": "object",
                "required": ["pursuers", "evaders"],
                "properties": {"pursuers": _UNITS, "evaders": _UNITS},
            },
        },
        "rules": {
            "type": "array",
            "maxItems": 16,
            "items": {
                "type": "object",
                "required": ["kind"],
                "properties": {
                    "kind": {"type": "string", "maxLength": 64},
                    "text": {"type": "string", "maxLength": 4000},
                    "arrived_at": {"type": "integer", "minimum": 0, "maximum": MAX_STEPS},
                    "params": {"type": "object"},
                },
            },
        },
    },
}


def state_problem(state: dict[str, Any]) -> str | None:
    """What makes a schema-valid state impossible on its own board (the schema cannot see the board's size)."""
    height, width = state["height"], state["width"]

    def off_board(cells: list[list[int]], where: str) -> str | None:
        for i, (r, c) in enumerate(cells):
            if not (0 <= r < height and 0 <= c < width):
                return f"{where}[{i}] = [{r}, {c}] is off the {height}x{width} board"
        return None

    for key in ("obstacles", "pursuers", "evaders"):
        if problem := off_board(state[key], key):
            return problem
    if len(state["captured"]) != len(state["evaders"]):
        return f"captured has {len(state['captured'])} entries for {len(state['evaders'])} evader(s)"
    if state["step"] > state["max_steps"]:
        return f"step {state['step']} is past max_steps {state['max_steps']}"
    blocked = {(r, c) for r, c in state["obstacles"]}
    for key in ("pursuers", "evaders"):
        for i, (r, c) in enumerate(state[key]):
            if (r, c) in blocked:
                return f"{key}[{i}] = [{r}, {c}] stands on an obstacle"
    for t, past in enumerate(state.get("history", [])):
        for key in ("pursuers", "evaders"):
            if problem := off_board(past[key], f"history[{t}].{key}"):
                return problem
    return None


def facts_from_state(state: dict[str, Any]) -> dict[str, bool]:
    """``state_facts`` from the JSON: one ``<kind>_in_force`` per rule in force."""
    return {f"{r['kind']}_in_force": True for r in state.get("rules", [])}


def text_from_state(state: dict[str, Any]) -> str:
    """``state_text`` from the JSON."""
    units = ", ".join(f"P{i} at ({r},{c})" for i, (r, c) in enumerate(state["pursuers"]))
    evaders = ", ".join(
        f"E at ({r},{c})" for (r, c), caught in zip(state["evaders"], state["captured"], strict=False) if not caught
    )
    return f"Step {state['step']} of {state['max_steps']}. {units}. {evaders}."


def rules_from_state(state: dict[str, Any]) -> list[RuleEvent]:
    """The rules in force as Eq. 6 inputs, oldest first; the rule text is the event's own (the text a live
    episode adopts), so a served state and a played episode share one stored adoption. An unknown kind or bad
    params raise FormatError."""
    from logicdistill.tasks.pursuit.emergencies import make_event

    board = SimpleNamespace(height=state["height"], width=state["width"], name="of the state")
    out = []
    for rule in sorted(state.get("rules", []), key=lambda r: int(r.get("arrived_at", 0))):
        event = make_event(rule["kind"], int(rule.get("arrived_at", 0)), rule.get("params") or {})
        event.validate(board, len(state["pursuers"]))  # as a scenario's events are on its map: a zone on the board
        out.append(
            RuleEvent(event.kind, event.rule_text(), f"{event.kind}_in_force", rule_params(event), event.recorded_dir)
        )
    return out
