"""The function base on disk: one folder per task, versioned, written atomically.

Layout::

    <root>/functions/<name>.<hash>.json   one function with its manual and provenance
    <root>/programs/<hash>.py             the teacher's usage program (which function per stage)
    <root>/versions/<NNNN>.json           a version: stages, function files, program file, their sha256
    <root>/CURRENT                        the number of the current version
    <root>/.lock                          held by the one process committing a version

Function and program files are content-addressed: ``<hash>`` starts the sha256 of the file's bytes, and a
version records the full sha256 of each file it uses, checked on every read. (Function files written before
hashes were recorded are named by the hash of the function's *source* only, which misses a changed manual;
those versions are checked against that name.) A file is rewritten only when its bytes no longer match its
name, i.e. it was damaged: that heals every version using it, so old versions stay readable.

Commits hold ``.lock``, so parallel builds get distinct numbers; a version file is created exclusively, never
overwritten. A version becomes current only once it reads back, and CURRENT is replaced last (atomically): a
crash mid-commit leaves the previous version current.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from logicdistill.errors import FormatError, UserError
from logicdistill.files import write_atomic
from logicdistill.functionbase.function import Function, function_from_dict
from logicdistill.tasks.base import Stage

__all__ = ["BaseVersion", "FunctionBaseStore", "LOCK_TIMEOUT_S", "write_atomic"]

# A commit holds the lock for milliseconds, so a minute of waiting means a stuck writer, not a busy one.
LOCK_TIMEOUT_S = 60.0
# Write errors that are the user's to fix (permissions, read-only or full disk): one line naming the folder.
_NOT_WRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
# Damage is healed by a build: it writes a new version, rewriting any damaged file it reuses.
_HEAL = "the next `logicdistill base build` of this task writes a sound version"


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


class FunctionBaseStore:
    """Reads and writes the versions of one task's function base under ``root``."""

    def __init__(self, root: str | Path, lock_timeout: float = LOCK_TIMEOUT_S):
        self.root = Path(root)
        self.lock_timeout = lock_timeout

    def versions(self) -> list[int]:
        folder = self.root / "versions"
        if not folder.is_dir():
            return []
        return sorted(int(p.stem) for p in folder.glob("*.json") if p.stem.isascii() and p.stem.isdigit())

    def current_number(self) -> int | None:
        marker = self.root / "CURRENT"
        if not marker.is_file():
            return None
        text = _read(marker, f"function base {self.root}").decode(errors="replace").strip()
        if not (text.isascii() and text.isdigit()):
            raise FormatError(f"{marker} is corrupt (holds {text[:20]!r}); restore it or rebuild the base")
        return int(text)

    def find(self, note: str) -> int | None:
        """The newest version whose note is exactly ``note`` (how sessions find the Eq. 1 base)."""
        for number in reversed(self.versions()):
            try:
                data = json.loads(self._version_path(number).read_bytes())
            except (OSError, ValueError):  # unreadable, not UTF-8 or not JSON: not the version sought
                continue
            if isinstance(data, dict) and data.get("note") == note:
                return number
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
        """Read a version, checking every file it uses; any damage is one FormatError line naming the file."""
        path = self._version_path(number)
        if not path.is_file():
            raise UserError(f"function base {self.root} has no version {number} (has {self.versions()})")
        where = f"function base {self.root} version {number} is unreadable"
        try:
            m = _manifest(_json(_read(path, where), path, where))
        except ValueError as err:
            raise FormatError(f"{where}: {path} {err}; {_HEAL}") from None
        hashes = m["sha256"]
        functions = {name: self._function(file, hashes.get(file), where) for name, file in m["functions"].items()}
        program = None
        if m["program"]:
            program_path = self.root / "programs" / m["program"]
            raw = self._checked(program_path, hashes.get(m["program"]), where)
            if m["program"] not in hashes and _digest(raw)[:16] != program_path.stem:  # written before hashes
                raise _damaged(program_path, where)
            try:
                program = raw.decode()
            except UnicodeDecodeError as err:
                raise FormatError(f"{where}: {program_path} is not UTF-8 text ({err}); {_HEAL}") from None
        stages = tuple(Stage(s["name"], s["produces"]) for s in m["stages"])
        return BaseVersion(number, stages, functions, program, m["created_at"], m["note"], dict(m["flags"]))

    def commit(
        self,
        stages: tuple[Stage, ...],
        functions: dict[str, Function],
        program: str | None,
        note: str = "",
        flags: dict[str, str] | None = None,
    ) -> BaseVersion:
        """Write a new version holding exactly these functions and make it current once it reads back."""
        with self._writing():
            hashes: dict[str, str] = {}
            files = {
                name: self._put("functions", name + ".{}.json", _function_bytes(function), hashes)
                for name, function in sorted(functions.items())
            }
            program_file = None if program is None else self._put("programs", "{}.py", program.encode(), hashes)
            manifest = {
                "number": None,  # set when a number is claimed
                "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "note": note,
                "stages": [asdict(s) for s in stages],
                "functions": files,
                "program": program_file,
                "flags": flags or {},
                "sha256": hashes,
            }
            number = self._claim(manifest)
            try:
                base = self.version(number)
            except UserError:
                self._version_path(number).unlink(missing_ok=True)  # never current, so never findable either
                raise
            write_atomic(self.root / "CURRENT", f"{number}\n")
            return base

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

    def _version_path(self, number: int) -> Path:
        return self.root / "versions" / f"{number:04d}.json"

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold ``.lock`` for a commit; a folder we may not write is the user's to fix, so say which."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise UserError(f"cannot create the function base folder {self.root}: {err.strerror or err}") from None
        lock_path = self.root / ".lock"
        try:
            with FileLock(str(lock_path), timeout=self.lock_timeout):
                yield
        except Timeout:
            raise UserError(
                f"waited {self.lock_timeout:g} s for {lock_path}: another process is writing this function base;"
                " retry when it is done"
            ) from None
        except OSError as err:
            if err.errno not in _NOT_WRITABLE:
                raise
            where = f" ({err.filename})" if err.filename else ""
            raise UserError(f"cannot write the function base at {self.root}: {err.strerror}{where}") from None

    def _put(self, folder: str, pattern: str, raw: bytes, hashes: dict[str, str]) -> str:
        """Store ``raw`` under its content hash; returns the file name (and records its full hash)."""
        digest = _digest(raw)
        file = pattern.format(digest[:16])
        path = self.root / folder / file
        try:
            intact = path.read_bytes() == raw
        except OSError:
            intact = False
        if not intact:  # new, or damaged since it was written: rewriting heals every version using it
            write_atomic(path, raw)
        hashes[file] = digest
        return file

    def _claim(self, manifest: dict[str, Any]) -> int:
        """Write the version file under the next free number, created exclusively: even where the lock does
        not hold (some network filesystems) no writer replaces another's version."""
        number = max(self.versions(), default=0) + 1
        while True:
            manifest["number"] = number
            path = self._version_path(number)
            try:
                write_atomic(path, json.dumps(manifest, indent=2) + "\n", exclusive=True)
                return number
            except FileExistsError:
                if not path.exists():  # not the version file itself (say, a file where a folder belongs)
                    raise
                number += 1

    def _checked(self, path: Path, sha256: str | None, where: str) -> bytes:
        raw = _read(path, where, heal=True)
        if sha256 is not None and _digest(raw) != sha256:
            raise _damaged(path, where)
        return raw

    def _function(self, file: str, sha256: str | None, where: str) -> Function:
        path = self.root / "functions" / file
        raw = self._checked(path, sha256, where)
        try:
            function = function_from_dict(_json(raw, path, where))
        except FormatError as err:
            if str(err).startswith(where):  # already names the file
                raise
            raise FormatError(f"{where}: {path}: {err}") from None
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise FormatError(f"{where}: {path}: bad function ({type(err).__name__}: {err})") from None
        # written before hashes: the name holds the source's hash (or, from a newer writer, the file's)
        if sha256 is None and file.rsplit(".", 2)[1:2] not in ([function.source_hash], [_digest(raw)[:16]]):
            raise _damaged(path, where)
        return function


