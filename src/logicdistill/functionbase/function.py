"""A function of the base: teacher-written Python source plus its user manual (Eq. 1).

Every function takes named parameters whose *types* say where values come from (``state``: the task
state as JSON; ``stage_result``: an earlier stage's result), so a caller can always fill them from
typed candidates and no call can be ill-typed. A manual's "when to use" states conditions over yes/no
facts that the state text or an earlier stage result names explicitly (``door_open: yes``), the
form a small student learns to match.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from logicdistill.errors import FormatError
from logicdistill.functionbase.condition import Condition, parse_condition

# Parameter types and the JSON schema each maps to in tool descriptions.
PARAM_TYPES: dict[str, dict[str, Any]] = {
    "state": {"type": "object", "description": "the task state as JSON"},
    "stage_result": {"type": "object", "description": "the result of the previous stage"},
    "int": {"type": "integer"},
    "number": {"type": "number"},
    "bool": {"type": "boolean"},
    "str": {"type": "string"},
    "list": {"type": "array"},
    "object": {"type": "object"},
}


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    description: str = ""


@dataclass(frozen=True)
class UsageExample:
    """A worked example: these arguments -> this result (checked at admission)."""

    args: dict[str, Any]
    expected: Any
    note: str = ""


@dataclass(frozen=True)
class Manual:
    """What the function does, when to use it, its typed interface, its stages, worked examples."""

    summary: str
    when_to_use: str
    params: tuple[Param, ...]
    returns: str
    stages: tuple[str, ...]
    examples: tuple[UsageExample, ...] = ()
    # Checked conditions (SPEC §8): when the function applies, over yes/no facts (None: unchecked), and, for a
    # function written for a new rule (Eq. 6), the rule's kind and the functions it takes the place of while
    # that rule is in force. Optional: a base without them behaves as before they existed.
    condition: str | None = None
    replaces: tuple[str, ...] = ()
    rule: str | None = None


@dataclass(frozen=True)
class Provenance:
    teacher: str
    rules_hash: str
    created_at: str
    checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class Function:
    name: str
    source: str
    manual: Manual
    provenance: Provenance | None = field(default=None, compare=False)

    @property
    def source_hash(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()[:16]

    def compact(self) -> str:
        """The manual as a few lines for prompts and retrieval documents."""
        params = ", ".join(f"{p.name}: {p.type}" for p in self.manual.params)
        return (
            f"{self.name}({params}) -> {self.manual.returns}\n"
            f"  does: {self.manual.summary}\n"
            f"  use when: {self.manual.when_to_use}"
        )

    def manual_text(self) -> str:
        """``compact()`` plus the checked condition and ``replaces`` (for the teacher and ``base show``; the
        student's prompt and the fingerprint use ``compact()`` alone)."""
        lines = [self.compact()]
        if self.manual.condition is not None:
            lines.append(f"  condition: {self.manual.condition}")
        if self.manual.replaces:
            lines.append(f"  replaces: {', '.join(self.manual.replaces)}")
        return "\n".join(lines)

    def tool_schema(self) -> dict[str, Any]:
        """The function as an OpenAI-style tool description."""
        properties = {}
        for p in self.manual.params:
            prop = dict(PARAM_TYPES.get(p.type, {"type": "object"}))
            if p.description:
                prop["description"] = p.description
            properties[p.name] = prop
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": f"{self.manual.summary} Use when: {self.manual.when_to_use}",
                "parameters": {
                    "type": "object",
                    "properties": properties,
                    "required": [p.name for p in self.manual.params],
                },
            },
        }

    @property
    def checked(self) -> bool:
        return self.manual.condition is not None

    def condition(self) -> Condition | None:
        """The parsed condition (None: unchecked); ConditionError when it does not parse."""
        return None if self.manual.condition is None else _parsed(self.manual.condition)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        # Unset condition fields are left out, so a base without conditions is stored byte for byte as before.
        for key in ("condition", "replaces", "rule"):
            if data["manual"].get(key) in (None, (), []):
                del data["manual"][key]
        return data


@functools.lru_cache(maxsize=4096)
def _parsed(text: str) -> Condition:
    return parse_condition(text)


def function_from_dict(data: dict[str, Any]) -> Function:
    """Build a Function from its JSON form; FormatError says which field is wrong."""
    try:
        m = data["manual"]
        manual = Manual(
            summary=str(m["summary"]),
            when_to_use=str(m["when_to_use"]),
            params=tuple(Param(str(p["name"]), str(p["type"]), str(p.get("description", ""))) for p in m["params"]),
            returns=str(m["returns"]),
            stages=tuple(str(s) for s in m["stages"]),
            examples=tuple(
                UsageExample(dict(e["args"]), e.get("expected"), str(e.get("note", ""))) for e in m.get("examples", ())
            ),
            condition=_optional_text(m.get("condition"), "condition"),
            replaces=_names(m.get("replaces")),
            rule=_optional_text(m.get("rule"), "rule"),
        )
        prov = data.get("provenance")
        provenance = (
            Provenance(prov["teacher"], prov["rules_hash"], prov["created_at"], tuple(prov.get("checks", ())))
            if prov
            else None
        )
        function = Function(str(data["name"]), str(data["source"]), manual, provenance)
    except (KeyError, TypeError, ValueError) as err:
        raise FormatError(
            f"function {data.get('name', '?') if isinstance(data, dict) else '?'}: bad or missing field {err}"
        ) from None
    for p in manual.params:
        if p.type not in PARAM_TYPES:
            raise FormatError(f"function {function.name}: parameter {p.name} has unknown type {p.type!r}")
    if not function.name.isidentifier():
        raise FormatError(f"function name {function.name!r} is not a Python identifier")
    return function


def _optional_text(value: Any, field_name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{field_name!r} must be a text, got {json.dumps(value)[:40]}")
    return value


def _names(value: Any) -> tuple[str, ...]:
    """``replaces``: a list of function names (one name alone is taken as a list of one)."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"'replaces' must be a list of function names, got {json.dumps(value)[:40]}")
    return tuple(value)
