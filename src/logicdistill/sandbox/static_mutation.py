"""Static rule ``mutation``: code may assign or delete attributes only of names its own function binds.

A worker runs many modules (one per function of a base) one after another, and they all share the objects
of the allowed modules: ``math``, ``collections.Counter`` and its methods, the ``typing`` ABCs. A change
such as ``math.sqrt = ...`` or ``Counter.most_common = ...`` would persist and silently alter every later
function's results. So an attribute target (of ``=``, ``+=``, ``x: T =``, ``del``, ``for``, ``with ... as``,
tuple unpacking) must be rooted in a name bound by an enclosing *function*: a parameter or a local variable
(``self.x = 1``, ``node.parent = p``, ``grid[r].seen = True``). Roots that are imported names, module- or
class-level names, builtins, or expressions (``f().x``) are rejected.

A local alias (``c = Counter; c.x = 1``) passes this rule by design: a static rule cannot follow values.
The worker's run-time guard (``guard.py``, read-only module proxies) catches those.
"""

from __future__ import annotations

import ast

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class _Scope:
    """One Python scope: which names it binds, and which of those come from an import."""

    __slots__ = ("kind", "parent", "bound", "imported")

    def __init__(self, kind: str, parent: _Scope | None) -> None:
        self.kind, self.parent = kind, parent  # kind: module, class, function or comprehension
        self.bound: set[str] = set()
        self.imported: set[str] = set()

    def bind(self, name: str, imported: bool = False) -> None:
        self.bound.add(name)
        if imported:
            self.imported.add(name)

    def resolve(self, name: str) -> _Scope | None:
        """The scope a load of ``name`` from here reads (Python's rule: enclosing class bodies are skipped)."""
        scope: _Scope | None = self
        while scope is not None:
            if name in scope.bound and (scope is self or scope.kind != "class"):
                return scope
            scope = scope.parent
        return None

    def function_scope(self) -> _Scope:
        """Where a walrus binds: the nearest scope that is not a comprehension."""
        scope = self
        while scope.kind == "comprehension" and scope.parent is not None:
            scope = scope.parent
        return scope


def _collect(tree: ast.Module) -> list[tuple[ast.Attribute, _Scope]]:
    """Bind every name in its scope and list each attribute store with the scope it appears in.

    Iterative, like the main walk: hostile nesting must not overflow the parent's stack.
    """
    stores: list[tuple[ast.Attribute, _Scope]] = []
    todo: list[tuple[ast.AST, _Scope]] = [(tree, _Scope("module", None))]
    while todo:
        node, scope = todo.pop()
        if isinstance(node, _FUNCTIONS):
            inner = _Scope("function", scope)
            if not isinstance(node, ast.Lambda):
                scope.bind(node.name)
                todo.extend((child, scope) for child in [*node.decorator_list, *filter(None, [node.returns])])
            args = node.args
            todo.extend((d, scope) for d in [*args.defaults, *(d for d in args.kw_defaults if d is not None)])
            for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
                if arg is not None:
                    inner.bind(arg.arg)
            body = node.body if isinstance(node.body, list) else [node.body]
            todo.extend((child, inner) for child in body)
            continue
        if isinstance(node, ast.ClassDef):
            scope.bind(node.name)
            todo.extend((child, scope) for child in [*node.decorator_list, *node.bases, *node.keywords])
            inner = _Scope("class", scope)
            todo.extend((child, inner) for child in node.body)
            continue
        if isinstance(node, _COMPREHENSIONS):
            inner = _Scope("comprehension", scope)
            first, *rest = node.generators
            todo.append((first.iter, scope))  # the first iterable is evaluated outside the comprehension
            todo.extend((child, inner) for child in [first.target, *first.ifs, *rest])
            elements = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            todo.extend((child, inner) for child in elements)
            continue
        if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            scope.function_scope().bind(node.target.id)
            todo.append((node.value, scope))
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            scope.bind(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                scope.bind((alias.asname or alias.name).split(".")[0], imported=True)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            scope.bind(node.name)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            scope.bind(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            scope.bind(node.rest)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)):
            stores.append((node, scope))
        todo.extend((child, scope) for child in ast.iter_child_nodes(node))
    return stores


def find_shared_mutation(tree: ast.Module) -> tuple[str, ast.AST] | None:
    """The first attribute store (in source order) whose root is not a function's own local, with why."""
    offences = []
    for node, scope in _collect(tree):
        root: ast.expr = node.value
        while isinstance(root, (ast.Attribute, ast.Subscript)):
            root = root.value
        what = f"cannot set or delete attribute '.{node.attr}'"
        rule = "only attributes of the function's own local variables and parameters may be set"
        if not isinstance(root, ast.Name):
            why = f"of an expression: {rule}"
        else:
            home = scope.resolve(root.id)
            if home is not None and root.id in home.imported:
                why = f"of '{root.id}', an imported name: the change would reach every later function in the worker"
            elif home is None or home.kind in ("module", "class"):
                level = "a builtin" if home is None else f"a {home.kind}-level name"
                why = f"of '{root.id}', {level}: the change would outlive the call ({rule})"
            else:
                continue
        offences.append(((node.lineno, node.col_offset), f"{what} {why}", node))
    if not offences:
        return None
    _, reason, node = min(offences, key=lambda o: o[0])
    return reason, node
