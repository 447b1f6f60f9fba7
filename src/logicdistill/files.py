"""Writing files so that neither a reader nor a crash ever sees half of one."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

# A hard link to the temp file is how an exclusive write stays whole for readers; these say the
# filesystem has no hard links (FAT, some network mounts), so create the file exclusively instead.
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK}


def write_atomic(path: str | Path, data: str | bytes, *, exclusive: bool = False, durable: bool = True) -> None:
    """Write ``data`` (text is UTF-8) to ``path`` via a synced temp file in the same folder, then rename.

    Readers see the old file or the new one, whole. ``exclusive``: never replace an existing file; raise
    FileExistsError instead (how a version number is claimed). The temp file is removed on any failure.
    ``durable=False`` skips the fsyncs: for caches written often, where a file lost in a power cut is recomputed.
    """
    path = Path(path)
    raw = data.encode() if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            if durable:
                os.fsync(f.fileno())
        if not exclusive:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if path exists, and the name appears with its whole content
            except FileExistsError:
                raise
            except OSError as err:
                if err.errno not in _NO_LINKS:
                    raise
                _write_new(path, raw)
    finally:
        Path(tmp).unlink(missing_ok=True)  # after os.replace it is already gone
    if durable:
        _sync_folder(path.parent)


def _write_new(path: Path, raw: bytes) -> None:
    with open(path, "xb") as f:
        f.write(raw)
        f.flush()
        os.fsync(f.fileno())


def _sync_folder(folder: Path) -> None:
    """Make the rename itself survive a power cut (a no-op where folders cannot be opened, as on Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
