"""The sandbox worker: a separate interpreter that runs checked, untrusted functions under hard limits.

The pool starts it as ``python -s -S -B worker.py FD_IN FD_OUT`` with a clean environment, an empty
working folder, stdin/stdout/stderr on /dev/null and its own session. It imports only the standard library
(never the logicdistill package; its sibling ``guard.py``, standard library only too, is loaded by path),
applies its limits (no core files, no file writes, no new processes, an address-space cap), then serves
requests read from FD_IN: length-prefixed JSON frames, never pickles.

Per call: a profiling timer ends the process after the CPU budget (a Python handler cannot be caught by
sandboxed code because it never returns), RLIMIT_CPU kills a hog stuck inside one C call, and the parent
kills the worker at the wall-time limit. Results must be JSON data within the output budget.

Nothing a call leaves behind may run during a later call. Sandboxed code cannot define ``__del__`` or reach
weak references, so the only code that can run late is a generator's ``finally`` when the generator is
freed; inside a reference cycle that happens whenever the cyclic collector next runs, possibly in an
innocent call (which would then time out). So each call ends with ``gc.collect()`` while its own timer still
runs: a ``finally`` that never ends is charged to the call that created it, and that worker is replaced.
(Start-up objects are frozen out of the collector, so the collection only walks what modules and calls
created.) The worker leaves with ``os._exit`` so interpreter shutdown never runs sandboxed code either.
Shared state of the allowed modules is guarded after each call too (``guard.py``).
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__":  # never import siblings of this file by accident: drop the script's folder
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import builtins
import gc
import hashlib
import json
import resource
import signal
import struct
import time
import types
from typing import Any

HEADER = struct.Struct(">I")
EXIT_CPU = 75  # the worker's exit status when its CPU timer fires
MAX_DEPTH = 100
SMALL = 1 << 62


class NotJsonable(Exception):
    """The value holds something other than JSON data (or str-keyed dicts, lists, tuples)."""


class OutputTooLarge(Exception):
    """The value's JSON form is bigger than the output budget."""


class LoadError(Exception):
    """The module's source failed to run (or is missing from this worker)."""


def to_jsonable(value: Any, max_bytes: int) -> Any:
    """Copy ``value`` as JSON data (tuples become lists), failing early past ``max_bytes`` or MAX_DEPTH levels.

    Exact types only: a subclass could run sandboxed code while being encoded. The size kept here is a lower
    bound of the JSON length, so the early stop never refuses output that would fit.
    """
    size = 0

    def scalar(v: Any) -> int:  # the JSON length lower bound of a scalar, or -1 when ``v`` is a container
        t = type(v)
        if t is str:
            return len(v) + 2
        if t is int:
            if v.bit_length() > 14_000:
                raise NotJsonable("int with more than 4200 digits")
            return 1 + v.bit_length() // 4
        if v is None or t is bool or t is float:
            return 1
        if t is list or t is tuple or t is dict:
            return -1
        raise NotJsonable(f"value of type {t.__name__}")

    def conv(v: Any, depth: int) -> Any:
        nonlocal size
        if depth >= MAX_DEPTH:
            raise NotJsonable(f"nested deeper than {MAX_DEPTH} levels (or cyclic)")
        size += 2 + len(v)
        if type(v) is dict:
            out: Any = {}
            for key, item in v.items():
                if type(key) is not str:
                    raise NotJsonable(f"dict key of type {type(key).__name__} (keys must be str)")
                n = scalar(item)
                size += len(key) + 3 + max(n, 0)
                out[key] = item if n >= 0 else conv(item, depth + 1)
        else:
            out = []
            append = out.append
            for item in v:  # small ints, floats and short strings inline: lists of them are the common case
                t = type(item)
                if (t is int and -SMALL < item < SMALL) or t is float or t is bool or item is None:
                    size += 1
                    append(item)
                else:
                    n = scalar(item)
                    size += max(n, 0)
                    append(item if n >= 0 else conv(item, depth + 1))
                if size > max_bytes:
                    break
        if size > max_bytes:
            raise OutputTooLarge(f"output exceeds {max_bytes} bytes")
        return out

    n = scalar(value)
    if n > max_bytes:
        raise OutputTooLarge(f"output exceeds {max_bytes} bytes")
    return value if n >= 0 else conv(value, 0)


def write_frame(fd: int, payload: bytes) -> None:
    """Write one length-prefixed frame."""
    view = memoryview(HEADER.pack(len(payload)) + payload)
    while view:
        view = view[os.write(fd, view) :]


