import pytest

from logicdistill.functionbase.admission import TaskCheck, admit, near_duplicate, results_equal
from logicdistill.functionbase.function import Function, Manual, UsageExample
from logicdistill.sandbox import Sandbox
from tests.functionbase.sample import double, negate


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(workers=1, wall_seconds=2.0) as sb:
        yield sb


def _variant(source: str, expected=4, name="double_it") -> Function:
    f = double()
    manual = Manual(
        f.manual.summary,
        f.manual.when_to_use,
        f.manual.params,
        "int",
        ("act",),
        (UsageExample({"state": {"x": 2}}, expected),),
    )
    return Function(name, source, manual)


def test_good_function_passes_every_check(sandbox):
    positive = TaskCheck(
        "positive on x=1", lambda f, call: None if call({"state": {"x": 1}}).value > 0 else "not positive"
    )
    report = admit(double(), sandbox, [positive])
    assert report.ok and report.passed == ("static", "example 1", "positive on x=1")


def test_each_check_can_reject(sandbox):
    static = admit(_variant("import os\ndef double_it(state):\n    return 4\n"), sandbox)
    assert not static.ok and "os" in static.reasons()[0]
    wrong = admit(_variant("def double_it(state):\n    return state['x'] * 3\n"), sandbox)
    assert not wrong.ok and "returned 6, the manual says 4" in wrong.reasons()[0]
    hangs = admit(_variant("def double_it(state):\n    while True:\n        pass\n"), sandbox)
    assert not hangs.ok and "timeout" in hangs.reasons()[0]
    task_check = TaskCheck(
        "never negative", lambda f, call: "negative" if call({"state": {"x": 3}}).value < 0 else None
    )
    assert not admit(negate(), sandbox, [task_check]).ok
    assert admit(double(), sandbox, [task_check]).ok


def test_near_duplicates_are_flagged_not_rejected(sandbox):
    renamed = Function("twice", double().source.replace("double_it", "twice"), double().manual)
    assert near_duplicate(renamed, [double(), negate()]) == "double_it"
    assert near_duplicate(negate(), [double()]) is None
    report = admit(_variant(double().source), sandbox, existing=[renamed])
    assert report.ok and report.near_duplicate_of == "twice"


def test_results_compare_as_json_with_float_tolerance():
    assert results_equal((1, 2), [1, 2]) and results_equal({"a": 0.1 + 0.2}, {"a": 0.3})
    assert not results_equal(True, 1) and not results_equal([1], [1, 2])
