"""Parallel writers of one function base: every commit gets its own version, holding its own manifest."""

import multiprocessing as mp
import sys
from dataclasses import replace

import pytest
from filelock import FileLock

from logicdistill.errors import UserError
from logicdistill.functionbase.store import FunctionBaseStore
from logicdistill.tasks.base import Stage
from tests.functionbase.sample import double

STAGES = (Stage("act", "the number"),)
WRITERS, COMMITS = 8, 3


def _source(writer: int, commit: int) -> str:
    return f"def double_it(state):\n    return state['x'] * {writer * 100 + commit + 2}\n"


def _writer(root, writer, barrier, results):
    """One process: wait until all are ready (most contention), then commit a few versions of its own."""
    store = FunctionBaseStore(root)
    barrier.wait()
    for commit in range(COMMITS):
        note = f"writer {writer} commit {commit}"
        try:
            base = store.commit(STAGES, {"double_it": replace(double(), source=_source(writer, commit))}, None, note)
            results.put((writer, commit, base.number, ""))
        except Exception as err:  # reported to the test rather than lost in a child's stderr
            results.put((writer, commit, None, f"{type(err).__name__}: {err}"))


def test_parallel_commits_get_distinct_readable_versions(tmp_path):
    # fork is quick on Linux; elsewhere spawn (the worker is importable from this module)
    ctx = mp.get_context("fork" if sys.platform == "linux" else "spawn")
    barrier, results = ctx.Barrier(WRITERS), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(tmp_path, w, barrier, results)) for w in range(WRITERS)]
    for p in procs:
        p.start()
    reports = [results.get(timeout=120) for _ in range(WRITERS * COMMITS)]
    for p in procs:
        p.join(timeout=60)
    assert [r[3] for r in reports if r[3]] == []
    numbers = [r[2] for r in reports]
    assert len(set(numbers)) == WRITERS * COMMITS, f"a version number was reported twice: {sorted(numbers)}"
    store = FunctionBaseStore(tmp_path)
    assert store.versions() == sorted(numbers)
    for writer, commit, number, _ in reports:
        version = store.version(number)
        assert version.note == f"writer {writer} commit {commit}"
        assert version.functions["double_it"].source == _source(writer, commit)
    assert store.current_number() == max(numbers)  # CURRENT only ever moves forward


def test_a_held_lock_times_out_with_a_clear_error(tmp_path):
    store = FunctionBaseStore(tmp_path, lock_timeout=0.2)
    store.commit(STAGES, {"double_it": double()}, None)
    with FileLock(str(tmp_path / ".lock")):
        with pytest.raises(UserError, match=r"\.lock.*another process"):
            store.commit(STAGES, {"double_it": double()}, None, note="blocked")
    assert store.versions() == [1]


def test_a_version_file_is_never_overwritten(tmp_path, monkeypatch):
    # where the lock does not hold (some network filesystems), a writer may count stale versions:
    # the exclusive create then moves it to the next free number instead of replacing another's version
    store = FunctionBaseStore(tmp_path)
    store.commit(STAGES, {"double_it": double()}, None, note="first")
    monkeypatch.setattr(FunctionBaseStore, "versions", lambda self: [])
    second = store.commit(STAGES, {"double_it": double()}, None, note="second")
    monkeypatch.undo()
    assert second.number == 2 and store.version(1).note == "first" and store.version(2).note == "second"
