"""Defence in depth: the worker's own restrictions hold even for code that skipped the static checks.

These tests plant unchecked source in the pool (white-box) to show what the second layer stops on its own.
"""

from __future__ import annotations

import hashlib
import os

import pytest

from logicdistill.sandbox import Sandbox
from logicdistill.sandbox.pool import _Module


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(cpu_seconds=1.0, wall_seconds=3.0, memory_mb=256, max_output_bytes=100_000) as sb:
        yield sb


def _plant(sandbox: Sandbox, module_id: str, source: str) -> None:
    digest = hashlib.sha256(source.encode()).hexdigest()
    sandbox._modules[module_id] = _Module(digest, source, frozenset({"f"}))


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import os\ndef f():\n    return 1\n", "ImportError"),
        ("def f():\n    return __import__('sys').modules\n", "ImportError"),
        ("from collections import abc\ndef f():\n    return 1\n", "ImportError"),
        ("import typing\ndef f():\n    return typing.get_type_hints\n", "AttributeError"),
        ("def f():\n    return open('x', 'w')\n", "NameError"),
        ("def f():\n    return eval('1')\n", "NameError"),
        ("def f():\n    return getattr(1, 'real')\n", "NameError"),
        ("def f():\n    return __builtins__['__import__']('os')\n", "ImportError"),
        ("def f():\n    return __builtins__['__import__'].__globals__['os']\n", "KeyError"),
        ("def f():\n    return __builtins__['print'].__globals__['__builtins__']['open']\n", "KeyError"),
    ],
)
def test_worker_blocks_without_static_checks(sandbox: Sandbox, source: str, expected: str):
    _plant(sandbox, "unchecked", source)
    result = sandbox.call("unchecked", "f")
    assert result.kind == "error" and result.reason.startswith(expected), result


def test_file_writes_fail_even_after_an_escape(sandbox: Sandbox):
    # The classic subclass walk reaches FileIO; the worker's folder is read-only and RLIMIT_FSIZE is 0.
    source = (
        "def f():\n"
        "    io = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'FileIO'][0]\n"
        "    handle = io('owned.txt', 'w')\n"
        "    handle.write(b'x' * 100)\n"
        "    return 'wrote'\n"
    )
    _plant(sandbox, "escape", source)
    result = sandbox.call("escape", "f")
    assert result.kind in ("error", "crash"), result
    assert (
        not os.path.exists(os.path.join(sandbox._tmpdir, "owned.txt"))
        or os.path.getsize(os.path.join(sandbox._tmpdir, "owned.txt")) == 0
    )
