"""The hostile corpus: code an LLM (or an attacker steering one) might write to escape the sandbox.

Each case is rejected statically with an expected rule class, or it loads and its call ``f()`` is contained
at run time with one of the expected kinds. Run under small limits (see ``conftest.py``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Hostile:
    """One hostile program: ``rule`` for a static rejection, else the run-time ``kinds`` allowed for ``f()``."""

    name: str
    source: str
    rule: str | None = None
    kinds: tuple[str, ...] = ()


def fn(body: str) -> str:
    """Wrap statement lines into ``def f():``."""
    return "def f():\n" + "".join(f"    {line}\n" for line in body.splitlines())


STATIC = [
    # imports in disguise
    Hostile("import_os", "import os\n", rule="import"),
    Hostile("from_os_import", "from os import system\n", rule="import"),
    Hostile("import_os_as_math", "import os as math\n", rule="import"),
    Hostile("import_in_function", fn("import subprocess\nreturn subprocess"), rule="import"),
    Hostile("dunder_import_call", fn("return __import__('os')"), rule="name"),
    Hostile("importlib", "import importlib\n", rule="import"),
    Hostile("import_builtins", "import builtins\n", rule="import"),
    Hostile("import_sys_modules", fn("import sys\nreturn sys.modules['os']"), rule="import"),
    Hostile("star_import", "from math import *\n", rule="import"),
    Hostile("relative_import", "from . import secrets\n", rule="import"),
    Hostile("submodule_import", "import collections.abc\n", rule="import"),
    Hostile("from_collections_abc", "from collections import abc\n", rule="import"),
    Hostile("typing_get_type_hints", "from typing import get_type_hints\n", rule="import"),
    Hostile("builtins_subscript", fn("return __builtins__['eval']('1')"), rule="name"),
    # object-graph walks and reflection
    Hostile("subclasses_walk", fn("return ().__class__.__bases__[0].__subclasses__()"), rule="dunder"),
    Hostile("object_subclasses", fn("return object.__subclasses__()"), rule="dunder"),
    Hostile("getattr_concat", fn("return getattr((), '__cl' + 'ass__')"), rule="name"),
    Hostile("setattr", fn("setattr(f, 'x', 1)"), rule="name"),
    Hostile("type_three_args", fn("return type('X', (), {})()"), rule="name"),
    Hostile("vars_call", fn("return vars()"), rule="name"),
    Hostile("globals_call", fn("return globals()"), rule="name"),
    Hostile("mro_walk", fn("return int.mro()[-1]"), rule="attribute"),
    Hostile("private_module_attr", "import collections\n" + fn("return collections._sys"), rule="attribute"),
    Hostile("function_globals", fn("return f.__globals__"), rule="dunder"),
    # format strings
    Hostile("format_field_attr", fn("return '{0.__class__}'.format(1)"), rule="format"),
    Hostile("format_map", fn("return '{x.real}'.format_map({'x': 1})"), rule="format"),
    Hostile("unbound_str_format", fn("g = str.format\nreturn g('{0}', 1)"), rule="format"),
    Hostile("fstring_dunder_repr", fn("return f'{f.__class__!r}'"), rule="dunder"),
    # frames, code objects, tracebacks
    Hostile("generator_frame", fn("g = (i for i in [1])\nreturn g.gi_frame.f_back.f_globals"), rule="attribute"),
    Hostile("generator_code", fn("g = (i for i in [1])\nreturn g.gi_code.co_consts"), rule="attribute"),
    Hostile(
        "exception_traceback", fn("try:\n    1 / 0\nexcept Exception as e:\n    return e.__traceback__"), rule="dunder"
    ),
    Hostile("traceback_frame", fn("return tb.tb_frame"), rule="attribute"),
    Hostile("coroutine_frame", "async def g():\n    pass\n", rule="async"),
    Hostile("lambda_yield", "f = lambda: (yield)\n", rule="lambda"),
    # dangerous builtins
    Hostile("eval_call", fn("return eval('1 + 1')"), rule="name"),
    Hostile("exec_call", fn("exec('x = 1')"), rule="name"),
    Hostile("compile_call", fn("return compile('1', 'x', 'eval')"), rule="name"),
    Hostile("open_write", fn("open('x', 'w').write('owned')"), rule="name"),
    Hostile("breakpoint", fn("breakpoint()"), rule="name"),
    Hostile("exit", fn("exit(3)"), rule="name"),
    Hostile("input", fn("return input()"), rule="name"),
    Hostile("help_license", fn("help()\nlicense()"), rule="name"),
    Hostile("os_kill", "import os, signal\n" + fn("os.kill(os.getppid(), signal.SIGKILL)"), rule="import"),
    # unicode-normalised identifiers (NFKC: these are eval and __class__)
    Hostile("fullwidth_eval", fn("return \uff45\uff56\uff41\uff4c('1')"), rule="name"),
    Hostile("fullwidth_dunder_attr", fn("return ().__\uff43\uff4c\uff41\uff53\uff53__"), rule="dunder"),
    # scope, shadowing and class tricks
    Hostile("global_stmt", "x = 1\n" + fn("global x\nx = 2"), rule="scope"),
    Hostile("nonlocal_stmt", fn("y = 1\ndef g():\n    nonlocal y\n    y = 2"), rule="scope"),
    Hostile("shadow_builtins", "__builtins__ = {}\n", rule="name"),
    Hostile("param_named_eval", "def f(eval=1):\n    return eval\n", rule="name"),
    Hostile("decorator", "import functools\n@functools.lru_cache\ndef f():\n    return 1\n", rule="decorator"),
    Hostile("metaclass", "class M(metaclass=abs):\n    pass\n", rule="metaclass"),
    Hostile("del_method", "class C:\n    def __del__(self):\n        pass\n", rule="dunder"),
    Hostile("module_getattr", "def __getattr__(name):\n    return name\n", rule="dunder"),
    Hostile("super_call", "class C:\n    def g(self):\n        return super()\n", rule="name"),
    Hostile("match_class_dunder", fn("match 1:\n    case int(__class__=c):\n        return c"), rule="dunder"),
    # malformed or oversized source
    Hostile("syntax_error", "def f(:\n", rule="syntax"),
    Hostile("null_byte", "x = 1\0\n", rule="syntax"),
    Hostile("deep_nesting", "x = " + "(" * 300 + "1" + ")" * 300 + "\n", rule="syntax"),
    Hostile("huge_source", "x = 1\n" * 40_000, rule="size"),
    Hostile("except_star_return", fn("try:\n    pass\nexcept* ValueError:\n    return 1"), rule="syntax"),
    # changes to shared module state, which would reach every later function in the worker
    Hostile("module_attr_assign", "import math\n" + fn("math.floor = abs"), rule="mutation"),
    Hostile(
        "imported_class_attr", "from collections import Counter\n" + fn("Counter.most_common = 1"), rule="mutation"
    ),
    Hostile("aliased_module_attr", "import typing as t\n" + fn("del t.Iterable.x"), rule="mutation"),
]

RUNTIME = [
    Hostile("infinite_loop", fn("while True:\n    pass"), kinds=("timeout",)),
    Hostile(
        "loop_catching_everything",
        fn("while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass"),
        kinds=("timeout",),
    ),
    Hostile("c_level_hog", fn("return 10 ** 10 ** 8"), kinds=("timeout",)),
    Hostile("load_time_loop", "while True:\n    pass\n" + fn("return 1"), kinds=("timeout",)),
    Hostile(
        "exception_str_loops",
        "class E(Exception):\n    def __str__(self):\n        while True:\n            pass\n" + fn("raise E()"),
        kinds=("timeout",),
    ),
    Hostile("list_bomb", fn("return [0] * 10 ** 10"), kinds=("memory",)),
    Hostile("string_bomb", fn("return 'a' * 10 ** 10"), kinds=("memory",)),
    # On a loaded machine the CPU limit can come first.
    Hostile("growing_list", fn("xs = []\nwhile True:\n    xs.append([0] * 100_000)"), kinds=("memory", "timeout")),
    Hostile(
        "infinite_iterator", "import itertools\n" + fn("return list(itertools.count())"), kinds=("memory", "timeout")
    ),
    Hostile("recursion_bomb", fn("return f()"), kinds=("error",)),
    Hostile("huge_string_output", fn("return 'a' * (100 * 2 ** 20)"), kinds=("output",)),
    Hostile("huge_list_output", fn("return list(range(10 ** 6))"), kinds=("output",)),
    Hostile("cyclic_output", fn("a = []\na.append(a)\nreturn a"), kinds=("error",)),
    Hostile("set_output", fn("return {1, 2}"), kinds=("error",)),
    Hostile("function_output", fn("return f"), kinds=("error",)),
    Hostile("tuple_key_output", fn("return {(1, 2): 3}"), kinds=("error",)),
    Hostile("typing_sys_via_proxy", "import typing\n" + fn("return typing.sys"), kinds=("error",)),
    Hostile("undeclared_builtin", fn("return bytearray(10 ** 10)"), kinds=("error",)),
    Hostile("huge_int_to_str", fn("return str(10 ** 5000)"), kinds=("error",)),
    Hostile("huge_exception_text", fn("raise ValueError('x' * 10 ** 7)"), kinds=("error",)),
    Hostile("load_time_error", "x = 1 / 0\n" + fn("return 1"), kinds=("error",)),
    Hostile("import_at_runtime_blocked", fn("import math\nreturn math.floor(2.5)"), kinds=("ok",)),
    Hostile(
        "c_stack_overflow",
        fn("it = iter([])\nfor _ in range(300_000):\n    it = map(abs, it)\nreturn next(it)"),
        kinds=("crash", "error"),  # CPython 3.11 crashes (SIGSEGV); later versions may raise RecursionError
    ),
    Hostile(
        "aliased_class_change", "from collections import Counter\n" + fn("c = Counter\nc.total = len"), kinds=("error",)
    ),
    Hostile("abc_register", "import typing\n" + fn("typing.Mapping.register(list)"), kinds=("error",)),
    Hostile("module_proxy_change", "import math\n" + fn("m = math\nm.pi = 3"), kinds=("error",)),
    Hostile(
        "endless_finally_in_garbage",
        fn(
            "def g():\n    try:\n        yield\n    finally:\n        while True:\n            pass\n"
            "it = g()\nnext(it)\ncycle = [it]\ncycle.append(cycle)"
        ),
        kinds=("timeout",),
    ),
]
