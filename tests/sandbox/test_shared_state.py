"""Functions run one after another in a worker must not reach each other: no changes to the allowed modules'
shared objects (static rule ``mutation`` plus the worker's run-time guard), and nothing left behind that
runs during a later call (a generator's endless ``finally``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import logicdistill
from logicdistill.sandbox import ALLOWED_MODULES, Sandbox, check_source
from tests.sandbox.teacher_like import SOURCE as TEACHER_LIKE

RECORDED = Path(logicdistill.__file__).parent / "recorded"


def fn(body: str, head: str = "") -> str:
    return head + "def f():\n" + "".join(f"    {line}\n" for line in body.splitlines())


def _short(source: str) -> str:
    return " / ".join(line.strip() for line in source.strip().splitlines()[-2:])


@pytest.mark.parametrize(
    "source",
    [
        fn("math.sqrt = abs", "import math\n"),
        fn("m.pi = 3", "import math as m\n"),
        fn("Counter.most_common = None", "from collections import Counter\n"),
        fn("collections.Counter.most_common = None", "import collections\n"),
        fn("typing.Iterable.x = 1", "import typing\n"),
        fn("del math.pi", "import math\n"),
        fn("a, (b, math.pi) = 1, (2, 3)", "import math\n"),
        fn("a, *math.e = [1, 2]", "import math\n"),
        fn("math.pi += 1", "import math\n"),
        fn("math.pi: float = 3.0", "import math\n"),
        fn("for math.pi in [1]:\n    pass", "import math\n"),
        fn("return [0 for math.pi in [1]]", "import math\n"),
        fn("import math\nmath.pi = 3"),
        fn("def g():\n    math.pi = 3\nreturn g", "import math\n"),
        "class C:\n    pass\n\n\nC.x = 1\n",
        fn("C.x = 1", "class C:\n    pass\n\n\n"),
        fn("CONFIG.x = 1", "CONFIG = []\n"),
        fn("f.calls = 1"),
        fn("int.x = 1"),
        fn("make().x = 1", "def make():\n    return 1\n"),
        "class C:\n    import math\n    math.pi = 3\n",
    ],
    ids=_short,
)
def test_attribute_stores_on_shared_names_are_rejected(source: str):
    result = check_source(source)
    assert (result.ok, result.rule) == (False, "mutation"), result
    assert result.line is not None and "attribute" in result.reason


@pytest.mark.parametrize(
    "source",
    [
        "class C:\n    def __init__(self, v):\n        self.v = v\n        self.items = []\n",
        "def f(node):\n    node.seen = True\n    node.children[0].parent = node\n    del node.seen\n",
        fn("class P:\n    pass\np = P()\np.x, p.y = 1, 2\nreturn p.x"),
        fn("box = make()\ndef bump():\n    box.n += 1\nreturn bump", "def make():\n    return 1\n"),
        "def f(xs):\n    for item in xs:\n        item.done = True\n",
        "def f(xs):\n    if any((n := x) for x in xs):\n        n.hit = 1\n",
        fn("try:\n    pass\nexcept ValueError as e:\n    e.note = 1"),
        "def f(xs):\n    for i, (a, b) in enumerate(xs):\n        a.rank = i\n",
    ],
    ids=_short,
)
def test_attribute_stores_on_own_locals_pass(source: str):
    assert check_source(source).ok, check_source(source)


def _recorded_blocks() -> list[tuple[str, str]]:
    blocks = []
    for path in sorted(RECORDED.rglob("*.md")):
        for i, block in enumerate(re.findall(r"```python\n(.*?)```", path.read_text(), re.S)):
            blocks.append((f"{path.relative_to(RECORDED)}#{i}", block))
    return blocks


def test_recorded_teacher_code_and_the_teacher_like_module_still_pass():
    blocks = _recorded_blocks()
    assert len(blocks) >= 10
    for name, block in [*blocks, ("teacher_like", TEACHER_LIKE)]:
        assert check_source(block).ok, (name, check_source(block))


def test_allowed_modules_is_the_list_teachers_are_told():
    from logicdistill.teacher import teachers

    assert ", ".join(ALLOWED_MODULES) == teachers.ALLOWED_IMPORTS


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(cpu_seconds=1.0, wall_seconds=5.0, memory_mb=256) as sb:
        yield sb


# Each bad function passes the static checks (the alias is a local name) but changes shared state at run time.
ALIASED = {
    "counter_method": fn("c = Counter\nc.most_common = len\nreturn 1", "from collections import Counter\n"),
    "counter_new_attr": fn("c = Counter\nc.extra = 1\nreturn 1", "from collections import Counter\n"),
    "abc_via_typing": fn("c = typing.Iterable\nc.x = 1\nreturn 1", "import typing\n"),
    "abc_register": fn("typing.Mapping.register(list)\nreturn 1", "import typing\n"),
    "function_attr": fn("g = functools.lru_cache\ng.x = 1\nreturn 1", "import functools\n"),
    "delete_method": fn("c = ChainMap\ndel c.new_child\nreturn 1", "from collections import ChainMap\n"),
}
VICTIM = (
    "import typing\nfrom collections import Counter\n"
    "def f():\n    return [Counter('abb').most_common(1), isinstance([], typing.Mapping)]\n"
)


@pytest.mark.parametrize("name", sorted(ALIASED))
def test_changes_to_shared_objects_fail_the_call_and_never_reach_the_next(sandbox: Sandbox, name: str):
    assert sandbox.load("victim", VICTIM).ok
    assert sandbox.load(name, ALIASED[name]).ok
    batch = sandbox.call_many([("victim", "f"), (name, "f"), ("victim", "f")])  # one worker, one round trip
    assert [r.kind for r in batch] == ["ok", "error", "ok"], batch
    assert "every function in this worker shares" in batch[1].reason
    assert batch[0].value == batch[2].value == [[["b", 2]], False]


def test_module_proxies_are_read_only_through_any_alias(sandbox: Sandbox):
    sandbox.load("alias_math", fn("m = math\nm.pi = 3\nreturn 1", "import math\n"))
    sandbox.load("pi", fn("return math.pi", "import math\n"))
    result = sandbox.call("alias_math", "f")
    assert result.kind == "error" and "read-only" in result.reason
    assert sandbox.call("pi", "f").value == pytest.approx(3.14159, abs=1e-5)


# A generator whose ``finally`` never ends, in a reference cycle: freed whenever the collector next runs.
ENDLESS = (
    "def g():\n    try:\n        yield 1\n    finally:\n        while True:\n            pass\nit = g()\nnext(it)\n"
)
LEAKY_GENERATOR = fn(ENDLESS + "box = [it]\nbox.append(box)\nreturn 1")
ALLOCATES = fn("return len([[i] for i in range(50_000)])")  # enough allocation to run the collector


def test_garbage_left_by_a_call_is_charged_to_that_call():
    with Sandbox(cpu_seconds=0.5, wall_seconds=5.0, memory_mb=256) as sb:
        assert sb.load("leaky", LEAKY_GENERATOR).ok and sb.load("innocent", ALLOCATES).ok
        leaky, innocent = sb.call_many([("leaky", "f"), ("innocent", "f")])
        assert leaky.kind == "timeout"
        assert (innocent.kind, innocent.value) == ("ok", 50_000)


def test_a_generator_kept_alive_runs_nothing_later(sandbox: Sandbox):
    kept = fn(ENDLESS + "KEEP.append(it)\nreturn 1", "KEEP = []\n")
    assert sandbox.load("kept", kept).ok and sandbox.load("innocent", ALLOCATES).ok
    assert [r.kind for r in sandbox.call_many([("kept", "f"), ("innocent", "f")])] == ["ok", "ok"]


LEGITIMATE = """
import functools
import typing
from collections import ChainMap, Counter, namedtuple

Point = namedtuple("Point", "x y")


class Tally(Counter):
    def top(self):
        return self.most_common(1)[0][0]


class Walk(typing.Iterable):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


fib = functools.lru_cache(maxsize=None)(fib)


def f():
    alias: typing.Dict[str, typing.List[int]] = {"a": [1]}
    order = sorted([3, 1, 2], key=functools.cmp_to_key(lambda a, b: a - b))
    checks = [isinstance(Walk(2), typing.Iterable), isinstance({}, typing.Mapping), issubclass(Tally, dict)]
    return [Tally("abb").top(), Point(1, 2).y, fib(30), order, checks, list(Walk(3)), ChainMap(alias)["a"]]
"""


def test_ordinary_use_of_the_allowed_modules_does_not_trip_the_guard(sandbox: Sandbox):
    assert sandbox.load("legit", LEGITIMATE).ok, check_source(LEGITIMATE)
    expected = ["b", 2, 832040, [1, 2, 3], [True, True, True], [0, 1, 2], [1]]
    assert [r.value for r in sandbox.call_many([("legit", "f")] * 3)] == [expected] * 3
