"""Progress for long work: a live bar on a terminal, plain periodic lines in a log.

A tqdm bar redraws itself with carriage returns; written to a file (``... 2> log``, CI) every redraw stays,
so a log holds one huge line. Where stderr is not a terminal, :class:`PlainProgress` prints one ordinary line
every tenth of the work (and at least every ``every_s`` seconds), and the end.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

QUIET_ENV = "HF_HUB_DISABLE_PROGRESS_BARS"  # read by huggingface_hub and transformers (their loading bars)
TQDM_ENV = "TQDM_DISABLE"  # tqdm's default for bars that do not say (the GGUF conversion's), read when tqdm loads


def on_terminal(stream: TextIO | None = None) -> bool:
    stream = sys.stderr if stream is None else stream
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or fake stream
        return False


def quiet_loading_bars() -> None:
    """Silence the model libraries' own loading bars (``--quiet``, or stderr is a log); call before they load."""
    os.environ[QUIET_ENV] = "1"
    os.environ[TQDM_ENV] = "1"  # the package's own bars pass ``disable`` themselves, so this silences only others
    hf_logging = sys.modules.get("transformers.utils.logging")
    if hf_logging is not None:  # already imported: its switch was read at import time
        hf_logging.disable_progress_bar()


class PlainProgress:
    """The part of tqdm's interface the package uses, as plain lines: ``desc: 30/100 ep (30%)``."""

    def __init__(
        self,
        iterable: Iterable[Any] | None = None,
        total: int | None = None,
        desc: str = "",
        unit: str = "it",
        initial: int = 0,
        disable: bool = False,
        every_s: float = 30.0,
        stream: TextIO | None = None,
        **_: Any,
    ):
        self.iterable = iterable
        if total is None and iterable is not None and hasattr(iterable, "__len__"):
            total = len(iterable)  # type: ignore[arg-type]
        self.total, self.desc, self.unit, self.n = total, desc, unit, initial
        self.disable, self.every_s, self.stream = disable, every_s, stream
        self.postfix = ""
        self._last_t = time.monotonic()
        self._last_tenth = self._tenth()
        self._closed = False
        self._emitted_n = initial

    def __iter__(self) -> Iterator[Any]:
        for item in self.iterable or ():
            yield item
            self.update(1)
        self.close()

    def _tenth(self) -> int:
        return int(10 * self.n / self.total) if self.total else 0

    def update(self, n: int = 1) -> None:
        self.n += n
        tenth = self._tenth()
        if tenth > self._last_tenth or time.monotonic() - self._last_t >= self.every_s:
            self._last_tenth = tenth
            self._emit()

    def set_postfix(self, **values: Any) -> None:
        self.postfix = ", ".join(f"{k}={v}" for k, v in values.items())

    def _emit(self) -> None:
        self._last_t, self._emitted_n = time.monotonic(), self.n
        if self.disable:
            return
        share = f" ({100 * self.n / self.total:.0f}%)" if self.total else ""
        total = f"/{self.total}" if self.total else ""
        extra = f" {self.postfix}" if self.postfix else ""
        print(f"{self.desc}: {self.n}{total} {self.unit}{share}{extra}", file=self.stream or sys.stderr, flush=True)

    def close(self) -> None:
        if not self._closed and self.n != self._emitted_n:  # the end, unless its line is already out
            self._emit()
        self._closed = True


def progress_bar(iterable: Iterable[Any] | None = None, **kwargs: Any) -> Any:
    """tqdm on a terminal, :class:`PlainProgress` lines otherwise; the same arguments (``disable``, ``total``,
    ``desc``, ``unit``, ``initial``, ``leave``)."""
    if on_terminal():
        from tqdm import tqdm

        return tqdm(iterable, **kwargs)
    return PlainProgress(iterable, **kwargs)
