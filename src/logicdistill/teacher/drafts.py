"""Turn a teacher's reply (Eq. 1 or Eq. 6) into a draft of functions, manuals, stages and a usage program.

The reply format (asked for by the prompt templates, and the format of the recorded replies): one
```json manifest block, then one ```python block per function (each defines exactly one public top-level
function plus private ``_helpers``) and one block defining the usage program ``select_function(stage, facts)``.
Live and recorded replies go through this same parser.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from logicdistill.functionbase.function import Function, Provenance, function_from_dict
from logicdistill.sandbox import ast_parse
from logicdistill.tasks.base import Stage
from logicdistill.teacher.parsing import ReplyParseError, extract_code_blocks, extract_json

PROGRAM_FUNCTION = "select_function"


@dataclass(frozen=True)
class Draft:
    """What one teacher reply proposes; nothing in it is trusted until admission."""

    stages: tuple[Stage, ...]
    functions: tuple[Function, ...]
    program: str | None


def parse_reply(text: str, teacher: str, rules_hash: str, need_stages: bool) -> Draft:
    """Parse a reply; ReplyParseError says precisely what is missing (it goes back to the teacher)."""
    manifest = extract_json(text)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("functions"), list):
        raise ReplyParseError('the ```json manifest must be an object with a "functions" list')
    sources = _sources_by_name(extract_code_blocks(text, "python"))
    stages: tuple[Stage, ...] = ()
    if need_stages:
        try:
            stages = tuple(Stage(str(s["name"]), str(s["produces"])) for s in manifest["stages"])
        except (KeyError, TypeError):
            raise ReplyParseError('the manifest needs "stages": [{"name": ..., "produces": ...}, ...]') from None
        if not stages:
            raise ReplyParseError("the manifest declares no stages")
    created = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    functions = []
    for entry in manifest["functions"]:
        if not isinstance(entry, dict) or "name" not in entry:
            raise ReplyParseError("every manifest function needs a name")
        name = str(entry["name"])
        if name not in sources:
            raise ReplyParseError(f"no ```python block defines function {name!r}")
        manual = {k: entry.get(k) for k in ("summary", "when_to_use", "params", "returns", "stages", "examples")}
        manual["examples"] = manual["examples"] or []
        for key in ("condition", "replaces"):  # optional (SPEC §8): absent means unchecked
            if entry.get(key) is not None:
                manual[key] = entry[key]
        if need_stages and manual.get("replaces"):
            raise ReplyParseError(f"function {name}: 'replaces' belongs to a new rule's functions only (Eq. 6)")
        data: dict[str, Any] = {
            "name": name,
            "source": sources[name],
            "manual": manual,
            "provenance": {"teacher": teacher, "rules_hash": rules_hash, "created_at": created},
        }
        try:
            function = function_from_dict(data)
            function.condition()  # a condition that does not parse is a bad field like any other
        except Exception as err:  # FormatError and friends: tell the teacher
            raise ReplyParseError(f"function {name}: {err}" if name not in str(err) else str(err)) from None
        functions.append(function)
    program = sources.get(PROGRAM_FUNCTION)
    if program is None and need_stages:
        raise ReplyParseError(f"no ```python block defines the usage program {PROGRAM_FUNCTION}(stage, facts)")
    known = {s.name for s in stages}
    for f in functions:
        unknown = [s for s in f.manual.stages if known and s not in known]
        if unknown:
            raise ReplyParseError(f"function {f.name} names unknown stage(s) {unknown}; stages are {sorted(known)}")
    return Draft(stages, tuple(functions), program)


def _sources_by_name(blocks: list[str]) -> dict[str, str]:
    """Map each block's one public top-level function name to the block's source."""
    out = {}
    for block in blocks:
        try:
            tree = ast_parse.parse(block)
        except SyntaxError as err:
            raise ReplyParseError(f"a ```python block does not parse: {err.msg} (line {err.lineno})") from None
        public = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
        if len(public) != 1:
            raise ReplyParseError(
                f"each ```python block must define exactly one public function, found {public or 'none'}"
            )
        out[public[0]] = block.strip("\n") + "\n"
    return out


def with_provenance(
    function: Function, teacher: str, rules_hash: str, checks: tuple[str, ...], rule: str | None = None
) -> Function:
    """The function stamped with where it came from (and, for a new rule's function, the rule's kind)."""
    prov = function.provenance
    created = prov.created_at if prov else dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    manual = function.manual if rule is None else dataclasses.replace(function.manual, rule=rule)
    return Function(function.name, function.source, manual, Provenance(teacher, rules_hash, created, checks))
