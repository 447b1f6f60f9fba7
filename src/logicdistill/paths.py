"""Where logicdistill keeps caches and run folders (override the root with LOGICDISTILL_HOME)."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """The root for caches, function bases and runs: ``$LOGICDISTILL_HOME`` or ``~/.cache/logicdistill``."""
    root = os.environ.get("LOGICDISTILL_HOME")
    return Path(root).expanduser() if root else Path.home() / ".cache" / "logicdistill"


def cache_dir(*parts: str) -> Path:
    """A sub-folder of the home, created on first use (``cache_dir("solver")``)."""
    path = home().joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
