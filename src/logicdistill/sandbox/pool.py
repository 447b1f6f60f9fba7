"""The sandbox pool: checked modules, reusable worker processes, and per-call results.

``Sandbox.load`` runs the static checks in this process; ``call``/``call_many`` send JSON requests to worker
processes (see ``worker.py``) and read one JSON reply per call. A worker that times out, crashes, runs out
of memory or whose shared module state a call changed (``guard.py``) is killed and replaced, and the calls
after it in the batch go to the fresh worker.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import shutil
import tempfile
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from logicdistill.sandbox.limits import Limits
from logicdistill.sandbox.policy import DEFAULT_IMPORTS, SAFE_BUILTIN_NAMES, module_exports
from logicdistill.sandbox.process import WorkerProcess, exit_reason
from logicdistill.sandbox.static_check import CheckResult, parse_checked, top_level_names
from logicdistill.sandbox.worker import NotJsonable, OutputTooLarge, to_jsonable

MAX_MODULES_PER_WORKER = 256  # a worker caches every module it loads; recycle it past this many
MAX_ARGUMENT_BYTES = 64 << 20
MAX_REMEMBERED_FAILURES = 4096  # calls that spent a CPU or memory budget (a few hundred bytes each)
KINDS = ("ok", "rejected", "error", "timeout", "memory", "output", "crash")


@dataclass(frozen=True)
class CallResult:
    """One call's outcome: ``kind`` is one of KINDS; ``value`` is JSON data when ``ok``."""

    ok: bool
    value: Any
    kind: str
    reason: str | None
    seconds: float


@dataclass(frozen=True)
class CallRequest:
    """One call for ``Sandbox.call_many`` (a plain tuple ``(module_id, function, args, kwargs)`` works too)."""

    module_id: str
    function: str
    args: Sequence[Any] = ()
    kwargs: dict[str, Any] | None = None


@dataclass(frozen=True)
class _Module:
    digest: str
    source: str
    names: frozenset[str]


def _failed(kind: str, reason: str, seconds: float = 0.0) -> CallResult:
    return CallResult(False, None, kind, reason, seconds)


def _printable(text: str) -> str:
    """Untrusted text made safe to print: control characters (terminal escapes) become escapes."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _from_reply(reply: Any) -> CallResult:
    """A worker's reply as a CallResult; anything malformed counts as a crash (the worker is not trusted)."""
    try:
        kind, reason, seconds = reply["kind"], reply["reason"], float(reply["seconds"])
        if kind not in ("ok", "error", "memory", "output") or not isinstance(reason, (str, type(None))):
            raise ValueError(kind)
    except (TypeError, KeyError, ValueError):
        return _failed("crash", "worker sent a malformed reply")
    return CallResult(kind == "ok", reply.get("value"), kind, None if reason is None else _printable(reason), seconds)


def _spent_its_budget(result: CallResult) -> bool:
    """A failure the same call would meet again: its CPU budget or its memory (a wall-clock timeout may be a
    busy machine's, a crash the system's, so those are run again)."""
    if result.kind == "memory":
        return True
    return result.kind == "timeout" and (result.reason or "").startswith("CPU time limit")


def _call_key(message: dict[str, Any]) -> str:
    exact = [message["hash"], message["module"], message["function"], message["args"], message["kwargs"]]
    return hashlib.sha256(json.dumps(exact, sort_keys=True).encode()).hexdigest()


def _cleanup(workers: list[WorkerProcess], tmpdir: str) -> None:
    for worker in workers:
        worker.kill()
    shutil.rmtree(tmpdir, ignore_errors=True)


