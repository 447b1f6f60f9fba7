"""Task registry: the built-in tasks, installed plugin tasks (entry points) and tasks registered in-process.

Built-ins and entry points load lazily, so ``logicdistill --help`` stays fast and one broken plugin only
costs its own task.
"""

from __future__ import annotations

import importlib
from typing import Any

from logicdistill import plugins
from logicdistill.errors import UserError
from logicdistill.tasks.base import (
    Caller,
    EpisodeRecord,
    Policy,
    PolicyFactory,
    RuleEvent,
    Stage,
    Task,
    TaskCheck,
    results_equal,
)

__all__ = [
    "Caller",
    "EpisodeRecord",
    "PolicyFactory",
    "Policy",
    "RuleEvent",
    "Stage",
    "Task",
    "TaskCheck",
    "get_task",
    "register_event",
    "register_task",
    "results_equal",
    "task_names",
    "unregister_task",
]

# name -> "module:Class" for built-ins; every loaded task is kept as an instance.
_BUILTIN = {
    "pursuit": "logicdistill.tasks.pursuit.task:PursuitTask",
    "blackjack": "logicdistill.tasks.blackjack.task:BlackjackTask",
}
_REGISTERED: dict[str, Task] = {}


def register_task(task: Task | type[Task] | Any) -> Task:
    """Make a task known to every command: a ``Task`` instance, a ``Task`` subclass, or a zero-argument
    callable returning a ``Task``. A later registration under the same name replaces the earlier one."""
    task = _instantiate(task, "register_task")
    _REGISTERED[task.name] = task
    return task


def unregister_task(name: str) -> None:
    """Forget a registered task (tests that register one remove it afterwards)."""
    _REGISTERED.pop(name, None)


def register_event(*args: Any) -> None:
    """Let scenarios name a new emergency rule: ``register_event(MyEvent)`` (its ``kind`` is the scenario name)
    or ``register_event("kind", MyEvent)``. Events are pursuit emergencies (``logicdistill.tasks.pursuit``)."""
    from logicdistill.tasks.pursuit.emergencies import register_event as register

    if len(args) == 1:
        register(getattr(args[0], "kind", None), args[0])
    elif len(args) == 2:
        register(*args)
    else:
        raise TypeError("register_event(EventClass) or register_event(kind, EventClass)")


def task_names() -> list[str]:
    """Every task a command can name: built-ins, installed plugins, registered ones."""
    return sorted(set(_BUILTIN) | set(_REGISTERED) | {ep.name for ep in plugins.entry_points(plugins.TASK_GROUP)})


def get_task(name: str) -> Task:
    """The task called ``name``; a UserError that lists the choices, or names the plugin that failed to load."""
    if name in _REGISTERED:
        return _REGISTERED[name]
    if name in _BUILTIN:
        module, cls = _BUILTIN[name].split(":")
        return register_task(getattr(importlib.import_module(module), cls))
    points = plugins.entry_points(plugins.TASK_GROUP)
    for ep in [p for p in points if p.name == name] + [p for p in points if p.name != name]:
        # An entry's name should be its task's name; when it is not, the other entries are searched too.
        try:
            task = register_task(_instantiate(plugins.load_entry_point(ep), f"plugin {ep.name!r}"))
        except UserError as err:
            if ep.name == name:
                raise
            plugins.warn(str(err))
            continue
        if task.name == name:
            return task
    raise UserError(f"unknown task {name!r}: choose one of {', '.join(task_names())}")


def _instantiate(obj: Any, where: str) -> Task:
    if isinstance(obj, Task):
        return obj
    if callable(obj):
        try:
            made = obj()
        except UserError:
            raise
        except Exception as err:  # the plugin's constructor failed
            raise UserError(f"{where}: creating the task failed: {plugins.one_line(err)}") from None
        if isinstance(made, Task):
            return made
    raise UserError(f"{where}: expected a Task, a Task subclass or a callable returning a Task, got {obj!r}")
