"""The worker pool: correct results over the JSON boundary, caching, replacement, batching, limits."""

from __future__ import annotations

import os

import pytest

from logicdistill.sandbox import CallRequest, Sandbox
from tests.sandbox.teacher_like import GRID, SOURCE

COUNTER = (
    "CALLS = []\ndef count():\n    CALLS.append(1)\n    return len(CALLS)\ndef spin():\n    while True:\n        pass\n"
)


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(workers=2, cpu_seconds=0.5, wall_seconds=3.0, memory_mb=256, max_output_bytes=100_000) as sb:
        assert sb.load("teacher", SOURCE).ok
        yield sb


def _direct(name: str, *args):
    namespace: dict = {}
    exec(SOURCE, namespace)
    return namespace[name](*args)


def test_results_match_a_direct_call(sandbox: Sandbox):
    bfs = sandbox.call("teacher", "bfs", [GRID, [0, 0]])
    assert bfs.ok and bfs.kind == "ok" and bfs.reason is None and 0 < bfs.seconds < 10
    assert bfs.value == _direct("bfs", GRID, [0, 0])
    assert bfs.value[9][9] == 18
    assert sandbox.call("teacher", "best_move", [GRID, [4, 4], [4, 6]]).value == _direct(
        "best_move", GRID, [4, 4], [4, 6]
    )
    assert sandbox.call("teacher", "describe", [[2, 3]]).value == "row 2, col  3 (5.0)"


def test_tuples_become_lists_and_kwargs_pass(sandbox: Sandbox):
    assert sandbox.call("teacher", "cheapest", ([5, 2, 9],)).value == [1, 2]
    assert sandbox.call("teacher", "manhattan", kwargs={"a": (0, 0), "b": (3, 4)}).value == 7


def test_modules_are_cached_per_worker_and_reset_when_replaced():
    with Sandbox(cpu_seconds=0.5, wall_seconds=3.0, memory_mb=256) as sb:
        sb.load("counter", COUNTER)
        assert [sb.call("counter", "count").value for _ in range(3)] == [1, 2, 3]  # no re-exec per call
        assert sb.call("counter", "spin").kind == "timeout"
        assert sb.call("counter", "count").value == 1  # a fresh worker loaded the module again


def test_call_many_keeps_order_across_workers_and_failures(sandbox: Sandbox):
    sandbox.load("counter", COUNTER)
    requests = [CallRequest("teacher", "manhattan", ([0, 0], [i, i])) for i in range(6)]
    requests.insert(2, CallRequest("counter", "spin"))
    requests.insert(5, ("teacher", "missing", []))
    results = sandbox.call_many(requests)
    assert [r.kind for r in results] == ["ok", "ok", "timeout", "ok", "ok", "rejected", "ok", "ok"]
    assert [r.value for r in results if r.ok] == [0, 2, 4, 6, 8, 10]
    assert sandbox.call_many([]) == []


@pytest.mark.parametrize(
    ("module_id", "function", "args", "reason"),
    [
        ("nowhere", "f", [], "is not loaded"),
        ("teacher", "nothing", [], "defines no function"),
        ("teacher", "__init__", [], "not a callable function name"),
        ("teacher", "manhattan", [{1, 2}, [0, 0]], "not JSON data"),
        ("teacher", "manhattan", [{1: 2}, [0, 0]], "keys must be str"),
    ],
)
def test_bad_requests_are_rejected_before_reaching_a_worker(sandbox, module_id, function, args, reason):
    result = sandbox.call(module_id, function, args)
    assert (result.ok, result.kind) == (False, "rejected")
    assert reason in result.reason


def test_rejected_module_replaces_the_old_source(sandbox: Sandbox):
    assert sandbox.load("swap", "def f():\n    return 1\n").ok
    assert sandbox.call("swap", "f").value == 1
    assert not sandbox.load("swap", "import os\ndef f():\n    return 2\n").ok
    assert "import of 'os'" in sandbox.call("swap", "f").reason
    assert sandbox.load("swap", "def f():\n    return 3\n").ok
    assert sandbox.call("swap", "f").value == 3


def test_print_is_discarded_and_runtime_errors_are_reported(sandbox: Sandbox):
    sandbox.load("noisy", "def f(x):\n    print('hello', x)\n    return [1, 2][x]\n")
    assert sandbox.call("noisy", "f", [1]).value == 2
    failed = sandbox.call("noisy", "f", [5])
    assert (failed.kind, failed.reason) == ("error", "IndexError: list index out of range")


