"""A function's checked condition (SPEC §8): a boolean expression over yes/no facts, parsed by a small
recursive-descent parser (never ``eval``: the text comes from the teacher, an untrusted LLM).

Grammar::

    expr   := term ("or" term)*
    term   := factor ("and" factor)*
    factor := "not" factor | "(" expr ")" | FACT | "always"
    FACT   := [a-z_][a-z0-9_]*

``evaluate(facts)`` is three-valued: True or False, or None when a fact it needs is missing from ``facts``
(the condition is *unchecked* there, as if the function had none). Missing facts do not short-circuit into a
verdict: ``a or b`` with ``a`` true and ``b`` missing is still None, so a condition is only ever checked on
facts that are all known.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from logicdistill.errors import FormatError

_TOKEN = re.compile(r"\s*(?:(\()|(\))|([a-z_][a-z0-9_]*)|(\S))")
_KEYWORDS = {"and", "or", "not", "always"}


class ConditionError(FormatError):
    """A condition that does not parse; the message says where."""


@dataclass(frozen=True)
class Fact:
    name: str

    def evaluate(self, facts: Mapping[str, bool]) -> bool | None:
        value = facts.get(self.name)
        return None if value is None else bool(value)

    def names(self) -> frozenset[str]:
        return frozenset({self.name})


@dataclass(frozen=True)
class Always:
    def evaluate(self, facts: Mapping[str, bool]) -> bool | None:
        return True

    def names(self) -> frozenset[str]:
        return frozenset()


@dataclass(frozen=True)
class Not:
    operand: Node

    def evaluate(self, facts: Mapping[str, bool]) -> bool | None:
        value = self.operand.evaluate(facts)
        return None if value is None else not value

    def names(self) -> frozenset[str]:
        return self.operand.names()


@dataclass(frozen=True)
class Junction:
    """``and`` (``every=True``) or ``or`` over two or more operands."""

    every: bool
    operands: tuple[Node, ...]

    def evaluate(self, facts: Mapping[str, bool]) -> bool | None:
        values = [o.evaluate(facts) for o in self.operands]
        if any(v is None for v in values):
            return None
        return all(values) if self.every else any(values)

    def names(self) -> frozenset[str]:
        return frozenset().union(*(o.names() for o in self.operands))


Node = Fact | Always | Not | Junction


@dataclass(frozen=True)
class Condition:
    """A parsed condition and its source text."""

    text: str
    root: Node

    def evaluate(self, facts: Mapping[str, bool]) -> bool | None:
        """True/False on these facts; None when one it names is missing (unchecked here)."""
        return self.root.evaluate(facts)

    def facts(self) -> frozenset[str]:
        """The fact names the condition reads."""
        return self.root.names()


def parse_condition(text: str) -> Condition:
    """Parse ``text``; ConditionError says what is wrong and where."""
    if not isinstance(text, str) or not text.strip():
        raise ConditionError("the condition is empty")
    tokens = _tokens(text)
    parser = _Parser(tokens, text)
    root = parser.expr()
    if parser.at < len(tokens):
        raise ConditionError(f"unexpected {tokens[parser.at]!r} after a complete condition in {text!r}")
    return Condition(text.strip(), root)


def _tokens(text: str) -> list[str]:
    out = []
    for match in _TOKEN.finditer(text.rstrip()):
        opening, closing, word, other = match.groups()
        if other is not None:
            raise ConditionError(
                f"unexpected character {other!r} in {text!r} (facts are lower-case names; use and, or, not, brackets)"
            )
        out.append(opening or closing or word)
    return out


class _Parser:
    def __init__(self, tokens: list[str], text: str):
        self.tokens, self.text, self.at = tokens, text, 0

    def _peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            raise ConditionError(f"the condition {self.text!r} ends too early")
        self.at += 1
        return token

    def expr(self) -> Node:
        return self._joined("or", self.term)

    def term(self) -> Node:
        return self._joined("and", self.factor)

    def _joined(self, word: str, operand: Callable[[], Node]) -> Node:
        """``operand (word operand)*``: one operand as it is, several as a Junction (and: all, or: any)."""
        operands = [operand()]
        while self._peek() == word:
            self.at += 1
            operands.append(operand())
        return operands[0] if len(operands) == 1 else Junction(word == "and", tuple(operands))

    def factor(self) -> Node:
        token = self._take()
        if token == "not":
            return Not(self.factor())
        if token == "(":
            inner = self.expr()
            if self._take() != ")":
                raise ConditionError(f"a '(' is not closed in {self.text!r}")
            return inner
        if token == "always":
            return Always()
        if token in _KEYWORDS or token == ")":
            raise ConditionError(f"expected a fact name, 'not', 'always' or '(' but found {token!r} in {self.text!r}")
        return Fact(token)
