"""Decisions from a state JSON alone: what ``logicdistill serve`` answers and ``check-task`` checks.

A served decision has no environment and no episode. The task rebuilds what the stage loop needs from the
state JSON (``facts_from_state``, ``text_from_state``, ``rules_from_state``: tasks/base.py), the
:class:`RuleBook` finds the function-base version for the rules in force (Eq. 6 once per rule, stored), and
a :class:`StateEngine` runs the one stage loop of agent/stages.py with any slot policy (agent/slot_policy.py):
many states' stage views answered together by the policy's lockstep path (``choose_many``: one forward pass
per stage for the ld variants, one sandbox round trip for ``teacher-program``'s program; ``call_many`` for
the calls).

The same state gives the same decision as the live policy on the environment it came from (``check-task``
and tests/serve check it), so a client can ask any replica.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from filelock import FileLock

from logicdistill.agent.runtime import FunctionRuntime
from logicdistill.agent.session import FunctionBaseSession
from logicdistill.agent.stages import Calls, StageRecord, StageView, Steps, stage_steps
from logicdistill.errors import UserError
from logicdistill.functionbase.store import BaseVersion
from logicdistill.tasks.base import RuleEvent, Task
from logicdistill.tasks.state_schema import schema_problem
from logicdistill.teacher.build import adopt_rule

FAILED_RULE_TTL_S = 60.0  # a rule whose adoption failed is asked of the teacher again after this long
MAX_FAILED_RULES = 1024


@dataclass
class StateDecision:
    """The action (None when no stage produced one: the caller plays the task's fallback) and every stage."""

    action: Any
    records: list[StageRecord]
    base_version: int
    new_functions: list[str] = field(default_factory=list)  # functions the rules in force added to the base
    error: str | None = None


@dataclass(frozen=True)
class StateInputs:
    """What a decision needs, rebuilt from one state JSON."""

    state: dict[str, Any]
    facts: dict[str, bool]
    text: str
    rules: tuple[RuleEvent, ...]


def read_state(task: Task, state: Any) -> StateInputs:
    """Check a state against the task's schema and rebuild the decision's inputs; a UserError in one line."""
    problem = schema_problem(state, task.state_schema())
    if problem:
        raise UserError(f"the state does not fit task {task.name!r}: {problem}")
    try:
        problem = task.state_problem(state)
        if problem:
            raise UserError(f"the state cannot occur in task {task.name!r}: {problem}")
        return StateInputs(
            state, task.facts_from_state(state), task.text_from_state(state), tuple(task.rules_from_state(state))
        )
    except UserError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, ArithmeticError) as err:  # still unusable
        raise UserError(f"the state does not fit task {task.name!r}: {type(err).__name__}: {err}") from None


def _rule_key(parent: int, event: RuleEvent) -> tuple[int, str, str, str]:
    return parent, event.kind, event.text, json.dumps(event.params, sort_keys=True)


class RuleBook:
    """The base version for each list of rules in force, from the session's Eq. 1 base.

    A rule is adopted once per parent version (Eq. 6 through the session's rule teacher) and stored; the next
    request, or another replica on the same store, finds it by its note. Requests that bring the same new rule
    at the same time wait on that rule's lock (and a file lock beside the store, for other processes) and the
    first one adopts it: never two adoptions of one rule.
    """

    def __init__(self, session: FunctionBaseSession):
        self.session = session
        self.eq1 = session.store.version(session.eq1_version)
        self._versions: dict[int, BaseVersion] = {self.eq1.number: self.eq1}
        self._known: dict[tuple[int, str, str, str], int] = {}
        self._locks: dict[tuple[int, str, str, str], threading.Lock] = {}
        self._guard = threading.Lock()
        self.adoptions = 0  # Eq. 6 builds this process made (the rest were found in the store)
        self._failed: dict[tuple[int, str, str, str], tuple[float, str]] = {}  # adoptions refused lately

    def base_for(self, rules: Sequence[RuleEvent]) -> BaseVersion:
        base = self.eq1
        for event in rules:
            key = _rule_key(base.number, event)
            with self._guard:
                number = self._known.get(key)
                lock = self._locks.setdefault(key, threading.Lock())
            if number is None:
                with lock:
                    number = self._known.get(key)
                    if number is None:
                        number = self._adopt_or_recall_failure(key, event, base)
                        with self._guard:
                            self._known[key] = number
            base = self._version(number)
        return base

    def known(self, rules: Sequence[RuleEvent]) -> BaseVersion | None:
        """The base version for ``rules`` when every one was adopted already (a dict lookup, never blocks);
        None when one still has to be adopted or found in the store (:meth:`base_for`)."""
        base = self.eq1
        with self._guard:
            for event in rules:
                number = self._known.get(_rule_key(base.number, event))
                base = self._versions.get(number) if number is not None else None
                if base is None:
                    return None
        return base

    def _version(self, number: int) -> BaseVersion:
        with self._guard:
            found = self._versions.get(number)
        if found is None:
            found = self.session.store.version(number)
            with self._guard:
                self._versions[number] = found
        return found

    def _adopt_or_recall_failure(self, key: tuple[int, str, str, str], event: RuleEvent, base: BaseVersion) -> int:
        """Adopt ``event``; a rule whose adoption failed within FAILED_RULE_TTL_S fails again at once (with a
        live teacher each retry is a paid call, and a server's clients repeat their states)."""
        with self._guard:
            failed = self._failed.get(key)
        if failed is not None and time.monotonic() - failed[0] < FAILED_RULE_TTL_S:
            raise UserError(f"{failed[1]} (failed {time.monotonic() - failed[0]:.0f} s ago; not asked again yet)")
        try:
            return self._adopt(event, base)
        except UserError as err:
            with self._guard:
                self._failed[key] = (time.monotonic(), str(err))
                while len(self._failed) > MAX_FAILED_RULES:
                    self._failed.pop(next(iter(self._failed)))
            raise

    def _adopt(self, event: RuleEvent, parent: BaseVersion) -> int:
        s = self.session
        note = s.rule_teacher.rule_note(s.task, event, parent)
        s.store.root.mkdir(parents=True, exist_ok=True)
        with FileLock(str(s.store.root / "adopt.lock")):  # replicas sharing one store adopt a rule once too
            found = s._stored(s.store.find(note))
            if found is None:
                found = adopt_rule(s.task, s.rule_teacher, s.store, s.sandbox, event, parent=parent, note=note).base
                self.adoptions += 1
        with self._guard:
            self._versions[found.number] = found
        return found.number


