"""Checking a state JSON against its task's schema (the subset of JSON Schema the tasks use).

Served decisions read the state a client sends; a state that breaks the schema gets one line saying where,
before any function runs. Supported keywords: type, properties, required, items, minItems, maxItems,
minimum, maximum, maxLength, enum. A plugin task may use more; unknown keywords are ignored.
"""

from __future__ import annotations

from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def schema_problem(value: Any, schema: dict[str, Any], where: str = "state") -> str | None:
    """The first place where ``value`` breaks ``schema``, as one line (None: it conforms)."""
    kind = schema.get("type")
    if kind is not None and not _is(value, kind):
        return f"{where}: expected {kind}, got {_name(value)}"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where}: must be one of {', '.join(map(str, schema['enum']))}, got {value!r:.60}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return f"{where}: must be at least {schema['minimum']}, got {value}"
        if "maximum" in schema and value > schema["maximum"]:
            return f"{where}: must be at most {schema['maximum']}, got {value}"
    if isinstance(value, str) and "maxLength" in schema and len(value) > schema["maxLength"]:
        return f"{where}: longer than {schema['maxLength']} characters"
    if isinstance(value, list):
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            return f"{where}: more than {schema['maxItems']} items ({len(value)})"
        if "minItems" in schema and len(value) < schema["minItems"]:
            return f"{where}: fewer than {schema['minItems']} items ({len(value)})"
        items = schema.get("items")
        if isinstance(items, dict):
            for i, item in enumerate(value):
                if problem := schema_problem(item, items, f"{where}[{i}]"):
                    return problem
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                return f"{where}: missing field {key!r}"
        for key, sub in schema.get("properties", {}).items():
            if key in value and (problem := schema_problem(value[key], sub, f"{where}.{key}")):
                return problem
    return None


def _is(value: Any, kind: str | list[str]) -> bool:
    kinds = [kind] if isinstance(kind, str) else kind
    for k in kinds:
        if k in ("integer", "number") and isinstance(value, bool):
            continue
        if k == "integer" and isinstance(value, float) and value.is_integer():
            return False
        if isinstance(value, _TYPES.get(k, (object,))):
            return True
    return False


def _name(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "integer" if isinstance(value, int) else "number" if isinstance(value, float) else "value"
    )
