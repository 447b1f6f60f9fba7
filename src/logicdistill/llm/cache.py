"""On-disk cache of teacher exchanges: one JSON file per request, written atomically.

The key is the SHA-256 of the canonical JSON of the request body (model, messages, sampling parameters). The API
key and the base URL are never part of it, so a cache made against one endpoint replays anywhere, and no secret
ever lands on disk. A write goes to a temporary file in the same folder and is renamed into place
(``os.replace``), so a process killed mid-write leaves either the old state or the complete new file.

Anything unusable in a record's place (bytes that are not UTF-8 JSON, JSON that is not a record of this request,
a folder, a FIFO, an unreadable file) is a miss with a warning, never a traceback, and the next ``put`` replaces it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import stat
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def canonical_json(request: dict[str, Any]) -> str:
    """The one serialisation of a request that is hashed and sent: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_key(request: dict[str, Any]) -> str:
    """The cache key of a request: hex SHA-256 of its canonical JSON."""
    return hashlib.sha256(canonical_json(request).encode("utf-8")).hexdigest()


class RequestCache:
    """A folder of ``<key[:2]>/<key>.json`` records, each holding the request, the response and a timestamp."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        """Where the record for ``key`` lives (two-character shards keep folders small)."""
        return self.folder / key[:2] / f"{key}.json"

    def get(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """The stored record for ``request``, or None on a miss.

        A record that does not parse, or that holds a different request, counts as a miss (with a warning):
        it is a cache, so asking again and overwriting is the repair, and nothing else is lost.
        """
        path = self.path(request_key(request))
        try:
            return _load(path, request)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, RecursionError) as err:  # RecursionError: JSON nested too deep to parse
            log.warning(
                "ignoring unusable teacher cache record %s (%s: %s); it will be asked again",
                path,
                type(err).__name__,
                err,
            )
            return None

    def put(self, request: dict[str, Any], response: dict[str, Any], content: str) -> Path:
        """Store one exchange atomically and return the record's path."""
        key = request_key(request)
        path = self.path(key)
        _clear_the_way(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "key": key,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "request": request,
            "response": response,
            "content": content,
        }
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(record, handle, ensure_ascii=False, indent=1)
                handle.flush()
                os.fsync(handle.fileno())  # the rename must never expose a file whose bytes are not on disk
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def keys(self) -> list[str]:
        """The keys of all stored records (sorted), ignoring temporary files."""
        if not self.folder.is_dir():
            return []
        return sorted(p.stem for p in self.folder.glob("??/*.json") if not p.name.startswith(".tmp-") and p.is_file())

    def __len__(self) -> int:
        return len(self.keys())


def _load(path: Path, request: dict[str, Any]) -> dict[str, Any]:
    """The record at ``path`` for ``request``; an OSError or ValueError that says why there is none usable."""
    if not stat.S_ISREG(path.stat().st_mode):
        raise ValueError("not a regular file")  # a FIFO would block the read forever; a folder cannot be read
    record = json.loads(path.read_bytes().decode("utf-8"))  # UnicodeDecodeError and JSONDecodeError are ValueErrors
    if not isinstance(record, dict):
        raise ValueError(f"a JSON {type(record).__name__}, not a record")
    if record.get("request") != request:
        raise ValueError("the record of another request")
    if not isinstance(record.get("content"), str):
        raise ValueError("no 'content' text")
    return record


def _clear_the_way(path: Path) -> None:
    """Remove what would make a write of ``path`` fail: a file in place of its shard folder, a folder in place of
    the record. Both are unusable records (``get`` misses on them) in names that belong to the cache; a symlink
    in the record's place is replaced by the rename, never followed."""
    shard = path.parent
    if not shard.is_dir() and (shard.is_symlink() or shard.exists()):
        log.warning("replacing %s, which is not a folder, with the cache shard folder", shard)
        shard.unlink()
    if path.is_dir() and not path.is_symlink():
        log.warning("replacing the folder %s with the teacher cache record of that name", path)
        shutil.rmtree(path)
