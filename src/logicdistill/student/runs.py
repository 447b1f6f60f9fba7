"""Distilled students on disk: the typed run record (``run.json``) and where runs live.

A run folder holds ``run.json`` (this record), ``traces/`` and ``train/adapter`` (the LoRA adapter). The
shipped run of a task lies in the package (``shipped/<task>``), so ``logicdistill demo`` evaluates at once;
a run you distil yourself lies under the home (``runs/<task>/<stamp>-seed<S>``) and is used only where you
name it (``--run FOLDER``, ``--run latest`` or ``$LOGICDISTILL_RUN``). A task with no shipped run uses the
shipped universal run, if there is one (one adapter distilled over several tasks). A record saves,
loads and checks itself: a run whose function base differs from the one it meets is named in one warning line
(its student learned other manuals).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logicdistill import paths, plugins
from logicdistill.errors import FormatError, UserError
from logicdistill.files import write_atomic

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "shipped"
RECORD = "run.json"
UNIVERSAL = "universal"  # the run name of one adapter distilled over several tasks (`distill --task A,B,C`)


@dataclass
class DistilledStudent:
    """What ``distill`` made: which student, how it was tuned and on which function base, and how it scored."""

    task: str
    kind: str  # "ld": selects functions; "kd": imitates actions (the student-kd baseline)
    student: str  # the base model: "default", "tiny" or a Hugging Face id / folder
    k: int  # candidates per stage it was trained with
    retriever: str
    embedder: str
    base_fingerprint: str | None  # functionbase.fingerprint of the base it was trained on (None: unknown)
    config: dict[str, Any] = field(default_factory=dict)  # the whole DistillConfig
    metrics: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # command, hashes, base_version, functions, ...
    folder: Path | None = field(default=None, compare=False)

    @property
    def adapter_dir(self) -> Path:
        if self.folder is None:
            raise UserError("this run record was never saved, so it has no adapter")
        for candidate in (self.folder / "adapter", self.folder / "train" / "adapter"):
            if (candidate / "adapter_config.json").is_file():
                return candidate
        raise UserError(f"run {self.folder} has no LoRA adapter (no adapter/adapter_config.json)")

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("extra", "folder")}
        return {**self.extra, **data}

    def save(self, folder: Path) -> Path:
        self.folder = Path(folder)
        write_atomic(self.folder / RECORD, json.dumps(self.to_dict(), indent=2) + "\n")
        return self.folder / RECORD

    @classmethod
    def load(cls, folder: Path | str) -> DistilledStudent:
        """The record in ``folder``; a UserError of one line when it is missing or malformed."""
        folder = Path(folder)
        path = folder / RECORD
        if not path.is_file():
            raise UserError(f"{folder} is not a finished run folder (no {RECORD})")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise TypeError("the record is not a JSON object")
            config = data.get("config") or {}
            known = {f.name for f in dataclasses.fields(cls)} - {"extra", "folder"}
            return cls(
                task=str(data["task"]),
                kind=str(data.get("kind", "ld")),
                student=str(data.get("student", config.get("student", "default"))),
                k=int(data.get("k", config.get("k", 4))),
                retriever=str(data.get("retriever", config.get("retriever", "fused"))),
                embedder=str(data.get("embedder", config.get("embedder", "minilm"))),
                base_fingerprint=data.get("base_fingerprint"),
                config=dict(config),
                metrics=dict(data.get("metrics") or {}),
                extra={k: v for k, v in data.items() if k not in known},
                folder=folder,
            )
        except (OSError, UnicodeDecodeError, KeyError, TypeError, ValueError, AttributeError) as err:
            raise FormatError(f"{path} is not a readable run record: {plugins.one_line(err)}") from None

    def check_base(self, fingerprint: str) -> bool:
        """Whether the run was trained on this function base; warns in one line when it was not."""
        if self.base_fingerprint is None or self.base_fingerprint == fingerprint:
            return True
        plugins.warn(
            f"run {self.folder} was distilled on function base {self.base_fingerprint}, but the base in use is "
            f"{fingerprint}: its student may choose worse (distil again for this base)"
        )
        return False

    def load_student(self, device: str = "cpu", dtype: Any = None) -> Any:
        """The base student with this run's adapter (``dtype``: the model's, default fp32)."""
        from logicdistill.student.loading import load_student
        from logicdistill.student.training import load_adapter

        student = load_student(self.student, device=device, dtype=dtype)
        load_adapter(student, self.adapter_dir)
        return student


def new_run_dir(task: str, seed: int) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return paths.cache_dir("runs", task) / f"{stamp}-seed{seed}"


def shipped_run(task: str) -> Path | None:
    """The run shipped in the package for ``task`` (``shipped/<task>``; ``universal``: the all-task adapter)."""
    folder = SHIPPED_DIR / task
    return folder if (folder / RECORD).is_file() else None


RUN_ENV = "LOGICDISTILL_RUN"  # the run ``ld`` / ``student-kd`` use when ``--run`` names none
LATEST = "latest"  # ``--run latest``: the newest run you distilled for the task


def run_name(task: str, kind: str = "ld") -> str:
    """The folder name of a task's runs: ``pursuit``, or ``pursuit-kd`` for the student-kd baseline."""
    return f"{task}-kd" if kind == "kd" and not task.endswith("-kd") else task


