"""The decision service behind the routes: policies loaded on first use, rules adopted once, deadlines.

A request names a task and a policy (default: the served ones). Each (task, policy) gets one loaded policy,
one :class:`~logicdistill.agent.stateless.StateEngine` and one :class:`DecisionBatcher` thread. Rules inside
a state are adopted in a small thread pool (the decision thread never waits on a teacher), a lock per rule
(agent/stateless.py: RuleBook). Everything a request can get wrong is a :class:`RequestError` with its HTTP
status and one line.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from logicdistill.agent.stateless import StateDecision, StateEngine, engine_for, read_state
from logicdistill.errors import UserError
from logicdistill.evaluation.runner import make_policy, policy_spec_for
from logicdistill.serve.answers import jsonable, stage_answer
from logicdistill.serve.batching import MAX_BATCH, WINDOW_S, DecisionBatcher
from logicdistill.settings import Settings
from logicdistill.tasks import Task, get_task, task_names

DEADLINE_S = 30.0
# Policies a request may load besides the served one that hold a student model (each ~1-2 GB of memory): a
# client naming every ld variant of every task must not be able to grow the server without bound.
MAX_EXTRA_STUDENTS = 3
MAX_REFUSED = 256


class RequestError(Exception):
    """A request the server refuses: an HTTP status and one line."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, " ".join(str(message).split())


@dataclass
class Served:
    task: Task
    name: str
    policy: Any
    engine: StateEngine
    batcher: DecisionBatcher


