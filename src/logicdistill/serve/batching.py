"""Dynamic batching: requests that arrive within a short window share one scoring pass.

One thread makes every decision of one policy (the student, the sandbox and the retrieval indexes are used by
that thread alone). It takes the first waiting request and, for a batched engine (the ld policies), every
request that arrives within ``window_s`` after it, up to ``max_batch``, and decides them together through the
lockstep path (``teacher-program``: its sandbox calls in one round trip). It waits only while other requests
are in flight: a lone client pays no window. An engine that cannot batch decides one request after another.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from logicdistill.agent.stateless import StateEngine, StateInputs

WINDOW_S = 0.004  # a few ms: at 64 clients a batch fills in well under a forward pass
MAX_BATCH = 64
RECENT_BATCHES = 10_000


@dataclass
class _Job:
    inputs: StateInputs | None
    base: Any
    future: Future = field(default_factory=Future)
    work: Callable[[], Any] | None = None  # other work on this thread (a viewer step with the served student)


class DecisionBatcher:
    def __init__(self, engine: StateEngine, window_s: float = WINDOW_S, max_batch: int = MAX_BATCH):
        self.engine, self.window_s = engine, window_s
        self.max_batch = max_batch if engine.batched else 1
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._pending = 0  # submitted and not yet answered
        self._lock = threading.Lock()
        self._later: list[_Job] = []
        # the sizes of the latest batches (the load test and bench read them); bounded: a server runs for weeks
        self.batches: deque[int] = deque(maxlen=RECENT_BATCHES)
        self._batch_count = self._decision_count = 0  # over the whole run, for stats()
        self.busy_s = 0.0  # seconds spent deciding (the rest of the thread's life it waited for requests)
        self._thread = threading.Thread(target=self._run, name="ld-decide", daemon=True)
        self._thread.start()

    def submit(self, inputs: StateInputs, base: Any) -> Future:
        job = _Job(inputs, base)
        with self._lock:
            self._pending += 1
        self._queue.put(job)
        return job.future

    def call(self, work: Callable[[], Any]) -> Future:
        """Run ``work`` on the decision thread (between batches): code that uses the served student."""
        job = _Job(None, None, work=work)
        with self._lock:
            self._pending += 1
        self._queue.put(job)
        return job.future

    def _gather(self, first: _Job) -> list[_Job]:
        jobs = [first]
        if first.work is not None:
            return jobs
        end = time.monotonic() + self.window_s
        while len(jobs) < self.max_batch:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                with self._lock:
                    others = self._pending - len(jobs)
                left = end - time.monotonic()
                if others <= 0 or left <= 0:  # nobody else is coming, or the window has closed
                    break
                try:
                    job = self._queue.get(timeout=left)
                except queue.Empty:
                    break
            if job is None:  # closing: decide what was gathered, then stop
                self._queue.put(None)
                break
            if job.work is not None:  # other work waits for the batch
                self._later.append(job)
                continue
            jobs.append(job)
        return jobs

    def _run(self) -> None:
        while True:
            first = self._later.pop(0) if self._later else self._queue.get()
            if first is None:
                return
            jobs = self._gather(first)
            if first.work is not None:
                self._work(first)
                continue
            live = [j for j in jobs if j.future.set_running_or_notify_cancel()]  # past its deadline: skipped
            try:
                if live:
                    self.batches.append(len(live))
                    self._batch_count += 1
                    self._decision_count += len(live)
                    start = time.perf_counter()
                    decisions = self.engine.decide_many([(j.inputs, j.base) for j in live])
                    self.busy_s += time.perf_counter() - start
                    for job, decision in zip(live, decisions, strict=True):
                        job.future.set_result(decision)
            except BaseException as err:  # one bad batch fails its requests, not the thread
                for job in live:
                    if not job.future.done():
                        job.future.set_exception(err)
            finally:
                with self._lock:
                    self._pending -= len(jobs)

    def _work(self, job: _Job) -> None:
        try:
            if job.future.set_running_or_notify_cancel():
                try:
                    job.future.set_result(job.work())  # type: ignore[misc]
                except BaseException as err:
                    job.future.set_exception(err)
        finally:
            with self._lock:
                self._pending -= 1

    def stats(self) -> dict[str, float]:
        """Batches decided, decisions in them, their mean size and the seconds spent deciding."""
        batches, n = self._batch_count, self._decision_count
        return {
            "batches": batches,
            "decisions": n,
            "mean_batch": n / batches if batches else 0.0,
            "busy_s": self.busy_s,
        }

    def close(self, timeout: float | None = 30.0) -> None:
        """Finish every request already submitted, then stop the thread."""
        self._queue.put(None)
        self._thread.join(timeout)
