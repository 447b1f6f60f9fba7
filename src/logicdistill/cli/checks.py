"""Checks of command-line input, run before any episode, training step or teacher call.

A mistake found after the work is done costs the user the work, so every command validates its names,
numbers, files and output targets first. Each check raises UserError (one clear line, exit 2); argparse
``type=`` functions raise ArgumentTypeError so argparse names the option. Caps (stated in the errors):

- seeds 0..2**32-1 (numpy's legacy and most RNGs take 32-bit seeds; episode i uses seed+i, so the last one
  must fit too); episodes 1..1,000,000 (a million random-policy pursuit episodes is already hours);
- maps: see ``tasks.pursuit.maps`` (MAX_SIDE, MAX_FREE_CELLS: the exact solver's n**3 states);
- ``--render``: .gif or .png (Pillow writes both as animations).

``last_resort_message`` words the OSError / JSON / UTF-8 errors that ``cli.main`` turns into one line
when nothing more specific caught them (LOGICDISTILL_DEBUG=1 re-raises them with the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import select
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from logicdistill.errors import UserError
from logicdistill.extras import missing_ml_modules, ml_error

SEED_MAX = 2**32 - 1
EPISODES_MAX = 1_000_000
RENDER_SUFFIXES = (".gif", ".png")
DEBUG_ENV = "LOGICDISTILL_DEBUG"


class OneLineParser(argparse.ArgumentParser):
    """argparse prints the usage block before an error; one line plus a pointer to --help reads better."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def int_in(low: int, high: int, what: str = "a whole number") -> Callable[[str], int]:
    """An argparse ``type=``: a whole number in low..high, else an error that states the range."""

    def parse(text: str) -> int:
        shown = text if len(text) <= 24 else text[:20] + "..."
        try:
            # 24 characters is far above any cap and keeps int() away from its 4300-digit ValueError
            value = int(text) if len(text) <= 24 else None
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {what} in {low}..{high}, got {shown!r}")
        return value

    return parse


seed_type = int_in(0, SEED_MAX, "a seed")
episodes_type = int_in(1, EPISODES_MAX, "a number of episodes")


def version_type(text: str) -> int:
    """``--version N`` of a function base: numbers start at 1 (0 used to show the current one silently)."""
    try:
        value = int(text) if len(text) <= 24 else None  # short: int() of thousands of digits is an error too
    except ValueError:
        value = None
    if value is None:
        raise argparse.ArgumentTypeError(f"must be a version number (1, 2, ...), got {text[:24]!r}")
    if value < 1:
        raise argparse.ArgumentTypeError(f"version numbers start at 1, got {text!r}")
    return value


def check_seeds(seed: int, episodes: int) -> None:
    """Episode i plays seed+i: the last seed must stay a valid seed too."""
    if seed + episodes - 1 > SEED_MAX:
        raise UserError(
            f"--seed {seed} with {episodes} episodes would use seeds up to {seed + episodes - 1}; "
            f"seeds must be in 0..{SEED_MAX}"
        )