def read_frame(fd: int) -> Any:
    """Read one frame and decode its JSON; None at end of file."""
    header = _read_exact(fd, HEADER.size)
    if header is None:
        return None
    body = _read_exact(fd, HEADER.unpack(header)[0])
    return None if body is None else json.loads(body)


def _read_exact(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        data = os.read(fd, min(left, 1 << 20))
        if not data:
            return None
        chunks.append(data)
        left -= len(data)
    return b"".join(chunks)


def _load_guard() -> types.ModuleType:
    """``guard.py`` sits next to this file; load it by path (this script's folder is not on ``sys.path``)."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "guard.py")
    spec = importlib.util.spec_from_file_location("logicdistill_sandbox_guard", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _isolated(src: str, name: str, **env: Any) -> Any:
    """Define a helper whose globals hold only ``env``: even a leaked reference reaches nothing else."""
    namespace: dict[str, Any] = {"__builtins__": {}, **env}
    exec(src, namespace)
    return namespace[name]


class Runner:
    """Loads modules into restricted namespaces (cached by source hash) and runs calls under the limits."""

    def __init__(self, config: dict[str, Any], guard: types.ModuleType) -> None:
        self.limits = config["limits"]
        self.proxies = {}
        for name, exports in config["exports"].items():
            real = __import__(name)
            # A name no real module has (no import fallback); read-only: no call can change it for the next.
            attributes = {attr: getattr(real, attr) for attr in exports}
            self.proxies[name] = guard.read_only_module(f"sandboxed:{name}", attributes)
        self.builtins = {name: getattr(builtins, name) for name in config["builtins"]}
        self.builtins["print"] = _isolated("def print(*args, **kwargs):\n    return None\n", "print")
        self.builtins["__import__"] = _isolated(
            "def restricted_import(name, globals=None, locals=None, fromlist=(), level=0):\n"
            "    if level == 0 and name in proxies:\n"
            "        return proxies[name]\n"
            "    raise ImportError(f'import of {name!r} is not allowed')\n",
            "restricted_import",
            proxies=dict(self.proxies),
            ImportError=ImportError,
        )
        self.builtins["__build_class__"] = builtins.__build_class__
        self.modules: dict[str, dict[str, Any] | str] = {}  # hash -> namespace, or the load error
        self.guard = guard.StateGuard({**self.proxies, **{f"builtins.{k}": v for k, v in self.builtins.items()}})

    def load(self, call: dict[str, Any]) -> dict[str, Any]:
        """The module namespace for ``call`` (exec'ing its source the first time); raises on load errors."""
        key = call["hash"]
        cached = self.modules.get(key)
        if isinstance(cached, str):
            raise LoadError(cached)
        if cached is not None:
            return cached
        source = call.get("source")
        if source is None or hashlib.sha256(source.encode()).hexdigest() != key:
            raise LoadError(f"module {call['module']!r} is not loaded in this worker")
        namespace = {"__builtins__": dict(self.builtins), "__name__": f"sandboxed_{key[:12]}"}
        try:
            exec(compile(source, f"<sandbox:{call['module']}>", "exec"), namespace)
        except MemoryError:
            raise
        except BaseException as exc:  # a broken module stays broken: remember why
            self.modules[key] = f"{_describe(exc)} (while loading module {call['module']!r})"
            raise LoadError(self.modules[key]) from None
        self.modules[key] = namespace
        return namespace

    def run(self, call: dict[str, Any]) -> tuple[bool, bytes]:
        """Run one call; returns whether to retire this worker, and the reply frame.

        The CPU timer covers loading, the call, encoding, collecting the call's garbage and the state check.
        """
        start = time.perf_counter()
        used = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(used.ru_utime + used.ru_stime + self.limits["cpu_seconds"]) + 2
        hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
        resource.setrlimit(resource.RLIMIT_CPU, (soft if hard < 0 else min(soft, hard), hard))
        signal.setitimer(signal.ITIMER_PROF, self.limits["cpu_seconds"])
        changed = None
        try:
            kind, value, reason = self._invoke(call)
            try:
                while gc.collect():  # late finalizers (a generator's endless ``finally``) run now, on this
                    pass  # call's time; again while they leave new garbage
                changed = self.guard.changed()
            except MemoryError:
                kind, value, reason = "memory", None, f"memory limit of {self.limits['memory_mb']} MB exceeded"
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
        if changed is not None:
            kind, value = "error", None
            reason = (
                f"the function changed {changed}, which every function in this worker shares (it would change "
                "their results); the call fails and the worker is replaced"
            )
        head = {"kind": kind, "reason": reason, "seconds": time.perf_counter() - start, "retire": changed is not None}
        head_bytes = json.dumps(head).encode()
        retire = kind == "memory" or changed is not None
        if kind != "ok" or value is None:
            return retire, head_bytes
        return retire, head_bytes[:-1] + b', "value": ' + value + b"}"  # value is already encoded JSON

    def _invoke(self, call: dict[str, Any]) -> tuple[str, bytes | None, str | None]:
        max_bytes = self.limits["max_output_bytes"]
        try:
            name = call["function"]
            fn = self.load(call).get(name) if not name.startswith("__") else None
            if fn is None or not callable(fn):
                return "error", None, f"module {call['module']!r} has no callable {name!r}"
            result = fn(*call["args"], **call["kwargs"])
            encoded = json.dumps(to_jsonable(result, max_bytes)).encode()
            if len(encoded) > max_bytes:
                raise OutputTooLarge(f"output exceeds {max_bytes} bytes")
            return "ok", encoded, None
        except MemoryError:
            return "memory", None, f"memory limit of {self.limits['memory_mb']} MB exceeded"
        except OutputTooLarge as exc:
            return "output", None, str(exc)
        except NotJsonable as exc:
            return "error", None, f"result is not JSON data: {exc}"
        except LoadError as exc:
            return "error", None, str(exc)
        except BaseException as exc:  # sandboxed code may raise anything; its text is untrusted
            return "error", None, _describe(exc)


def _describe(exc: BaseException) -> str:
    try:
        text = f"{type(exc).__name__}: {exc}"
    except BaseException:
        text = type(exc).__name__
    return text if len(text) <= 500 else text[:497] + "..."


def _on_cpu_timer(signum: int, frame: Any) -> None:
    os._exit(EXIT_CPU)


def _confine() -> str:
    """Lock the worker into its empty working folder where the OS allows; returns what was achieved.

    As root: chroot into the folder and become ``nobody``. Otherwise: try a new user and mount namespace
    (unprivileged where the kernel permits), which grants the right to chroot. Both are defence in depth
    behind the static checks; failure to confine is not an error.
    """
    folder = os.getcwd()
    try:
        if os.geteuid() == 0:
            os.chroot(folder)
            os.chdir("/")
        else:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(0x10000000 | 0x00020000) != 0:  # CLONE_NEWUSER | CLONE_NEWNS
                return "none"
            os.chroot(folder)
            os.chdir("/")
            return "userns+chroot"
    except (OSError, AttributeError, ImportError):
        return "none"
    try:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    except OSError:
        return "chroot"
    return "chroot+nobody"


def _harden(memory_mb: int) -> None:
    """Apply the process-wide limits once, after every import the worker will ever need."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    for limit in (resource.RLIMIT_NPROC, resource.RLIMIT_NOFILE):
        try:
            resource.setrlimit(limit, (0, 0) if limit == resource.RLIMIT_NPROC else (16, 16))
        except (ValueError, OSError):
            pass  # not lowerable here; the static checks already deny process and file access
    cap = memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGPROF, _on_cpu_timer)
    sys.setrecursionlimit(2000)


def main(argv: list[str]) -> int:
    """Serve batches of calls until end of input or an ``exit`` request."""
    fd_in, fd_out = int(argv[0]), int(argv[1])
    config = read_frame(fd_in)
    if config is None:
        return 0
    runner = Runner(config, _load_guard())  # every import happens here, before the filesystem goes away
    confinement = _confine()
    _harden(int(config["limits"]["memory_mb"]))
    gc.collect()
    gc.freeze()  # start-up objects never need collecting: per-call collections walk only what calls made
    write_frame(fd_out, json.dumps({"ready": True, "confinement": confinement}).encode())
    while True:
        request = read_frame(fd_in)
        if request is None or request.get("op") == "exit":
            return 0
        for call in request["calls"]:
            retire, reply = runner.run(call)
            write_frame(fd_out, reply)
            if retire:  # out of memory, or shared state changed: the pool starts a fresh worker
                return 0


if __name__ == "__main__":
    os._exit(main(sys.argv[1:]))  # no interpreter shutdown: it would free (and finalise) sandboxed objects
