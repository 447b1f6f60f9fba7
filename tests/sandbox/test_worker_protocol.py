"""The JSON boundary: what may cross, and what is refused before it costs memory or time."""

from __future__ import annotations

import pytest

from logicdistill.sandbox.worker import NotJsonable, OutputTooLarge, to_jsonable


def test_tuples_become_lists_and_data_is_copied():
    value = {"a": (1, (2.5, None)), "b": [True, "x"]}
    out = to_jsonable(value, 1000)
    assert out == {"a": [1, [2.5, None]], "b": [True, "x"]}
    assert out["b"] is not value["b"]


@pytest.mark.parametrize(
    "value",
    [{1, 2}, {1: "a"}, b"x", object(), 10**5000, complex(1, 2)],
    ids=["set", "int_key", "bytes", "object", "huge_int", "complex"],
)
def test_non_json_values_are_refused(value):
    with pytest.raises(NotJsonable):
        to_jsonable(value, 10**9)


def test_subclasses_are_refused():
    class Sneaky(int):
        pass

    with pytest.raises(NotJsonable, match="Sneaky"):
        to_jsonable([Sneaky(1)], 1000)


def test_cycles_are_refused():
    a: list = []
    a.append(a)
    with pytest.raises(NotJsonable, match="cyclic"):
        to_jsonable(a, 10**9)


def test_budget_stops_early():
    with pytest.raises(OutputTooLarge):
        to_jsonable(["x" * 600, "y" * 600], 1000)
    assert to_jsonable("x" * 900, 1000) == "x" * 900
