"""Finding user code: entry-point plugins (as Gymnasium and pytest find theirs) and ``--plugin MODULE``.

Entry-point groups: ``logicdistill.tasks`` (a ``Task`` subclass, or a zero-argument callable that
returns a ``Task``) and ``logicdistill.events`` (an ``EmergencyEvent`` subclass). A plugin that fails to load
is reported in one line (:func:`warn`) and everything else keeps working: one broken package must not take the
whole command line down.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from logicdistill.errors import UserError

TASK_GROUP = "logicdistill.tasks"
EVENT_GROUP = "logicdistill.events"

_warned: set[str] = set()


def entry_points(group: str) -> list[importlib.metadata.EntryPoint]:
    """The installed entry points of ``group``, sorted by name (a broken distribution's metadata is skipped)."""
    try:
        found = importlib.metadata.entry_points(group=group)
    except Exception as err:  # a corrupt dist-info somewhere in site-packages
        warn(f"cannot read installed plugins for {group}: {one_line(err)}")
        return []
    return sorted(found, key=lambda ep: ep.name)


def load_entry_point(ep: importlib.metadata.EntryPoint) -> Any:
    """The object an entry point names; a UserError of one line when its module fails to import."""
    try:
        return ep.load()
    except Exception as err:  # the plugin's own bug: name it, never a traceback
        raise UserError(f"plugin {ep.name!r} ({ep.value}) failed to load: {one_line(err)}") from None


def import_plugin(spec: str) -> None:
    """``--plugin MODULE``: import a module by name (from the current folder too) or a ``.py`` file by path.

    The module registers what it brings (``register_task`` / ``register_event``) when imported.
    """
    try:
        if spec.endswith(".py") or os.sep in spec:
            path = Path(spec)
            if not path.is_file():
                raise UserError(f"--plugin {spec}: no such file")
            name = f"logicdistill_plugin_{path.stem}"
            module_spec = importlib.util.spec_from_file_location(name, path)
            if module_spec is None or module_spec.loader is None:
                raise UserError(f"--plugin {spec}: not a Python file")
            module = importlib.util.module_from_spec(module_spec)
            sys.modules[name] = module
            module_spec.loader.exec_module(module)
        else:
            if os.getcwd() not in sys.path and "" not in sys.path:
                sys.path.insert(0, os.getcwd())  # the console script does not put the current folder on the path
            importlib.import_module(spec)
    except UserError:
        raise
    except Exception as err:  # ImportError, SyntaxError, or whatever the module's top level raised
        raise UserError(f"--plugin {spec} failed to import: {one_line(err)}") from None


def warn(message: str) -> None:
    """One line on stderr, once per message."""
    if message not in _warned:
        _warned.add(message)
        print(f"logicdistill: warning: {message}", file=sys.stderr)


def one_line(err: BaseException) -> str:
    text = " ".join(str(err).split()) or "(no message)"
    return f"{type(err).__name__}: {text[:300]}"
