"""The hostile corpus: every case is rejected with its rule class or contained at run time, and afterwards
the parent is alive and a benign call still works."""

from __future__ import annotations

import os

import pytest

from logicdistill.sandbox import Sandbox
from tests.sandbox.hostile_cases import RUNTIME, STATIC, Hostile

BENIGN = "def add(a, b):\n    return a + b\n"


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(cpu_seconds=0.5, wall_seconds=3.0, memory_mb=256, max_output_bytes=100_000) as sb:
        assert sb.load("benign", BENIGN).ok
        yield sb


def _benign_still_works(sandbox: Sandbox) -> None:
    result = sandbox.call("benign", "add", [2, 3])
    assert (result.kind, result.value) == ("ok", 5)


def test_corpus_is_large_and_names_are_unique():
    names = [case.name for case in STATIC + RUNTIME]
    assert len(names) >= 40
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", STATIC, ids=lambda c: c.name)
def test_static_rejection(case: Hostile, sandbox: Sandbox):
    checked = sandbox.load(case.name, case.source)
    assert not checked.ok
    assert checked.rule == case.rule, checked
    assert checked.reason
    if case.rule not in ("size",) and "\0" not in case.source:
        assert checked.line is not None and 1 <= checked.line <= case.source.count("\n") + 1
    refused = sandbox.call(case.name, "f")
    assert refused.kind == "rejected" and "was rejected" in refused.reason
    _benign_still_works(sandbox)


@pytest.mark.parametrize("case", RUNTIME, ids=lambda c: c.name)
def test_runtime_containment(case: Hostile, sandbox: Sandbox):
    checked = sandbox.load(case.name, case.source)
    assert checked.ok, checked
    result = sandbox.call(case.name, "f")
    assert result.kind in case.kinds, result
    assert result.ok == (result.kind == "ok")
    if not result.ok:
        assert result.reason and len(result.reason) <= 500
    assert os.getpid() > 0  # still here: nothing reached the parent
    _benign_still_works(sandbox)


def test_load_time_error_is_reported_on_every_call(sandbox: Sandbox):
    sandbox.load("broken", "x = 1 / 0\ndef f():\n    return 1\n")
    for _ in range(2):
        result = sandbox.call("broken", "f")
        assert result.kind == "error" and "ZeroDivisionError" in result.reason
