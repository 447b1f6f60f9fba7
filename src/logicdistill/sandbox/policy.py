"""What sandboxed code may touch: the import allow-list, the builtins, and the names it may never use.

One table serves both sides: the static checker in the parent reads it to reject code with a reason, and
the worker receives the same table at start-up to build the restricted builtins and the module proxies.
"""

from __future__ import annotations

import math

# Each allowed module exposes only the names listed here: a proxy holds them, never the real module, so
# module internals (``typing.sys``, ``collections._sys``) and evaluators of strings
# (``typing.get_type_hints``) stay out of reach.
SAFE_MODULE_EXPORTS: dict[str, frozenset[str]] = {
    "math": frozenset(n for n in dir(math) if not n.startswith("_")),
    "itertools": frozenset(
        "accumulate chain combinations combinations_with_replacement compress count cycle dropwhile filterfalse "
        "groupby islice pairwise permutations product repeat starmap takewhile tee zip_longest".split()
    ),
    "functools": frozenset("cache cmp_to_key lru_cache partial reduce".split()),
    "collections": frozenset("ChainMap Counter OrderedDict defaultdict deque namedtuple".split()),
    "heapq": frozenset("heapify heappop heappush heappushpop heapreplace merge nlargest nsmallest".split()),
    "bisect": frozenset("bisect bisect_left bisect_right insort insort_left insort_right".split()),
    "typing": frozenset(
        "Any Callable Dict FrozenSet Iterable Iterator List Literal Mapping Optional Sequence Set Tuple Union".split()
    ),
}

# The one allow-list of importable modules, in a fixed order (prompts list them as ", ".join(ALLOWED_MODULES)).
ALLOWED_MODULES: tuple[str, ...] = tuple(SAFE_MODULE_EXPORTS)
DEFAULT_IMPORTS: frozenset[str] = frozenset(ALLOWED_MODULES)

# The builtins sandboxed code gets (the worker adds a no-op ``print``, the restricted ``__import__`` and
# ``__build_class__`` for plain classes). Everything else is a NameError at run time.
SAFE_BUILTIN_NAMES: frozenset[str] = frozenset(
    "abs all any bin bool callable chr dict divmod enumerate filter float frozenset hash hex int isinstance "
    "issubclass iter len list map max min next oct ord pow range repr reversed round set slice sorted str sum "
    "tuple zip ArithmeticError AssertionError Exception IndexError KeyError LookupError NotImplementedError "
    "OverflowError RecursionError RuntimeError StopIteration TypeError ValueError ZeroDivisionError".split()
)

# Names rejected wherever they appear, with the reason class they belong to.
DENIED_NAMES: dict[str, str] = {
    **dict.fromkeys(["eval", "exec", "compile", "__import__", "breakpoint", "input", "open"], "dangerous builtin"),
    **dict.fromkeys(["globals", "locals", "vars", "dir", "getattr", "setattr", "delattr", "hasattr"], "introspection"),
    **dict.fromkeys(["type", "object", "super", "memoryview", "classmethod", "staticmethod"], "introspection"),
    **dict.fromkeys(["exit", "quit", "help", "license", "credits", "copyright"], "interactive builtin"),
    **dict.fromkeys(["__builtins__", "builtins", "sys", "os", "importlib", "subprocess"], "module access"),
}

# Attributes that reach frames, code, tracebacks or format-string field lookups.
DENIED_ATTRIBUTES: frozenset[str] = frozenset({"format", "format_map", "mro", "with_traceback"})
DENIED_ATTRIBUTE_PREFIXES: tuple[str, ...] = ("gi_", "cr_", "ag_", "f_", "tb_", "co_")

# Special methods a plain class may define; every other dunder identifier is rejected.
ALLOWED_DUNDER_METHODS: frozenset[str] = frozenset(
    "__init__ __repr__ __str__ __eq__ __ne__ __lt__ __le__ __gt__ __ge__ __hash__ __len__ __iter__ "
    "__contains__ __getitem__".split()
)


def module_exports(allowed_imports: frozenset[str] | set[str] | list[str] | tuple[str, ...]) -> dict[str, list[str]]:
    """The export table for ``allowed_imports``; a module without a known safe export list is a ValueError."""
    unknown = sorted(set(allowed_imports) - set(SAFE_MODULE_EXPORTS))
    if unknown:
        raise ValueError(
            f"no safe export list for module(s) {', '.join(unknown)}; known: {sorted(SAFE_MODULE_EXPORTS)}"
        )
    return {name: sorted(SAFE_MODULE_EXPORTS[name]) for name in sorted(set(allowed_imports))}