def test_a_call_that_spent_its_cpu_budget_is_not_run_again():
    """A server's client that repeats a hostile state would otherwise hold the pool a CPU budget per request."""
    import time

    source = "def spin(n):\n    while True:\n        pass\ndef hog(n):\n    return len([0] * (n * 10 ** 8))\n"
    with Sandbox(cpu_seconds=0.3, wall_seconds=3.0, memory_mb=256) as sb:
        sb.load("m", source)
        start = time.monotonic()
        first = sb.call_many([("m", "spin", [1]), ("m", "spin", [1]), ("m", "spin", [1])])  # also within a batch
        assert [r.kind for r in first] == ["timeout"] * 3
        assert "not run again" not in first[0].reason and all("not run again" in r.reason for r in first[1:])
        assert sb.call("m", "spin", [1]).reason.endswith("(this exact call did so before: not run again)")
        assert time.monotonic() - start < 2.5  # one budget spent, not four
        assert "not run again" not in sb.call("m", "spin", [2]).reason  # other arguments run
        assert sb.call("m", "hog", [5]).kind == "memory"
        assert "not run again" in sb.call("m", "hog", [5]).reason


def test_wall_time_limit_kills_the_worker():
    with Sandbox(cpu_seconds=30, wall_seconds=0.5, memory_mb=256) as sb:
        sb.load("counter", COUNTER)
        result = sb.call("counter", "spin")
        assert result.kind == "timeout" and "wall time" in result.reason
        assert sb.call("counter", "count").value == 1


def test_set_order_is_reproducible_across_sandboxes():
    source = "def f():\n    return list({'alpha', 'beta', 'gamma', 'delta', 'epsilon'})\n"
    orders = []
    for _ in range(2):
        with Sandbox(memory_mb=256) as sb:
            sb.load("m", source)
            orders.append(sb.call("m", "f").value)
    assert orders[0] == orders[1]


def test_allowed_imports_narrow_the_runtime_too():
    with Sandbox(memory_mb=256, allowed_imports=["math"]) as sb:
        assert sb.load("ok", "import math\ndef f():\n    return math.floor(2.5)\n").ok
        assert sb.call("ok", "f").value == 2
        assert sb.load("no", "import heapq\n").rule == "import"


def test_bad_settings_raise():
    with pytest.raises(ValueError):
        Sandbox(memory_mb=1)
    with pytest.raises(ValueError):
        Sandbox(workers=0)
    with pytest.raises(ValueError):
        Sandbox(allowed_imports=["os"])


def test_close_stops_workers_and_removes_the_folder():
    sb = Sandbox(memory_mb=256)
    assert sb.confinement in ("chroot+nobody", "chroot", "userns+chroot", "none")
    sb.load("m", "def f():\n    return 1\n")
    assert sb.call("m", "f").value == 1
    procs = [w.proc for w in sb._workers if w.proc is not None]
    sb.close()
    assert procs and all(p.poll() is not None for p in procs)
    assert not os.path.exists(sb._tmpdir)


def test_untrusted_reason_text_cannot_drive_the_terminal(sandbox: Sandbox):
    sandbox.load("ansi", "def f():\n    raise ValueError('\\x1b[2J\\x1b[31mred\\n')\n")
    result = sandbox.call("ansi", "f")
    assert result.kind == "error" and "\x1b" not in result.reason and "\\x1b[31mred\\n" in result.reason


@pytest.mark.parametrize("reply", [{"kind": "root"}, {"kind": "ok", "reason": 3, "seconds": 0}, [], None])
def test_malformed_worker_replies_count_as_crashes(reply):
    from logicdistill.sandbox.pool import _from_reply

    assert _from_reply(reply).kind == "crash"


def test_closed_sandbox_refuses_calls():
    sb = Sandbox(memory_mb=256)
    sb.close()
    with pytest.raises(RuntimeError, match="closed"):
        sb.call("m", "f")


def test_a_crash_says_what_it_means():
    from logicdistill.sandbox import Limits
    from logicdistill.sandbox.process import exit_reason

    kind, reason = exit_reason(-11, Limits())
    assert kind == "crash" and reason.startswith("the function crashed the worker (SIGSEGV: usually recursion too deep")
    assert "fresh worker" in reason
    assert "out-of-memory killer" in exit_reason(-9, Limits())[1]


def test_deep_c_recursion_is_reported_as_a_crash_and_the_worker_replaced():
    source = (
        "def f():\n    it = iter([])\n    for _ in range(300_000):\n        it = map(abs, it)\n    return next(it)\n"
    )
    with Sandbox(cpu_seconds=5, wall_seconds=10, memory_mb=256) as sb:
        sb.load("deep", source)
        sb.load("m", "def f():\n    return 1\n")
        result = sb.call("deep", "f")
        if result.kind == "error" and "RecursionError" in result.reason:
            pytest.skip("this Python guards C recursion itself")
        assert result.kind == "crash" and "SIGSEGV" in result.reason and "recursion too deep" in result.reason
        assert sb.call("m", "f").value == 1
