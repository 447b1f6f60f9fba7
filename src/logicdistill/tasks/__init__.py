"""Task registry. Built-in tasks load lazily so that ``logicdistill --help`` stays fast."""

from __future__ import annotations

import importlib

from logicdistill.errors import UserError
from logicdistill.tasks.base import EpisodeRecord, Policy, Stage, Task

__all__ = ["EpisodeRecord", "Policy", "Stage", "Task", "get_task", "register_task", "task_names"]

# name -> "module:Class" for built-ins; user tasks are stored as instances.
_BUILTIN = {
    "pursuit": "logicdistill.tasks.pursuit.task:PursuitTask",
    "blackjack": "logicdistill.tasks.blackjack.task:BlackjackTask",
}
_REGISTERED: dict[str, Task] = {}


def register_task(task: Task) -> None:
    """Make a task (built-in or the user's own) known to the CLI and the evaluation runner."""
    _REGISTERED[task.name] = task


def task_names() -> list[str]:
    return sorted(set(_BUILTIN) | set(_REGISTERED))


def get_task(name: str) -> Task:
    if name not in _REGISTERED:
        if name not in _BUILTIN:
            raise UserError(f"unknown task {name!r}: choose one of {', '.join(task_names())}")
        module, cls = _BUILTIN[name].split(":")
        register_task(getattr(importlib.import_module(module), cls)())
    return _REGISTERED[name]
