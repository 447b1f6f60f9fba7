"""One decision step as J stages: a decider chooses a function, the loop fills its typed arguments and calls
it in the sandbox. Every decider uses this one loop: the teacher's usage program, the student selecting or
generating, and anything a user plugs in (a :class:`SlotDecider`).

Arguments are never generated: a ``state`` parameter gets the state, a ``stage_result`` parameter the
previous stage's result. So every call the loop makes type-checks, whoever chooses the function. Each stage
leaves a :class:`StageRecord` (what was seen, chosen and returned): the data that metrics, traces and
``play`` read afterwards.

The loop is a generator (:func:`stage_steps`): it yields what it waits on, a :class:`StageView` to be
answered with a :class:`Choice`, or :class:`Calls` to be answered with the sandbox's results, and returns
the outcome. :func:`drive` answers each request at once (one decision alone); the lockstep evaluator
(evaluation/lockstep.py) gathers the requests of many episodes and answers them together, one forward pass
for all the views and one sandbox round trip for all the calls, while every episode runs this same code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from logicdistill.agent.runtime import FunctionRuntime
from logicdistill.functionbase.function import Function
from logicdistill.sandbox.pool import CallRequest, CallResult
from logicdistill.tasks.base import Stage
from logicdistill.text import shorten


@dataclass(frozen=True)
class StageView:
    """What a decider sees at one stage: the state, the facts known so far, and the earlier stages' records."""

    stage: Stage
    state_text: str
    state_facts: dict[str, bool]  # the state's own yes/no facts
    facts: dict[str, bool]  # the state's facts and those of the earlier stages' results
    earlier: tuple[StageRecord, ...]  # this decision's stages so far, each with its result
    candidates: tuple[str, ...]  # the functions of the base that serve the stage


@dataclass(frozen=True)
class Choice:
    """A decider's answer: a function name (None: explicitly none) and, for a student, its entropy in bits."""

    name: str | None
    entropy_bits: float | None = None
    shown: tuple[str, ...] | None = None  # the candidates it chose among (a student: the K retrieved)
    probs: tuple[tuple[str, float], ...] | None = None  # a student's probability of each candidate ("none" too)
    forced: bool = False  # conditions left one candidate: no model was asked (ld-guard, manual-match)


@dataclass(frozen=True)
class Calls:
    """Sandbox calls a stepped decision waits on; answered by their CallResults, in the same order."""

    requests: tuple[CallRequest, ...]


T = TypeVar("T")
# A decision written as a generator: it yields StageView (send back a Choice) or Calls (send back the results).
Steps = Generator["StageView | Calls", Any, T]


class SlotDecider(Protocol):
    """Who chooses in a slot (agent/ld_slot.py): ``choose`` one view; ``update`` follows a new base version (a
    student's retrieval index does; the teacher's program reads the runtime, which follows by itself)."""

    def choose(self, view: StageView) -> Choice: ...

    def update(self, base: Any) -> Any: ...


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
    facts: dict[str, bool] = field(default_factory=dict)  # the facts the choice was made on
    shown: tuple[str, ...] | None = None  # the candidates the decider was shown (None: every stage function)
    probs: tuple[tuple[str, float], ...] | None = None  # the decider's probability of each candidate, if it has one
    forced: bool = False  # decided by checked conditions alone, no forward pass (a guarded policy sets it)

    def line(self) -> str:
        ent = " forced" if self.forced else f" H={self.entropy_bits:.2f}b" if self.entropy_bits is not None else ""
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


def stage_steps(
    runtime: FunctionRuntime, state: dict[str, Any], state_facts: dict[str, bool], state_text: str
) -> Steps[tuple[Any, list[StageRecord]]]:
    """The base's stages as steps; returns the last stage's result (None if a stage failed) and the records."""
    previous: Any = None
    facts = dict(state_facts)
    records: list[StageRecord] = []
    for stage in runtime.base.stages:
        names = [f.name for f in runtime.base.for_stage(stage.name)]
        view = StageView(stage, state_text, dict(state_facts), dict(facts), tuple(records), tuple(names))
        choice = yield view
        chosen = choice.name
        record = StageRecord(
            stage.name,
            names,
            chosen,
            {},
            False,
            entropy_bits=choice.entropy_bits,
            facts=view.facts,
            shown=choice.shown,
            probs=choice.probs,
            forced=choice.forced,
        )
        records.append(record)
        if chosen is None or chosen not in runtime.functions:
            record.error = "no function chosen"
            return None, records
        args, record.args = fill_args(runtime.functions[chosen], state, previous)
        (result,) = yield Calls((runtime.request(chosen, args),))
        record.ok, record.result, record.error = result.ok, result.value, result.reason
        if not result.ok:
            return None, records
        previous = result.value
        facts = dict(state_facts) | facts_of(previous)
    return previous, records


def drive(
    steps: Steps[T],
    choose: Callable[[StageView], Choice],
    call_many: Callable[[Sequence[CallRequest]], list[CallResult]],
) -> T:
    """Run stepped code to its end, answering every request as it comes (the one-decision-at-a-time path)."""
    reply: Any = None
    while True:
        try:
            request = steps.send(reply)
        except StopIteration as stop:
            return stop.value
        reply = choose(request) if isinstance(request, StageView) else call_many(list(request.requests))


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
        return shorten("{" + ", ".join(parts) + "}", limit)
    return shorten(json.dumps(value), limit)
