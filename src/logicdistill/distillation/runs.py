"""Run folders: where ``distill`` saves, and which run ``eval --policy ld`` uses by default.

A run folder holds ``run.json`` (command, config, trace and example hashes, metrics), ``traces/`` and
``train/`` (the LoRA adapter in ``train/adapter``). The shipped run for a task lies in the package
(``shipped/<task>``), so ``logicdistill demo`` evaluates at once; a run you distil yourself is newer and wins.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from logicdistill import paths
from logicdistill.errors import UserError

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "shipped"


def new_run_dir(task: str, seed: int) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return paths.cache_dir("runs", task) / f"{stamp}-seed{seed}"


def shipped_run(task: str) -> Path | None:
    folder = SHIPPED_DIR / task
    return folder if (folder / "run.json").is_file() else None


def latest_run(task: str) -> Path | None:
    """The newest finished run of the task under the home's ``runs/``, else the shipped one."""
    root = paths.home() / "runs" / task
    finished = sorted(p for p in root.glob("*") if (p / "run.json").is_file()) if root.is_dir() else []
    return finished[-1] if finished else shipped_run(task)


def resolve_run(task: str, run: str | Path | None) -> Path:
    folder = Path(run) if run else latest_run(task)
    if folder is None:
        raise UserError(f"no distilled run for {task!r}: run `logicdistill distill --task {task}` first")
    if not (folder / "run.json").is_file():
        raise UserError(f"{folder} is not a finished run folder (no run.json)")
    return folder


def read_run(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / "run.json").read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise UserError(f"cannot read {folder / 'run.json'}: {err}") from None


def adapter_dir(folder: Path) -> Path:
    for candidate in (folder / "adapter", folder / "train" / "adapter"):
        if (candidate / "adapter_config.json").is_file():
            return candidate
    raise UserError(f"run {folder} has no LoRA adapter")