class Sandbox:
    """Runs checked, untrusted functions in a pool of isolated worker processes with per-call limits.

    ``workers`` processes start lazily and are reused; ``cpu_seconds``/``wall_seconds`` bound each call
    (module loading included), ``memory_mb`` caps each worker's address space, ``max_output_bytes`` the
    JSON size of a result, and ``allowed_imports`` may narrow the module allow-list. Modules stay cached in
    a worker by source hash, so module-level state persists between calls until the worker is replaced.
    Calls may come from several threads; ``close`` must not overlap them.
    """

    def __init__(
        self,
        workers: int = 1,
        cpu_seconds: float = 2.0,
        wall_seconds: float = 5.0,
        memory_mb: int = 512,
        max_output_bytes: int = 1_000_000,
        allowed_imports: Iterable[str] = DEFAULT_IMPORTS,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.limits = Limits(cpu_seconds, wall_seconds, memory_mb, max_output_bytes)
        self.allowed_imports = frozenset(allowed_imports)
        exports = module_exports(tuple(self.allowed_imports))
        config = {"limits": self.limits.as_dict(), "exports": exports, "builtins": sorted(SAFE_BUILTIN_NAMES)}
        self._tmpdir = tempfile.mkdtemp(prefix="ld-sandbox-")
        self._workers: list[WorkerProcess] = []
        self._finalizer = weakref.finalize(self, _cleanup, self._workers, self._tmpdir)  # at exit too
        os.chmod(self._tmpdir, 0o500)  # an empty folder the worker cannot write into
        max_reply = max_output_bytes + 4096
        self._workers += [WorkerProcess(json.dumps(config).encode(), self._tmpdir, max_reply) for _ in range(workers)]
        self._idle: queue.SimpleQueue[WorkerProcess] = queue.SimpleQueue()
        for worker in self._workers:
            self._idle.put(worker)
        self._modules: dict[str, _Module] = {}
        self._rejected: dict[str, CheckResult] = {}
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self._closed = False
        # Calls that spent a whole CPU or memory budget, by their exact request: the same call is answered
        # with the same failure at once instead of burning the budget again (functions are deterministic in
        # their JSON arguments). A server otherwise lets one client that repeats a hostile state hold the
        # decision thread for seconds per request, and every other client waits behind it.
        self._doomed: OrderedDict[str, CallResult] = OrderedDict()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def confinement(self) -> str:
        """How the OS confines workers beyond the limits: ``chroot+nobody``, ``chroot``, ``userns+chroot``, ``none``."""
        worker = self._idle.get()
        try:
            if not worker.alive:
                worker.start()  # the answer depends on the machine, so ask a real worker
            return worker.confinement
        finally:
            self._idle.put(worker)

    def load(self, module_id: str, source: str) -> CheckResult:
        """Statically check ``source``; when it passes, ``module_id`` becomes callable (replacing older source)."""
        result, tree = parse_checked(source, self.allowed_imports)
        with self._lock:
            if result.ok and tree is not None:
                digest = hashlib.sha256(source.encode()).hexdigest()
                self._modules[module_id] = _Module(digest, source, frozenset(top_level_names(tree)))
                self._rejected.pop(module_id, None)
            else:
                self._modules.pop(module_id, None)
                self._rejected[module_id] = result
        return result

    def call(self, module_id: str, function: str, args: list | tuple = (), kwargs: dict | None = None) -> CallResult:
        """Call ``function`` of a loaded module with JSON-data arguments."""
        return self.call_many([CallRequest(module_id, function, args, kwargs)])[0]

    def call_many(self, requests: Iterable[CallRequest | tuple]) -> list[CallResult]:
        """Run several calls with one round trip per worker; results come back in request order."""
        if self._closed:
            raise RuntimeError("the sandbox is closed")
        results: list[CallResult | None] = []
        pending: list[tuple[int, dict[str, Any], _Module]] = []
        for index, request in enumerate(requests):
            prepared = self._prepare(request if isinstance(request, CallRequest) else CallRequest(*request))
            if not isinstance(prepared, CallResult) and self._doomed:
                prepared = self._known_failure(prepared[0]) or prepared
            results.append(prepared if isinstance(prepared, CallResult) else None)
            if not isinstance(prepared, CallResult):
                pending.append((index, *prepared))
        if pending:
            n = min(len(self._workers), len(pending))
            chunks = [pending[i * len(pending) // n : (i + 1) * len(pending) // n] for i in range(n)]
            if n == 1:
                done = [self._run_chunk(chunks[0])]
            else:
                with self._lock:
                    if self._executor is None:
                        self._executor = ThreadPoolExecutor(len(self._workers), thread_name_prefix="sandbox")
                done = list(self._executor.map(self._run_chunk, chunks))
            for chunk_results in done:
                for index, result in chunk_results:
                    results[index] = result
        return [r for r in results if r is not None]

    def _known_failure(self, message: dict[str, Any]) -> CallResult | None:
        with self._lock:
            failure = self._doomed.get(_call_key(message))
        if failure is None:
            return None
        return _failed(failure.kind, f"{failure.reason} (this exact call did so before: not run again)")

    def _remember_failure(self, message: dict[str, Any], result: CallResult) -> None:
        key = _call_key(message)
        with self._lock:
            self._doomed[key] = result
            while len(self._doomed) > MAX_REMEMBERED_FAILURES:
                self._doomed.popitem(last=False)

    def close(self) -> None:
        """Stop every worker and remove the working folder; the sandbox cannot be used afterwards.

        Also the way out on SIGTERM/SIGINT (see ``shutdown.exit_on_signals``) and, through the finalizer,
        at interpreter exit: no worker may outlive its parent, no folder may stay behind.
        """
        self._closed = True
        if self._executor is not None:
            for worker in self._workers:
                worker.interrupt()  # threads still waiting on a reply (after Ctrl-C) see end of file at once
            self._executor.shutdown(wait=True)
        self._finalizer()  # kills the workers: they hold no state worth a graceful exit

    def _prepare(self, request: CallRequest) -> CallResult | tuple[dict[str, Any], _Module]:
        with self._lock:
            module = self._modules.get(request.module_id)
            rejected = self._rejected.get(request.module_id)
        if module is None:
            why = f"was rejected: {rejected}" if rejected else "is not loaded"
            return _failed("rejected", f"module {request.module_id!r} {why}")
        name = request.function
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("__"):
            return _failed("rejected", f"{name!r} is not a callable function name")
        if name not in module.names:
            return _failed("rejected", f"module {request.module_id!r} defines no function {name!r}")
        if not isinstance(request.args, (list, tuple)) or not isinstance(request.kwargs, (dict, type(None))):
            return _failed("rejected", "args must be a list or tuple and kwargs a dict")
        try:
            args = to_jsonable(list(request.args), MAX_ARGUMENT_BYTES)
            kwargs = to_jsonable(dict(request.kwargs or {}), MAX_ARGUMENT_BYTES)
        except (NotJsonable, OutputTooLarge) as exc:
            return _failed("rejected", f"arguments are not JSON data: {exc}")
        message = {"hash": module.digest, "module": request.module_id, "function": name}
        return {**message, "args": args, "kwargs": kwargs}, module

    def _run_chunk(self, items: list[tuple[int, dict[str, Any], _Module]]) -> list[tuple[int, CallResult]]:
        worker = self._idle.get()
        try:
            out: list[tuple[int, CallResult]] = []
            while items and not self._closed:  # a closing sandbox starts no fresh worker
                done = self._run_batch(worker, items)
                out.extend(done)
                failed = [(items[len(done) - 1][1], done[-1][1])] if done and _spent_its_budget(done[-1][1]) else []
                items = items[len(done) :]
                for message, result in failed:  # the same call later in this batch is not run again either
                    self._remember_failure(message, result)
                    rest = []
                    for item in items:
                        known = self._known_failure(item[1])
                        if known is None:
                            rest.append(item)
                        else:
                            out.append((item[0], known))
                    items = rest
            return out
        finally:
            self._idle.put(worker)

    def _run_batch(self, worker: WorkerProcess, items: list[tuple[int, dict[str, Any], _Module]]) -> list:
        """Send ``items`` to ``worker`` and read replies until done or the worker is lost (it is then killed)."""
        if worker.alive and len(worker.loaded | {m.digest for _, _, m in items}) > MAX_MODULES_PER_WORKER:
            worker.kill()
        try:
            if not worker.alive:
                worker.kill()
                worker.start()
            calls, sent = [], set()
            for _, message, module in items:
                fresh = module.digest not in worker.loaded and module.digest not in sent
                calls.append({**message, "source": module.source} if fresh else message)
                sent.add(module.digest)
            worker.send({"op": "batch", "calls": calls})
            worker.loaded |= sent
        except (OSError, RuntimeError) as exc:
            worker.kill()
            return [(items[0][0], _failed("crash", f"could not reach the worker: {exc}"))]
        started = time.monotonic()  # each call's wall clock starts when the previous reply arrived
        out = []
        for index, _, _ in items:
            try:
                reply = worker.recv(started + self.limits.wall_seconds)
            except TimeoutError:
                worker.kill()
                reason = f"wall time limit of {self.limits.wall_seconds} s exceeded"
                return [*out, (index, _failed("timeout", reason, time.monotonic() - started))]
            except ValueError as exc:
                worker.kill()
                return [*out, (index, _failed("output", str(exc), time.monotonic() - started))]
            if reply is None:
                kind, reason = exit_reason(worker.reap(), self.limits)
                worker.kill()
                return [*out, (index, _failed(kind, reason, time.monotonic() - started))]
            result = _from_reply(reply)
            out.append((index, result))
            started = time.monotonic()
            if result.kind == "memory" or (isinstance(reply, dict) and reply.get("retire") is True):
                worker.kill()  # it retires itself too; the rest of the batch goes to a fresh worker
                return out
        return out
