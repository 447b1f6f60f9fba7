"""Static checks on untrusted source: parse it, walk every node, and reject what could escape the sandbox.

After the walk, rule ``mutation`` (``static_mutation.py``) rejects attribute stores on shared objects, and
the source is compiled: some code parses but does not compile (``return`` inside ``except*``, a repeated
keyword argument), and "ok" must mean the worker can run it.

The checks work on the AST, whose identifiers the parser has already NFKC-normalised (``ｅｖａｌ`` is
``eval`` there); identifiers are normalised once more here so the rule holds even if that changes. Every
rejection names its rule class (``CheckResult.rule``), a reason and a line number.
"""

from __future__ import annotations

import ast
import unicodedata
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from logicdistill.sandbox import ast_parse
from logicdistill.sandbox.policy import (
    ALLOWED_DUNDER_METHODS,
    DEFAULT_IMPORTS,
    DENIED_ATTRIBUTE_PREFIXES,
    DENIED_ATTRIBUTES,
    DENIED_NAMES,
    SAFE_MODULE_EXPORTS,
    module_exports,
)
from logicdistill.sandbox.static_mutation import find_shared_mutation

MAX_SOURCE_CHARS = 200_000
MAX_NODES = 50_000


@dataclass(frozen=True)
class CheckResult:
    """The verdict of the static checks: ``ok``, or the ``reason``, ``line`` and ``rule`` class of a rejection."""

    ok: bool
    reason: str | None = None
    line: int | None = None
    rule: str | None = None

    def __str__(self) -> str:
        if self.ok:
            return "ok"
        return f"line {self.line}: {self.reason}" if self.line else str(self.reason)


class Rejected(Exception):
    """Raised inside the walk at the first offending node."""

    def __init__(self, rule: str, reason: str, node: ast.AST | None) -> None:
        super().__init__(reason)
        self.rule, self.reason, self.line = rule, reason, getattr(node, "lineno", None)


# Node types rejected outright, with their rule class and reason.
_FORBIDDEN_NODES: dict[type, tuple[str, str]] = {
    ast.Global: ("scope", "'global' statements are not allowed"),
    ast.Nonlocal: ("scope", "'nonlocal' statements are not allowed"),
    ast.AsyncFunctionDef: ("async", "async functions are not allowed"),
    ast.AsyncFor: ("async", "'async for' is not allowed"),
    ast.AsyncWith: ("async", "'async with' is not allowed"),
    ast.Await: ("async", "'await' is not allowed"),
}


def _is_dunder(name: str) -> bool:
    return name.startswith("__")


def _check_identifier(name: str, node: ast.AST, what: str) -> None:
    name = unicodedata.normalize("NFKC", name)
    if name in DENIED_NAMES:
        raise Rejected("name", f"{what} '{name}' is not allowed ({DENIED_NAMES[name]})", node)
    if _is_dunder(name):
        raise Rejected("dunder", f"{what} '{name}' is not allowed (dunder names are off limits)", node)


def _check_attribute(attr: str, node: ast.AST) -> None:
    attr = unicodedata.normalize("NFKC", attr)
    if attr in ("format", "format_map"):
        raise Rejected("format", f"attribute '.{attr}' is not allowed (format fields can read attributes)", node)
    if attr.startswith("_"):
        rule = "dunder" if _is_dunder(attr) else "attribute"
        raise Rejected(rule, f"attribute '.{attr}' is not allowed (no attribute may start with '_')", node)
    if attr in DENIED_ATTRIBUTES or attr.startswith(DENIED_ATTRIBUTE_PREFIXES):
        raise Rejected("attribute", f"attribute '.{attr}' is not allowed (frame, code or type internals)", node)


def _check_import(node: ast.Import | ast.ImportFrom, allowed: frozenset[str]) -> None:
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        if node.level:
            raise Rejected("import", "relative imports are not allowed", node)
        if module not in allowed:
            raise Rejected(
                "import", f"import of '{module}' is not allowed (allowed: {', '.join(sorted(allowed))})", node
            )
        for alias in node.names:
            if alias.name == "*":
                raise Rejected("import", f"'from {module} import *' is not allowed", node)
            if alias.name not in SAFE_MODULE_EXPORTS[module]:
                raise Rejected("import", f"'{module}.{alias.name}' is not an allowed name of '{module}'", node)
            _check_identifier(alias.asname or alias.name, node, "name")
        return
    for alias in node.names:
        if alias.name not in allowed:
            raise Rejected(
                "import", f"import of '{alias.name}' is not allowed (allowed: {', '.join(sorted(allowed))})", node
            )
        _check_identifier(alias.asname or alias.name, node, "name")


def _check_function(node: ast.FunctionDef | ast.Lambda, in_class: bool) -> None:
    if isinstance(node, ast.FunctionDef):
        if node.decorator_list:
            raise Rejected("decorator", f"decorators are not allowed (function '{node.name}')", node.decorator_list[0])
        if not (in_class and node.name in ALLOWED_DUNDER_METHODS):
            _check_identifier(node.name, node, "function name")
    else:
        for sub in ast.walk(node.body):
            if isinstance(sub, (ast.Yield, ast.YieldFrom)):
                raise Rejected("lambda", "'yield' inside a lambda is not allowed", sub)
    args = node.args
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
        if arg is not None:
            _check_identifier(arg.arg, arg, "parameter")


