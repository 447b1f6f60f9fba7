"""The function base on disk: one folder per task, versioned, written atomically.

Layout::

    <root>/functions/<name>.<source-hash>.json   one function with its manual and provenance
    <root>/programs/<hash>.py                    the teacher's usage program (which function per stage)
    <root>/versions/<NNNN>.json                  a version: stages, function files, program file
    <root>/CURRENT                               the number of the current version

Files are content-addressed and never rewritten, so every old version stays readable. A version becomes
current only when CURRENT is replaced (atomically, last): a crash mid-write leaves the previous version
intact.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from logicdistill.errors import FormatError, UserError
from logicdistill.functionbase.function import Function, function_from_dict
from logicdistill.tasks.base import Stage


@dataclass(frozen=True)
class BaseVersion:
    """One version of a task's function base."""

    number: int
    stages: tuple[Stage, ...]
    functions: dict[str, Function]
    program: str | None
    created_at: str
    note: str = ""
    flags: dict[str, str] = field(default_factory=dict)  # function -> admission warning (e.g. near-duplicate)

    def for_stage(self, stage: str) -> list[Function]:
        return [f for f in self.functions.values() if stage in f.manual.stages]


def write_atomic(path: Path, text: str) -> None:
    """Write via a temp file in the same folder and rename: readers see the old or the new file, whole."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class FunctionBaseStore:
    """Reads and writes the versions of one task's function base under ``root``."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def versions(self) -> list[int]:
        folder = self.root / "versions"
        return sorted(int(p.stem) for p in folder.glob("*.json") if p.stem.isdigit()) if folder.is_dir() else []

    def current_number(self) -> int | None:
        marker = self.root / "CURRENT"
        if not marker.is_file():
            return None
        text = marker.read_text().strip()
        if not text.isdigit():
            raise FormatError(f"{marker} is corrupt (holds {text[:20]!r}); restore it or rebuild the base")
        return int(text)

    def find(self, note: str) -> int | None:
        """The newest version whose note is exactly ``note`` (how sessions find the Eq. 1 base)."""
        for number in reversed(self.versions()):
            path = self.root / "versions" / f"{number:04d}.json"
            try:
                if json.loads(path.read_text()).get("note") == note:
                    return number
            except (OSError, json.JSONDecodeError):
                continue
        return None

    def current(self) -> BaseVersion | None:
        number = self.current_number()
        return None if number is None else self.version(number)

    def require_current(self, task: str) -> BaseVersion:
        base = self.current()
        if base is None:
            raise UserError(
                f"no function base for {task!r} at {self.root}: run `logicdistill base build --task {task}`"
            )
        return base

    def version(self, number: int) -> BaseVersion:
        path = self.root / "versions" / f"{number:04d}.json"
        if not path.is_file():
            raise UserError(f"function base {self.root} has no version {number} (has {self.versions()})")
        try:
            data = json.loads(path.read_text())
            functions = {}
            for name, file in data["functions"].items():
                functions[name] = function_from_dict(json.loads((self.root / "functions" / file).read_text()))
            program = (self.root / "programs" / data["program"]).read_text() if data.get("program") else None
            stages = tuple(Stage(s["name"], s["produces"]) for s in data["stages"])
        except (OSError, KeyError, TypeError, json.JSONDecodeError) as err:
            raise FormatError(f"function base {self.root} version {number} is unreadable: {err}") from None
        return BaseVersion(
            number, stages, functions, program, data["created_at"], data.get("note", ""), data.get("flags", {})
        )

    def commit(
        self,
        stages: tuple[Stage, ...],
        functions: dict[str, Function],
        program: str | None,
        note: str = "",
        flags: dict[str, str] | None = None,
    ) -> BaseVersion:
        """Write a new version holding exactly these functions and make it current."""
        files = {}
        for name, function in sorted(functions.items()):
            file = f"{name}.{function.source_hash}.json"
            path = self.root / "functions" / file
            if not path.exists():
                write_atomic(path, json.dumps(function.to_dict(), indent=2) + "\n")
            files[name] = file
        program_file = None
        if program is not None:
            program_file = hashlib.sha256(program.encode()).hexdigest()[:16] + ".py"
            if not (self.root / "programs" / program_file).exists():
                write_atomic(self.root / "programs" / program_file, program)
        number = max(self.versions(), default=0) + 1
        created = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        manifest = {
            "number": number,
            "created_at": created,
            "note": note,
            "stages": [asdict(s) for s in stages],
            "functions": files,
            "program": program_file,
            "flags": flags or {},
        }
        write_atomic(self.root / "versions" / f"{number:04d}.json", json.dumps(manifest, indent=2) + "\n")
        write_atomic(self.root / "CURRENT", f"{number}\n")
        return self.version(number)

    def extend(
        self,
        functions: list[Function],
        program: str | None,
        note: str,
        flags: dict[str, str] | None = None,
        parent: BaseVersion | None = None,
    ) -> BaseVersion:
        """A new version: ``parent`` (default: the current version) plus these functions (same name replaces),
        and the new program if given."""
        base = parent or self.current()
        if base is None:
            raise UserError(f"no function base at {self.root} to extend")
        merged = dict(base.functions) | {f.name: f for f in functions}
        program = program if program is not None else base.program
        return self.commit(base.stages, merged, program, note, base.flags | (flags or {}))
