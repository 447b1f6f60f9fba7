"""Static checks: legitimate teacher code passes, each rule rejects with its class, reason and line."""

from __future__ import annotations

import pytest

from logicdistill.sandbox import CheckResult, check_source
from logicdistill.sandbox.static_check import parse_checked, top_level_names
from tests.sandbox.teacher_like import SOURCE


def test_teacher_like_module_passes():
    assert check_source(SOURCE) == CheckResult(True)


def test_reports_the_line_of_the_first_offence():
    source = "def f(x):\n    y = x + 1\n\n    return y.__class__\n\ndef g():\n    return eval('1')\n"
    result = check_source(source)
    assert (result.ok, result.line, result.rule) == (False, 4, "dunder")
    assert "__class__" in result.reason
    assert str(result) == f"line 4: {result.reason}"


def test_allowed_imports_can_be_narrowed():
    assert check_source("import heapq\n").ok
    narrowed = check_source("import heapq\n", allowed_imports=["math"])
    assert (narrowed.ok, narrowed.rule) == (False, "import")
    assert "allowed: math" in narrowed.reason


def test_unknown_module_in_allow_list_is_a_programming_error():
    with pytest.raises(ValueError, match="no safe export list"):
        check_source("x = 1\n", allowed_imports=["os"])


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("class C:\n    def __init__(self):\n        self.x = 1\n", None),
        ("class C:\n    def __init_subclass__(cls):\n        pass\n", "dunder"),
        ("def __init__():\n    pass\n", "dunder"),
        ("def f():\n    return dict(__class__=1)\n", "dunder"),
        ("def f(x):\n    return x._private\n", "attribute"),
        ("def _helper():\n    return 1\n", None),
        ("def f(g):\n    return g.f_back\n", "attribute"),
        ("def f():\n    return [x async for x in y]\n", "async"),
        ("x = 1\ndel x\nf = lambda: 3\n", None),
        ("def f(s):\n    return '%s-%d' % (s, 1)\n", None),
        ("def f(s):\n    return f'{s:>{10}}'\n", None),
    ],
)
def test_rules(source: str, rule: str | None):
    result = check_source(source)
    assert result.ok == (rule is None), result
    assert result.rule == rule


def test_source_must_be_text():
    assert check_source(b"x = 1").rule == "syntax"  # type: ignore[arg-type]


def test_top_level_names():
    _, tree = parse_checked("import math as m\nfrom heapq import heappush\nA, B = 1, 2\nclass C:\n    pass\n")
    assert top_level_names(tree) == {"m", "heappush", "A", "B", "C"}


def test_reading_dunder_name_is_allowed_but_assigning_it_is_not():
    assert check_source("def f():\n    return 1\n\nif __name__ == '__main__':\n    f()\n").ok
    assert check_source("__name__ = 'x'\n").rule == "dunder"