def _check_class(node: ast.ClassDef) -> None:
    if node.decorator_list:
        raise Rejected("decorator", f"decorators are not allowed (class '{node.name}')", node.decorator_list[0])
    if node.keywords:
        raise Rejected("metaclass", f"class keywords (metaclass=...) are not allowed (class '{node.name}')", node)
    _check_identifier(node.name, node, "class name")


def _check_node(node: ast.AST, parent: ast.AST | None, allowed: frozenset[str]) -> None:
    if type(node) in _FORBIDDEN_NODES:
        rule, reason = _FORBIDDEN_NODES[type(node)]
        raise Rejected(rule, reason, node)
    if isinstance(node, ast.Name):
        if not (node.id == "__name__" and isinstance(node.ctx, ast.Load)):  # harmless: `if __name__ == ...`
            _check_identifier(node.id, node, "name")
    elif isinstance(node, ast.Attribute):
        _check_attribute(node.attr, node)
    elif isinstance(node, (ast.Import, ast.ImportFrom)):
        _check_import(node, allowed)
    elif isinstance(node, (ast.FunctionDef, ast.Lambda)):
        _check_function(node, in_class=isinstance(parent, ast.ClassDef))
    elif isinstance(node, ast.ClassDef):
        _check_class(node)
    elif isinstance(node, ast.comprehension) and node.is_async:
        raise Rejected("async", "async comprehensions are not allowed", parent)
    elif isinstance(node, ast.keyword) and node.arg is not None:
        _check_identifier(node.arg, node, "keyword argument")
    elif isinstance(node, ast.ExceptHandler) and node.name:
        _check_identifier(node.name, node, "name")
    elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
        _check_identifier(node.name, node, "name")
    elif isinstance(node, ast.MatchMapping) and node.rest:
        _check_identifier(node.rest, node, "name")
    elif isinstance(node, ast.MatchClass):
        for attr in node.kwd_attrs:  # ``case C(attr=...)`` reads attributes like ``obj.attr`` does
            _check_attribute(attr, node)


def parse_checked(
    source: str, allowed_imports: Iterable[str] = DEFAULT_IMPORTS
) -> tuple[CheckResult, ast.Module | None]:
    """Check ``source`` and also return its AST when it passes (the pool reads its top-level names)."""
    allowed = frozenset(module_exports(tuple(allowed_imports)))
    if not isinstance(source, str):
        return CheckResult(False, "source must be text", None, "syntax"), None
    if len(source) > MAX_SOURCE_CHARS:
        return CheckResult(False, f"source longer than {MAX_SOURCE_CHARS} characters", None, "size"), None
    try:
        tree = ast_parse.parse(source, filename="<sandbox>", mode="exec")
    except SyntaxError as exc:
        return CheckResult(False, f"syntax error: {exc.msg}", exc.lineno, "syntax"), None
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting
        return CheckResult(False, f"does not parse: {type(exc).__name__}: {exc}"[:300], None, "syntax"), None
    parents: dict[int, ast.AST] = {}
    todo: list[ast.AST] = [tree]  # iterative walk: hostile nesting must not overflow the parent's stack
    count = 0
    try:
        while todo:
            node = todo.pop()
            count += 1
            if count > MAX_NODES:
                raise Rejected("size", f"source has more than {MAX_NODES} syntax nodes", None)
            _check_node(node, parents.get(id(node)), allowed)
            children = list(ast.iter_child_nodes(node))
            for child in children:
                parents[id(child)] = node
            todo.extend(reversed(children))  # pre-order: the first offence in source order is reported
        mutation = find_shared_mutation(tree)
        if mutation is not None:
            raise Rejected("mutation", *mutation)
    except Rejected as rej:
        return CheckResult(False, rej.reason, rej.line, rej.rule), None
    try:
        with warnings.catch_warnings():  # the worker compiles again; here only the verdict matters, not lint
            warnings.simplefilter("ignore")
            ast_parse.compile_tree(tree, "<sandbox>", "exec")
    except SyntaxError as exc:
        return CheckResult(False, f"does not compile: {exc.msg}", exc.lineno, "syntax"), None
    except (ValueError, RecursionError, MemoryError) as exc:
        return CheckResult(False, f"does not compile: {type(exc).__name__}: {exc}"[:300], None, "syntax"), None
    return CheckResult(True), tree


def check_source(source: str, allowed_imports: Iterable[str] = DEFAULT_IMPORTS) -> CheckResult:
    """Run the static checks on ``source``; ``allowed_imports`` may narrow the default module allow-list."""
    return parse_checked(source, allowed_imports)[0]


def top_level_names(tree: ast.Module) -> set[str]:
    """Names a checked module binds at top level (its callable functions among them)."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names