@dataclass(frozen=True)
class _BaseView:
    """What a policy's ``make_decider`` and ``choose_many`` read of a session: one base version and its runtime."""

    base: BaseVersion
    runtime: FunctionRuntime


@dataclass
class _Seat:
    """One state's place in a batch, shaped like a lockstep slot (``decider``, ``session``): its stepped
    decision and what it waits on."""

    decider: Any
    session: _BaseView
    inputs: StateInputs
    steps: Steps[tuple[Any, list[StageRecord]]]
    request: StageView | Calls | None = None
    outcome: tuple[Any, list[StageRecord]] | None = None


class StateEngine:
    """Decides many states with one slot policy (``teacher-program``, the ld variants: agent/slot_policy.py):
    per base version a runtime and the policy's own decider, every state's stage views answered together by the
    policy's ``choose_many`` and its sandbox calls by ``call_many`` (the lockstep path)."""

    batched = True  # decide_many shares one scoring pass (one sandbox round trip) among the states

    def __init__(self, task: Task, policy: Any):
        self.task, self.policy = task, policy
        self.session = policy.session
        self.rules = RuleBook(self.session)
        self._parts: dict[int, tuple[_BaseView, Any]] = {}

    def _parts_for(self, base: BaseVersion) -> tuple[_BaseView, Any]:
        if base.number not in self._parts:
            view = _BaseView(base, FunctionRuntime(base, self.session.sandbox))
            self._parts[base.number] = (view, self.policy.make_decider(view))
        return self._parts[base.number]

    def decide_many(self, states: Sequence[tuple[StateInputs, BaseVersion]]) -> list[StateDecision]:
        """Every state's decision, its stages run side by side: one choose round and one sandbox round trip
        per stage for all of them."""
        seats = []
        for inputs, base in states:
            view, decider = self._parts_for(base)
            steps = stage_steps(view.runtime, inputs.state, inputs.facts, inputs.text)
            seats.append(_Seat(decider, view, inputs, steps))
        for seat in seats:
            self._advance(seat, None)
        while True:
            live = [s for s in seats if s.outcome is None]
            if not live:
                break
            views = [s for s in live if isinstance(s.request, StageView)]
            calls = [s for s in live if isinstance(s.request, Calls)]
            replies: dict[int, Any] = {}
            if views:
                choices = self.policy.choose_many([(s, s.request) for s in views])
                replies.update({id(s): c for s, c in zip(views, choices, strict=True)})
            if calls:
                results = self.policy.call_many([q for s in calls for q in s.request.requests])  # type: ignore[union-attr]
                at = 0
                for s in calls:
                    n = len(s.request.requests)  # type: ignore[union-attr]
                    replies[id(s)], at = results[at : at + n], at + n
            for s in live:
                self._advance(s, replies[id(s)])
        return [self._conclude(s, base) for s, (_, base) in zip(seats, states, strict=True)]

    @staticmethod
    def _advance(seat: _Seat, reply: Any) -> None:
        try:
            seat.request = seat.steps.send(reply)
        except StopIteration as stop:
            seat.outcome = stop.value

    def _conclude(self, seat: _Seat, base: BaseVersion) -> StateDecision:
        result, records = seat.outcome  # type: ignore[misc]
        new = sorted(set(base.functions) - set(self.rules.eq1.functions))
        if result is None:
            failed = next((r.error for r in records if r.error), "no stage produced an action")
            return StateDecision(None, records, base.number, new, failed)
        try:
            action = self.task.action_from_state_result(result, seat.inputs.state)
        except UserError as err:
            return StateDecision(None, records, base.number, new, str(err))
        return StateDecision(action, records, base.number, new)


def engine_for(task: Task, policy: Any) -> StateEngine:
    """The engine that decides from state JSON with ``policy``'s base (and student); a UserError for a policy
    that needs its live environment."""
    from logicdistill.agent.slot_policy import SlotPolicy

    if not task.supports_stateless():
        raise UserError(
            f"task {task.name!r} cannot decide from a state JSON: it defines no Task.text_from_state (tasks/base.py)"
        )
    if not isinstance(policy, SlotPolicy):
        raise UserError(
            f"policy {getattr(policy, 'name', policy)!r} needs its live environment and cannot decide from a state "
            "JSON; serve teacher-program or an ld policy"
        )
    return StateEngine(task, policy)
