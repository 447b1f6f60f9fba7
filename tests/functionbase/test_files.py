"""The package's one atomic-write helper, and a function base whose folder cannot be written."""

import errno
import os

import pytest

import logicdistill.files as files
import logicdistill.functionbase.store as store_module
from logicdistill.errors import UserError
from logicdistill.files import write_atomic
from logicdistill.functionbase.store import FunctionBaseStore
from logicdistill.tasks.base import Stage
from tests.functionbase.sample import double

STAGES = (Stage("act", "the number"),)


def test_writes_text_and_bytes_and_claims_exclusively(tmp_path):
    path = tmp_path / "sub" / "f.txt"
    write_atomic(path, "héllo\n")
    assert path.read_bytes() == "héllo\n".encode()
    write_atomic(path, b"\x00\xff")
    assert path.read_bytes() == b"\x00\xff"
    with pytest.raises(FileExistsError):
        write_atomic(path, "other", exclusive=True)
    assert path.read_bytes() == b"\x00\xff"  # an exclusive write never replaces
    write_atomic(tmp_path / "new.txt", "mine", exclusive=True)
    assert (tmp_path / "new.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["f.txt", "new.txt", "sub"]  # no temp files left


def test_a_failed_write_keeps_the_old_file_and_removes_the_temp(tmp_path, monkeypatch):
    path = tmp_path / "f.txt"
    write_atomic(path, "old")

    def fail(*_):
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(files.os, "replace", fail)
    with pytest.raises(OSError):
        write_atomic(path, "new")
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_exclusive_write_without_hard_links(tmp_path, monkeypatch):
    def no_links(*_):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(files.os, "link", no_links)
    write_atomic(tmp_path / "v.json", "1", exclusive=True)
    with pytest.raises(FileExistsError):
        write_atomic(tmp_path / "v.json", "2", exclusive=True)
    assert (tmp_path / "v.json").read_text() == "1" and [p.name for p in tmp_path.iterdir()] == ["v.json"]


def test_store_re_exports_the_helper():
    assert store_module.write_atomic is write_atomic


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write a read-only folder")
def test_read_only_root_is_a_user_error(tmp_path):
    root = tmp_path / "base"
    root.mkdir()
    root.chmod(0o555)
    try:
        with pytest.raises(UserError, match=str(root)):
            FunctionBaseStore(root).commit(STAGES, {"double_it": double()}, None)
    finally:
        root.chmod(0o755)


def test_permission_denied_anywhere_in_a_commit_is_a_user_error(tmp_path, monkeypatch):
    # what an unwritable folder does where the tests run as root: the first write is refused
    def denied(*_, **__):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "functions"))

    monkeypatch.setattr(files.tempfile, "mkstemp", denied)
    with pytest.raises(UserError, match=f"cannot write the function base at {tmp_path}: Permission denied"):
        FunctionBaseStore(tmp_path).commit(STAGES, {"double_it": double()}, None)


def test_lock_refused_is_a_user_error(tmp_path, monkeypatch):
    class RefusedLock:  # filelock raises PermissionError when it may not create the lock file
        def __init__(self, path, timeout):
            self.path = path

        def __enter__(self):
            raise PermissionError(errno.EACCES, "Permission denied", self.path)

        def __exit__(self, *_):
            return False

    monkeypatch.setattr(store_module, "FileLock", RefusedLock)
    with pytest.raises(UserError, match=r"Permission denied .*\.lock"):
        FunctionBaseStore(tmp_path).commit(STAGES, {"double_it": double()}, None)


def test_root_under_a_file_is_a_user_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match=str(tmp_path / "file" / "base")):
        FunctionBaseStore(tmp_path / "file" / "base").commit(STAGES, {"double_it": double()}, None)