def _manifest(data: object) -> dict[str, Any]:
    """A version file's fields, type-checked so that a damaged one is one clear line (ValueError says what)."""
    if not isinstance(data, dict):
        raise ValueError(f"holds {type(data).__name__}, not a JSON object")
    fields: dict[str, Any] = {}

    def take(key: str, ok: Callable[[Any], bool], what: str, default: Any = ...) -> None:
        if key not in data and default is not ...:
            fields[key] = default
        elif key not in data:
            raise ValueError(f"has no field {key!r}")
        elif not ok(data[key]):
            raise ValueError(f"field {key!r} is {json.dumps(data[key])[:40]}, not {what}")
        else:
            fields[key] = data[key]

    take("functions", lambda v: _str_map(v) and all(map(_plain, v.values())), "a map of name to file name")
    take("stages", _stage_list, "a list of {name, produces}")
    take("program", lambda v: v is None or _plain(v), "a file name or null", None)
    take("created_at", lambda v: isinstance(v, str), "a text")
    take("note", lambda v: isinstance(v, str), "a text", "")
    take("flags", _str_map, "a map of name to text", {})
    take("sha256", _str_map, "a map of file name to hash", {})  # versions written before hashes have none
    return fields


def _str_map(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


def _stage_list(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(s, dict) and isinstance(s.get("name"), str) and isinstance(s.get("produces"), str) for s in value
    )


def _plain(name: object) -> bool:
    """A bare file name: a damaged version must not send a reader elsewhere on disk."""
    return isinstance(name, str) and name not in ("", ".", "..") and not any(c in name for c in "/\\\0")


def _read(path: Path, where: str, heal: bool = False) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        hint = f"; {_HEAL}" if heal else ""
        raise FormatError(f"{where}: cannot read {path} ({err.strerror or err}){hint}") from None


def _json(raw: bytes, path: Path, where: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as err:  # not UTF-8 (UnicodeDecodeError) or not JSON
        raise FormatError(f"{where}: {path} is not valid JSON ({err}); {_HEAL}") from None


def _damaged(path: Path, where: str) -> FormatError:
    return FormatError(f"{where}: {path} is damaged (its content does not match the hash it was stored under); {_HEAL}")


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def _function_bytes(function: Function) -> bytes:
    return (json.dumps(function.to_dict(), indent=2) + "\n").encode()