class DecisionService:
    def __init__(
        self,
        task: str,
        policy: str = "teacher-program",
        options: dict[str, Any] | None = None,
        window_s: float = WINDOW_S,
        max_batch: int = MAX_BATCH,
        deadline_s: float = DEADLINE_S,
        policy_kwargs: dict[str, dict[str, Any]] | None = None,
        settings: Settings | None = None,
    ):
        """``options`` are command-line options (each policy takes those its registry entry lists);
        ``policy_kwargs`` gives a policy's constructor arguments as they are (policy name -> kwargs)."""
        self.task_name, self.policy_name = task, policy
        self.options = options or {}
        self.settings = settings or Settings()
        self.policy_kwargs = policy_kwargs or {}
        self.window_s, self.max_batch, self.deadline_s = window_s, max_batch, deadline_s
        self._served: dict[tuple[str, str], Served] = {}
        self._refused: dict[tuple[str, str], tuple[int, str]] = {}  # loads that failed: refused again at once
        self.max_extra_students = MAX_EXTRA_STUDENTS
        self._tasks: dict[str, Task] = {}
        self._loading = threading.Lock()
        self._rules_pool = ThreadPoolExecutor(4, thread_name_prefix="ld-rules")
        self.closed = False
        self.served(task, policy)  # load the served policy now: a bad name or run fails at start, not later

    # -- policies ---------------------------------------------------------------------------------------------
    def task(self, name: str | None) -> Task:
        name = name or self.task_name
        known = self._tasks.get(name)
        if known is not None:  # every request names a task: finding one must not scan the installed plugins
            return known
        if name not in task_names():
            raise RequestError(404, f"unknown task {name[:64]!r}: choose one of {', '.join(task_names())}")
        try:
            self._tasks[name] = get_task(name)
        except UserError as err:
            raise RequestError(404, str(err)) from None
        return self._tasks[name]

    def served(self, task_name: str | None, policy_name: str | None) -> Served:
        task = self.task(task_name)
        name = policy_name or self.policy_name
        key = (task.name, name)
        with self._loading:
            if key not in self._served:
                if key in self._refused:  # a fresh error each time: a raised one would grow its traceback
                    raise RequestError(*self._refused[key])
                try:
                    self._check_room(task, name)
                    self._served[key] = self._load(task, name)
                except RequestError as err:
                    # a name that cannot be served now cannot be served later either (remembered up to a
                    # bound: names are the client's, remote:URL ones without end)
                    if err.status != 503 and len(self._refused) < MAX_REFUSED:
                        self._refused[key] = (err.status, err.message)
                    raise
            return self._served[key]

    def _check_room(self, task: Task, name: str) -> None:
        """A 503 when loading ``name`` would hold more student models than the served one plus the cap."""
        if not self._served:  # the served policy itself, at start
            return
        try:
            loads_student = policy_spec_for(task, name).loads_student
        except UserError:
            return  # an unknown name: _load says so
        students = [
            key
            for key, s in self._served.items()
            if key != (self.task_name, self.policy_name) and policy_spec_for(s.task, s.name).loads_student
        ]
        if loads_student and len(students) >= self.max_extra_students:
            held = ", ".join("/".join(k) for k in students)
            raise RequestError(
                503,
                f"this server holds {len(students)} student models besides its own ({held}): "
                f"serve {task.name}/{name} with its own `logicdistill serve --task {task.name} --policy {name}`",
            )

    def _load(self, task: Task, name: str) -> Served:
        try:
            kwargs = self.kwargs_for(task, name)
        except UserError as err:
            raise RequestError(404, str(err)) from None
        try:
            policy = make_policy(task, name, self.settings, **kwargs)
        except UserError as err:
            raise RequestError(422, str(err)) from None
        try:
            engine = engine_for(task, policy)
        except UserError as err:
            policy.close()
            raise RequestError(422, str(err)) from None
        return Served(task, name, policy, engine, DecisionBatcher(engine, self.window_s, self.max_batch))

    def kwargs_for(self, task: Task, name: str) -> dict[str, Any]:
        """The constructor arguments of policy ``name``: the command-line options its entry takes, and the
        fixed ones given for it; a UserError for an unknown name."""
        return policy_spec_for(task, name).take(self.options) | self.policy_kwargs.get(name, {})

    def loaded(self) -> list[Served]:
        with self._loading:
            return list(self._served.values())

    # -- decisions --------------------------------------------------------------------------------------------
    async def decide(self, state: Any, task: str | None = None, policy: str | None = None) -> dict[str, Any]:
        if self.closed:
            raise RequestError(503, "the server is shutting down")
        start = time.perf_counter()
        loop = asyncio.get_running_loop()
        served = self._served.get((task or self.task_name, policy or self.policy_name))
        if served is None:  # not loaded yet (or a name to check): loading blocks, so off the event loop
            served = await loop.run_in_executor(None, self.served, task, policy)
        try:
            inputs = read_state(served.task, state)
        except UserError as err:
            raise RequestError(422, str(err)) from None
        try:
            decision = await asyncio.wait_for(self._decide(served, inputs), self.deadline_s)
        except asyncio.TimeoutError:
            raise RequestError(504, f"no decision within the {self.deadline_s:g} s deadline") from None
        except UserError as err:
            raise RequestError(422, str(err)) from None
        return answer(served, decision, time.perf_counter() - start)

    async def _decide(self, served: Served, inputs: Any) -> StateDecision:
        base = served.engine.rules.known(inputs.rules)
        if base is None:  # a rule to adopt (or to find in the store): never on the event loop
            loop = asyncio.get_running_loop()
            base = await loop.run_in_executor(self._rules_pool, served.engine.rules.base_for, inputs.rules)
        return await asyncio.wrap_future(served.batcher.submit(inputs, base))

    def close(self) -> None:
        """Finish the decisions in flight, then stop the threads and the policies (their sandbox workers)."""
        self.closed = True
        for served in self.loaded():
            served.batcher.close()
        self._rules_pool.shutdown(wait=True)
        for served in self.loaded():
            served.policy.close()


def answer(served: Served, decision: StateDecision, seconds: float) -> dict[str, Any]:
    return {
        "action": jsonable(decision.action),
        "stages": [stage_answer(r) for r in decision.records],
        "seconds": seconds,
        "task": served.task.name,
        "policy": served.name,
        "base_version": decision.base_version,
        "new_functions": decision.new_functions,
        "error": decision.error,
    }
