"""The parent's side of one sandbox worker process: start-up, framed JSON over two pipes, deadlines, kill.

The worker runs ``worker.py`` as a script under a fresh interpreter that skips site-packages (``-s -S``),
with an empty environment except a fixed hash seed, in the pool's empty read-only folder, in its own session.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from typing import Any

from logicdistill.sandbox.limits import Limits
from logicdistill.sandbox.worker import EXIT_CPU, HEADER, write_frame

WORKER_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")


class WorkerProcess:
    """The parent's handle on one worker process: start it, talk to it in frames, kill it."""

    def __init__(self, config: bytes, cwd: str, max_reply: int) -> None:
        self.config, self.cwd, self.max_reply = config, cwd, max_reply
        self.proc: subprocess.Popen[bytes] | None = None
        self.loaded: set[str] = set()
        self.confinement = "not started"

    def start(self) -> None:
        """Start the process, send its configuration and wait until it is ready (RuntimeError if it is not)."""
        to_child, from_parent = os.pipe()[::-1]  # (write end kept here, read end for the child)
        from_child, to_parent = os.pipe()
        self.fd_out, self.fd_in = to_child, from_child
        debug = os.environ.get("LOGICDISTILL_SANDBOX_DEBUG")
        env = {"PYTHONHASHSEED": "0", "PYTHONSAFEPATH": "1"}  # fixed hashing: set order is reproducible
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-s", "-S", "-B", WORKER_PATH, str(from_parent), str(to_parent)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=None if debug else subprocess.DEVNULL,
                pass_fds=(from_parent, to_parent),
                cwd=self.cwd,
                env=env,
                start_new_session=True,  # a terminal's Ctrl-C goes to the parent, which then closes the pool
            )
        except OSError:
            self._close_fds()
            raise
        finally:
            os.close(from_parent)
            os.close(to_parent)
        self.loaded = set()
        self._buffer = bytearray()
        write_frame(self.fd_out, self.config)
        ready = self.recv(time.monotonic() + 30)
        if ready is None:
            raise RuntimeError(f"sandbox worker failed to start (exit status {self.reap()})")
        self.confinement = str(ready.get("confinement"))

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def send(self, message: dict[str, Any]) -> None:
        """Send one request frame (OSError when the worker is gone)."""
        write_frame(self.fd_out, json.dumps(message).encode())

    def recv(self, deadline: float) -> Any:
        """The next reply, None at end of file; TimeoutError past ``deadline``; ValueError if oversized."""
        header = self._read_exact(HEADER.size, deadline)
        if header is None:
            return None
        size = HEADER.unpack(header)[0]
        if size > self.max_reply:
            raise ValueError(f"worker reply of {size} bytes exceeds the output limit")
        body = self._read_exact(size, deadline)
        try:
            return None if body is None else json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise ValueError(f"worker reply is not valid JSON ({type(exc).__name__})") from None

    def _read_exact(self, n: int, deadline: float) -> bytes | None:
        # Read whatever is available into a buffer: replies of a batch often arrive together.
        while len(self._buffer) < n:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([self.fd_in], [], [], wait)[0]:
                raise TimeoutError
            data = os.read(self.fd_in, 1 << 20)
            if not data:
                return None
            self._buffer += data
        out = bytes(self._buffer[:n])
        del self._buffer[:n]
        return out

    def reap(self) -> int | None:
        """Wait briefly for the exited worker and return its status (negative: killed by that signal)."""
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.proc.returncode

    def interrupt(self) -> None:
        """Kill the process group now but leave the pipes to the thread that may be reading them."""
        proc = self.proc
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass

    def kill(self) -> None:
        """Kill the process (its whole session) and close the pipes; a later ``start`` makes a fresh one."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
            self.proc.wait()
        self._close_fds()
        self.proc = None

    def _close_fds(self) -> None:
        for fd in (self.fd_out, self.fd_in):
            try:
                os.close(fd)
            except OSError:
                pass


# What a signal that ends a worker in the middle of a call usually means, for the user.
_SIGNAL_MEANING = {
    signal.SIGSEGV: "usually recursion too deep for the C stack, e.g. deeply nested iterators, or the memory "
    "limit hit inside C code",
    signal.SIGBUS: "usually the memory limit hit inside C code",
    signal.SIGABRT: "the interpreter aborted, usually out of memory inside C code",
    signal.SIGKILL: "killed from outside, usually by the system's out-of-memory killer",
    signal.SIGFPE: "an arithmetic fault inside C code",
}
RESTARTED = "a fresh worker runs the next call"


def exit_reason(status: int | None, limits: Limits) -> tuple[str, str]:
    """The result kind and reason for a worker that exited with ``status`` in the middle of a call."""
    if status == EXIT_CPU or status == -signal.SIGXCPU:
        return "timeout", f"CPU time limit of {limits.cpu_seconds} s exceeded"
    if status is not None and status < 0:
        if -status == signal.SIGXFSZ:
            return "crash", f"worker killed for writing a file (SIGXFSZ); {RESTARTED}"
        name = signal.Signals(-status).name if -status in signal.valid_signals() else f"signal {-status}"
        meaning = _SIGNAL_MEANING.get(-status, "a fault inside C code")
        what = "the worker was killed" if -status == signal.SIGKILL else "the function crashed the worker"
        return "crash", f"{what} ({name}: {meaning}); {RESTARTED}"
    return "crash", f"worker exited unexpectedly (status {status}); {RESTARTED}"
