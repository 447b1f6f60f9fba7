"""What the viewer draws for a state: the task's own ``Task.board`` when it has one, else a grid (pursuit,
taxi), cards (21 Points), or the task's ``describe`` text."""

from __future__ import annotations

from typing import Any

from logicdistill.serve.answers import jsonable
from logicdistill.tasks.base import Task


def board(task: Task, env: Any, done: bool = False) -> dict[str, Any]:
    """The board as JSON for the page: ``kind`` says how to draw it; ``text`` is always there."""
    env = env.unwrapped
    text = task.describe(env)
    drawn = task.board(env, done)
    if drawn is not None:  # the task draws itself (a plugin's grid or cards; numpy numbers become JSON ones)
        return {**jsonable(drawn), "text": text}
    if task.name == "pursuit":
        state = task.state_json(env)
        marked = sorted({tuple(c) for e in env.active_events for c in e.marked_cells()})
        return {
            "kind": "grid",
            "height": state["height"],
            "width": state["width"],
            "obstacles": state["obstacles"],
            "marked": [list(c) for c in marked],
            "units": [{"cell": p, "label": f"P{i}", "role": "pursuer"} for i, p in enumerate(state["pursuers"])]
            + [
                {"cell": e, "label": "E", "role": "caught" if caught else "evader"}
                for e, caught in zip(state["evaders"], state["captured"], strict=True)
            ],
            "text": text,
        }
    if task.name == "taxi":
        state = task.state_json(env)
        units = [{"cell": state["taxi"], "label": "T", "role": "pursuer"}]
        if not state["passenger_in_taxi"]:
            units.append({"cell": state["stops"][state["passenger_at"]], "label": "p", "role": "evader"})
        return {
            "kind": "grid",
            "height": state["rows"],
            "width": state["cols"],
            "obstacles": [],
            "marked": [state["stops"][state["destination"]]],
            "labels": [{"cell": cell, "label": name} for name, cell in state["stops"].items()],
            "walls": state["walls"],
            "units": units,
            "text": text,
        }
    if task.name == "blackjack" and hasattr(env, "player"):
        dealer = [int(c) for c in env.dealer]
        return {
            "kind": "cards",
            "player": [int(c) for c in env.player],
            "dealer": dealer if done else dealer[:1] + [0] * (len(dealer) - 1),  # 0: face down
            "text": text,
        }
    return {"kind": "text", "text": text}
