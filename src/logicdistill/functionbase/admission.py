"""Admission: a teacher's function joins the base only after it passes every check.

1. static checks (the sandbox's allow-list), 2. its usage examples run in the sandbox and return what the
manual says, 3. the task's property checks. Near-duplicates of functions already in the base are flagged,
not rejected (a replaced function is a near-duplicate of itself by design).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from logicdistill.functionbase.function import Function
from logicdistill.tasks.base import Caller, TaskCheck, results_equal  # noqa: F401 - Caller: re-exported
from logicdistill.text import shorten


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class AdmissionReport:
    function: str
    outcomes: tuple[CheckOutcome, ...]
    near_duplicate_of: str | None = None

    @property
    def ok(self) -> bool:
        return all(o.ok for o in self.outcomes)

    @property
    def passed(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.outcomes if o.ok)

    def reasons(self) -> list[str]:
        return [f"{o.name}: {o.detail}" for o in self.outcomes if not o.ok]


def module_id(function: Function) -> str:
    return f"{function.name}.{function.source_hash}"


def admit(
    function: Function, sandbox: Any, checks: Iterable[TaskCheck] = (), existing: Iterable[Function] = ()
) -> AdmissionReport:
    """Run every admission check of ``function`` in ``sandbox`` (a :class:`logicdistill.sandbox.Sandbox`)."""
    outcomes = []
    static = sandbox.load(module_id(function), function.source)
    outcomes.append(CheckOutcome("static", static.ok, "" if static.ok else str(static)))
    if not static.ok:
        return AdmissionReport(function.name, tuple(outcomes))

    def call(args: dict[str, Any]) -> Any:
        return sandbox.call(module_id(function), function.name, [], args)

    if not function.manual.examples:
        outcomes.append(CheckOutcome("examples", False, "the manual gives no usage example"))
    for i, example in enumerate(function.manual.examples, 1):
        result = call(example.args)
        if not result.ok:
            outcomes.append(CheckOutcome(f"example {i}", False, f"{result.kind}: {result.reason}"))
        elif not results_equal(result.value, example.expected):
            got, want = _short(result.value), _short(example.expected)
            outcomes.append(CheckOutcome(f"example {i}", False, f"returned {got}, the manual says {want}"))
        else:
            outcomes.append(CheckOutcome(f"example {i}", True))
    for check in checks:
        if check.applies_to(function):
            problem = check.run(function, call)
            outcomes.append(CheckOutcome(check.name, problem is None, problem or ""))
    twin = near_duplicate(function, existing)
    return AdmissionReport(function.name, tuple(outcomes), twin)


def near_duplicate(function: Function, existing: Iterable[Function], threshold: float = 0.9) -> str | None:
    """The name of an existing function with the same code shape or a nearly identical manual, if any."""
    shape = _code_shape(function.source)
    words = _words(function.compact())
    for other in existing:
        if other.name == function.name:
            continue
        if _code_shape(other.source) == shape:
            return other.name
        other_words = _words(other.compact())
        union = words | other_words
        if union and len(words & other_words) / len(union) >= threshold:
            return other.name
    return None


def _code_shape(source: str) -> str:
    """The AST with identifiers and constants blanked: two functions that differ only in names match."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        for attr in ("name", "id", "arg", "attr"):
            if isinstance(getattr(node, attr, None), str):
                setattr(node, attr, "_")
        if isinstance(node, ast.Constant):
            node.value = None
    return ast.dump(tree)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower())) - {"the", "a", "an", "of", "to", "is", "and", "or", "when"}


def _short(value: Any) -> str:
    return shorten(json.dumps(value), 120)
