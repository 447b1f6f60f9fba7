"""A tiny two-function base used across the function-base and agent tests."""

from __future__ import annotations

from logicdistill.functionbase.function import Function, Manual, Param, UsageExample

DOUBLE_SRC = "def double_it(state):\n    return state['x'] * 2\n"
NEGATE_SRC = "def negate_it(state):\n    return -state['x']\n"


def double() -> Function:
    return Function(
        "double_it",
        DOUBLE_SRC,
        Manual(
            "doubles x",
            "big: no",
            (Param("state", "state", "holds x"),),
            "int",
            ("act",),
            (UsageExample({"state": {"x": 2}}, 4),),
        ),
    )


def negate() -> Function:
    return Function(
        "negate_it",
        NEGATE_SRC,
        Manual(
            "negates x",
            "big: yes",
            (Param("state", "state"),),
            "int",
            ("act",),
            (UsageExample({"state": {"x": 3}}, -3),),
        ),
    )


REPLY = """Here is the library.
```json
{"stages": [{"name": "act", "produces": "the number"}],
 "functions": [
  {"name": "double_it", "stages": ["act"], "summary": "doubles x", "when_to_use": "big: no",
   "params": [{"name": "state", "type": "state"}], "returns": "int",
   "examples": [{"args": {"state": {"x": 2}}, "expected": 4}]},
  {"name": "negate_it", "stages": ["act"], "summary": "negates x", "when_to_use": "big: yes",
   "params": [{"name": "state", "type": "state"}], "returns": "int",
   "examples": [{"args": {"state": {"x": 3}}, "expected": -3}]}],
 "program": "select_function"}
```
```python
def double_it(state):
    return state['x'] * 2
```
```python
def negate_it(state):
    return -state['x']
```
```python
def select_function(stage, facts):
    return "negate_it" if facts.get("big") else "double_it"
```
"""
