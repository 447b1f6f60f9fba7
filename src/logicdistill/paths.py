"""Where logicdistill keeps caches and run folders (override the root with LOGICDISTILL_HOME)."""

from __future__ import annotations

import os
from pathlib import Path

from logicdistill.errors import UserError


class HomeError(UserError, OSError):
    """The home (or a folder in it) cannot be created. A UserError for the CLI's one clear line, and still an
    OSError so that code which already treats a failed cache folder as "no cache" keeps doing so."""


def home() -> Path:
    """The root for caches, function bases and runs: ``$LOGICDISTILL_HOME`` or ``~/.cache/logicdistill``."""
    root = os.environ.get("LOGICDISTILL_HOME")
    return Path(root).expanduser() if root else Path.home() / ".cache" / "logicdistill"


def cache_dir(*parts: str) -> Path:
    """A sub-folder of the home, created on first use (``cache_dir("solver")``)."""
    path = home().joinpath(*parts)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        where = "LOGICDISTILL_HOME" if os.environ.get("LOGICDISTILL_HOME") else "the default home"
        raise HomeError(
            f"cannot create folder {path} ({err.strerror or err}); point LOGICDISTILL_HOME at a writable folder "
            f"(now {where}: {home()})"
        ) from None
    return path
