"""Ending cleanly on SIGTERM, SIGHUP and SIGINT, so sandboxes close their workers and remove their folders.

Python's default action for SIGTERM and SIGHUP ends the process at once: no ``finally``, no ``with`` exit, no
``atexit``. A worker then runs on to its CPU limit and its ``ld-sandbox-*`` folder stays. Inside
``exit_on_signals()`` those signals raise SystemExit(128 + signal) instead, and SIGINT raises
KeyboardInterrupt as usual, so every open ``Sandbox`` closes on the way out (and ``weakref.finalize``
closes any left open at interpreter exit). Signals that arrive while that unwinding runs are ignored: a
second Ctrl-C must not interrupt the cleanup itself.

Signal handlers belong to the program, not to a library, so commands opt in (``logicdistill sandbox``
does); the handlers are installed only from the main thread and the previous ones come back afterwards.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_EXIT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextmanager
def exit_on_signals() -> Iterator[None]:
    """Within the block, SIGTERM/SIGHUP raise SystemExit(128 + signum); SIGINT raises KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set handlers; the caller's own handling stays in force
        return
    unwinding = False

    def handler(signum: int, frame: FrameType | None) -> None:
        nonlocal unwinding
        if unwinding:
            return  # already on the way out: let the cleanup finish
        unwinding = True
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)

    previous = {}
    for signum in _EXIT_SIGNALS:
        previous[signum] = signal.signal(signum, handler)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # respect an inherited SIG_IGN
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