def _probe_folder(folder: Path, option: str) -> None:
    """Prove that files can be written in ``folder`` (creating it if missing, then removing what was made).

    os.access is no proof (root passes it everywhere, /proc refuses anyway), so write a scratch file.
    """
    missing = []
    probe = folder
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise UserError(f"{option}: {probe} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise UserError(f"{option}: cannot write in {folder} ({err.strerror or err})") from None
    finally:
        for made in missing:  # deepest first; leave nothing behind, the command creates them itself
            try:
                made.rmdir()
            except OSError:
                break


def check_output_file(path: str | Path, option: str, suffixes: Iterable[str] = ()) -> None:
    """An output file: not a folder, an accepted suffix, and its folder exists or can be made, writable."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise UserError(f"{option} {path} is a directory; give a file name")
    suffixes = tuple(suffixes)
    if suffixes and target.suffix.lower() not in suffixes:
        raise UserError(
            f"{option} {path}: unsupported file type {target.suffix or '(none)'!r}; use {', '.join(suffixes)}"
        )
    if target.exists() and not os.access(target, os.W_OK):
        raise UserError(f"{option} {path} exists and is not writable")
    _probe_folder(target.parent, f"{option} {path}")


def check_output_dir(path: str | Path, option: str) -> None:
    """An output folder: a folder (or creatable) in which files can be written."""
    target = Path(path).expanduser()
    if target.exists() and not target.is_dir():
        raise UserError(f"{option} {path} is a file, not a folder")
    _probe_folder(target, f"{option} {path}")


def check_render(task: Any, path: str) -> None:
    """``--render``: the task must draw frames, and the file must be a writable .gif/.png."""
    from logicdistill.tasks.base import Task

    if type(task).frame is Task.frame:  # the base class draws nothing; checked again after the episode
        raise UserError(f"task {task.name!r} draws no pictures; --render is not available")
    check_output_file(path, "--render", RENDER_SUFFIXES)


def require_ml(what: str = "the student") -> None:
    missing = missing_ml_modules()
    if missing:
        raise ml_error(what, missing)


def require_ml_for(task: Any, policies: Iterable[str]) -> None:
    """Before the first episode of a list like ``random,ld``: the policies that load a student (their registry
    entries say so) need the ml extra."""
    from logicdistill.evaluation import policy_spec_for

    students = [p for p in policies if policy_spec_for(task, p).loads_student]
    if students:
        require_ml(f"policy {students[0]!r} (a student)")


def check_run_dir(path: str | None) -> None:
    """``--run``: a finished run folder, checked before the (slow) student load."""
    if path is None:
        return
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise UserError(f"--run {path}: no such folder")
    if not (folder / "run.json").is_file():
        raise UserError(f"--run {path} is not a finished run folder (no run.json)")


def check_env(task: Any, env_kwargs: dict[str, Any]) -> None:
    """Build the environment once and close it: a bad map, scenario, evader or --env-arg fails here."""
    from logicdistill.evaluation import make_env

    make_env(task, env_kwargs).close()


def env_value(text: str) -> Any:
    """``--env-arg KEY=VALUE``: an int where VALUE is one (a short one: huge digit strings stay text), a bool
    for true/false (any case: the string "false" would be truthy), a float for a finite decimal, else text."""
    if len(text) <= 24 and text.lstrip("-").isdigit():
        return int(text)
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if len(text) <= 24 and re.fullmatch(r"-?(\d+\.\d*|\.\d+)(e-?\d+)?|-?\d+e-?\d+", text.lower()):
        return float(text)
    return text


def read_base(store: Any, version: int | None, task: str) -> Any:
    """The stored version (current when None); a file that is not UTF-8 text is named, not a traceback."""
    try:
        return store.version(version) if version is not None else store.require_current(task)
    except UnicodeDecodeError as err:
        raise UserError(
            f"function base {store.root}: a file is not UTF-8 text ({err.reason}); restore it or rebuild the base"
        ) from None


def last_resort_message(err: BaseException) -> str:
    """One line for an OSError or undecodable file that no specific check caught, plus the debug hint."""
    if isinstance(err, OSError):
        text = err.strerror or str(err)
        if err.filename is not None:
            text += f": {err.filename}"
        if getattr(err, "filename2", None):
            text += f" -> {err.filename2}"
    elif isinstance(err, json.JSONDecodeError):
        text = f"a file is not valid JSON ({err.msg} at line {err.lineno} column {err.colno})"
    elif isinstance(err, UnicodeDecodeError):
        text = f"a file is not UTF-8 text ({err.reason} at byte {err.start})"
    else:
        text = str(err)
    return f"{text} (set {DEBUG_ENV}=1 to see the traceback)"


def stdout_closed() -> bool:
    """True when stdout's reader is gone (a broken pipe elsewhere, e.g. a worker's, is still an error)."""
    try:  # a pipe whose reader closed polls as POLLERR (flushing is no test: the failed write dropped the data)
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no real fd (captured output) or no poll on this platform
        return False


def quiet_broken_pipe() -> int:
    """Python's documented way out of a closed stdout: point it at devnull so the exit flush stays quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 1


def debugging() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


def print_error(message: str) -> None:
    print(f"logicdistill: error: {message}", file=sys.stderr)
