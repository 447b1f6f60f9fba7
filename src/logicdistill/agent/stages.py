"""One decision step as J stages: choose a function, fill its typed arguments, call it in the sandbox.

Arguments are never generated: a ``state`` parameter gets the state, a ``stage_result`` parameter the
previous stage's result; anything else comes from the typed candidates the caller supplies. So every
call the loop makes type-checks, whoever chooses the function.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from logicdistill.agent.runtime import FunctionRuntime
from logicdistill.functionbase.function import Function
from logicdistill.tasks.base import Stage

# chooser(stage, facts, previous_result, state_text) -> function name or None (explicit "none")
Chooser = Callable[[Stage, dict[str, bool], Any, str], str | None]


@dataclass
class StageRecord:
    stage: str
    candidates: list[str]
    chosen: str | None
    args: dict[str, str]
    ok: bool
    result: Any = None
    error: str | None = None
    entropy_bits: float | None = None

    def line(self) -> str:
        ent = f" H={self.entropy_bits:.2f}b" if self.entropy_bits is not None else ""
        args = ", ".join(f"{k}={v}" for k, v in self.args.items())
        outcome = _short(self.result) if self.ok else f"FAILED ({self.error})"
        return f"  [{self.stage}] {self.chosen}({args}) -> {outcome}{ent}  candidates: {', '.join(self.candidates)}"


def facts_of(result: Any) -> dict[str, bool]:
    """The yes/no facts a stage result states: its boolean fields."""
    return {k: v for k, v in result.items() if isinstance(v, bool)} if isinstance(result, dict) else {}


def fill_args(function: Function, state: dict[str, Any], previous: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed arguments for a call and a short description of where each came from."""
    args, where = {}, {}
    for p in function.manual.params:
        if p.type == "state":
            args[p.name], where[p.name] = state, "state"
        elif p.type == "stage_result":
            args[p.name], where[p.name] = previous, "previous result"
        else:
            raise ValueError(f"{function.name}: no candidate value for parameter {p.name} of type {p.type}")
    return args, where


def run_stages(
    runtime: FunctionRuntime,
    stages: tuple[Stage, ...],
    state: dict[str, Any],
    state_facts: dict[str, bool],
    state_text: str,
    choose: Chooser,
    candidates_for: Callable[[Stage], list[str]] | None = None,
) -> tuple[Any, list[StageRecord]]:
    """Run the stages; returns the last stage's result (None if a stage failed) and the per-stage records."""
    previous: Any = None
    facts = dict(state_facts)
    records = []
    for stage in stages:
        names = candidates_for(stage) if candidates_for else [f.name for f in runtime.base.for_stage(stage.name)]
        chosen = choose(stage, facts, previous, state_text)
        if chosen is None or chosen not in runtime.functions:
            records.append(StageRecord(stage.name, names, chosen, {}, False, error="no function chosen"))
            return None, records
        args, where = fill_args(runtime.functions[chosen], state, previous)
        result = runtime.call(chosen, args)
        records.append(StageRecord(stage.name, names, chosen, where, result.ok, result.value, result.reason))
        if not result.ok:
            return None, records
        previous = result.value
        facts = dict(state_facts) | facts_of(previous)
    return previous, records


def _short(value: Any, limit: int = 100) -> str:
    """A result for a trace line: a dict shows its facts and the size of its lists, anything else short JSON."""
    if isinstance(value, dict):
        parts = [
            f"{k}: {'yes' if v else 'no'}"
            if isinstance(v, bool)
            else f"{k}: {len(v)} items"
            if isinstance(v, list)
            else f"{k}: {json.dumps(v)}"
            for k, v in value.items()
        ]
        text = "{" + ", ".join(parts) + "}"
        return text if len(text) <= limit else text[:limit] + "..."
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit] + "..."
