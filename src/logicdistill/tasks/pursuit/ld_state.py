"""What Logic Distillation sees of a pursuit state: JSON for the functions, yes/no facts, prompt text.

The functions are teacher-written and get only this JSON (never the solver or the env object). Facts a
student must match are stated as yes/no lines (``danger_zone_in_force: yes``).
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

import numpy as np

from logicdistill.tasks.base import RuleEvent
from logicdistill.tasks.pursuit.emergencies import DangerZone, EmergencyEvent, EvaderSprint, SlowedPursuer
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