def user_runs(task: str | None = None) -> list[Path]:
    """Finished runs you distilled (under the home's ``runs/``), oldest first; all tasks when ``task`` is None."""
    root = paths.home() / "runs"
    if not root.is_dir():
        return []
    folders = [root / task] if task else sorted(p for p in root.iterdir() if p.is_dir())
    found = [p for f in folders if f.is_dir() for p in sorted(f.iterdir()) if (p / RECORD).is_file()]
    return found


def latest_run(task: str) -> Path | None:
    """The newest finished run of the task under the home's ``runs/``, else the shipped one."""
    finished = user_runs(task)
    return finished[-1] if finished else shipped_run(task)


# The run a task without one of its own borrows (ld, ld-guard), when no universal run exists either.
BORROWED_TASK = "pursuit"


def resolve_run(task: str, run: str | Path | None, kind: str = "ld") -> DistilledStudent:
    """The student a policy uses, always chosen explicitly: the run ``--run`` names (a folder, ``latest``: the
    newest you distilled for the task, ``universal``: the newest universal run), else the one
    ``$LOGICDISTILL_RUN`` names, else the run shipped for the task (an ``ld`` student on a task with none: the
    shipped universal run, else the shipped pursuit adapter, named in a warning). A run you distil is never
    used until you name it: a throwaway run must not silently become the student."""
    name = run_name(task, kind)
    spec = run if run else os.environ.get(RUN_ENV) or None
    if spec is not None and str(spec) == UNIVERSAL:
        return universal_run()
    if spec is not None and str(spec) == LATEST:
        mine = user_runs(name)
        if not mine:
            raise UserError(f"--run latest: you have distilled no run for {name!r} under {paths.home() / 'runs'}")
        return DistilledStudent.load(mine[-1])
    if spec is not None:
        folder = Path(spec).expanduser()
        if not folder.is_dir():
            where = "--run" if run else RUN_ENV
            raise UserError(f"{where} {spec}: no such folder")
        return DistilledStudent.load(folder)
    folder = shipped_run(name)
    if folder is None and kind == "ld":
        folder = shipped_run(UNIVERSAL)
    borrowed = shipped_run(BORROWED_TASK) if folder is None and kind == "ld" else None
    if borrowed is not None:
        # A new user's plugin task plays at once: the shipped pursuit adapter selects by manuals it was never
        # trained on (ld-guard leans on the conditions where the student would misread). One line says so.
        plugins.warn(
            f"no distilled run for {task!r}: using the shipped {BORROWED_TASK} adapter"
            f" (distil one with `logicdistill distill --task {task}`, or name one with --run)"
        )
        record = DistilledStudent.load(borrowed)
        record.base_fingerprint = None  # trained on another task's base: said above, not again per base
        return record
    if folder is None:
        base = name.removesuffix("-kd")
        command = f"logicdistill distill --task {base}" + (" --kind kd" if kind == "kd" else "")
        mine = user_runs(name)
        hint = f" (your newest: --run {mine[-1]}, or --run latest)" if mine else ""
        raise UserError(f"no distilled run is shipped for {name!r}: run `{command}`, then name it with --run{hint}")
    return DistilledStudent.load(folder)


def universal_run() -> DistilledStudent:
    """The newest universal run: one you distilled over several tasks (``runs/universal``), else the shipped one."""
    folder = latest_run(UNIVERSAL)
    if folder is None:
        raise UserError(
            "no universal run: distil one over several tasks (`logicdistill distill --task A,B,C`) or name a run folder"
        )
    return DistilledStudent.load(folder)


def run_from(spec: str | Path) -> DistilledStudent:
    """What ``distill --from SPEC`` starts from: a run folder, or ``universal``."""
    return universal_run() if str(spec) == UNIVERSAL else DistilledStudent.load(spec)
