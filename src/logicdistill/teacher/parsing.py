"""Reading teacher replies: code blocks, JSON, and the repair loop that asks again when a reply is unusable.

``ask`` sends the conversation, runs the caller's ``parse`` on the reply, and on a ``ReplyParseError`` (or an
exception type the caller lists in ``repair_on``) appends the reply and a user message saying what was wrong, then
asks again, at most ``max_repairs`` times. Every turn goes through the client, so the repair chain is cached like
any other request and a rerun replays it without the network.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from logicdistill.errors import FormatError
from logicdistill.llm.client import ChatClient, TeacherError
from logicdistill.llm.transport import safe_text
from logicdistill.sandbox import ast_parse

T = TypeVar("T")

# Info strings accepted for a language, besides the empty one.
_ALIASES = {"python": {"python", "py", "python3"}, "json": {"json", "jsonc"}}
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)[^`]*$")


class ReplyParseError(FormatError):
    """A teacher reply that cannot be used as asked; the message is sent back to the teacher in a repair turn."""


def _fenced_blocks(text: str) -> tuple[list[tuple[str, str]], bool]:
    """All ``(info, body)`` fenced blocks in ``text``, and whether a fence was left open at the end."""
    blocks: list[tuple[str, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, info = match.group(1), match.group(2).lower()
        body: list[str] = []
        i += 1
        while i < len(lines):
            stripped = lines[i].strip()
            if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
                break
            body.append(lines[i])
            i += 1
        else:
            return blocks, True
        blocks.append((info, "\n".join(body)))
        i += 1
    return blocks, False


def _looks_like_code(text: str) -> bool:
    """True when ``text`` parses as Python and is more than bare names or literals (a one-word reply parses too)."""
    try:
        tree = ast_parse.parse(text)
    except (SyntaxError, ValueError):
        return False
    trivial = (ast.Name, ast.Constant)
    return any(not (isinstance(node, ast.Expr) and isinstance(node.value, trivial)) for node in tree.body)


def extract_code_blocks(text: str, lang: str | None = "python") -> list[str]:
    """The bodies of the fenced blocks tagged ``lang`` (or untagged); ``lang=None`` takes every block.

    With no fences at all, a Python reply that parses as Python is taken whole as one block.
    """
    blocks, _ = _fenced_blocks(text)
    if lang is None:
        return [body for _, body in blocks]
    wanted = _ALIASES.get(lang.lower(), {lang.lower()}) | {""}
    found = [body for info, body in blocks if info in wanted]
    if not blocks and lang.lower() in _ALIASES["python"] and text.strip() and _looks_like_code(text):
        return [text.strip("\n")]
    return found


def require_code(text: str, lang: str = "python") -> str:
    """The reply's code (blocks joined by blank lines), or a ReplyParseError that says what is missing."""
    blocks = extract_code_blocks(text, lang)
    if blocks and any(b.strip() for b in blocks):
        return "\n\n".join(b for b in blocks if b.strip())
    _, unclosed = _fenced_blocks(text)
    if unclosed:
        raise ReplyParseError("a ``` code fence is opened but never closed (was the reply cut off?)")
    raise ReplyParseError(f"no ```{lang} code block found in the reply")


def _json_error(err: json.JSONDecodeError, where: str) -> ReplyParseError:
    """A precise message for a JSON error, naming a trailing comma when that is the cause."""
    before = err.doc[: err.pos].rstrip()
    after = err.doc[err.pos :].lstrip()
    if before.endswith(",") and after[:1] in ("}", "]"):
        return ReplyParseError(f"invalid JSON {where}: trailing comma before '{after[0]}' at line {err.lineno}")
    return ReplyParseError(f"invalid JSON {where}: {err.msg} at line {err.lineno} column {err.colno}")


def _balanced_spans(text: str) -> list[tuple[int, int]]:
    """Spans of balanced ``{...}`` / ``[...]`` groups in prose (top level only), skipping JSON string contents."""
    spans: list[tuple[int, int]] = []
    depth, start, in_string, escaped = 0, -1, False, False
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"' and depth:
            in_string = True
        elif ch in "{[":
            if depth == 0:
                start = i
            depth += 1
        elif ch in "}]" and depth:
            depth -= 1
            if depth == 0:
                spans.append((start, i + 1))
    return spans


def extract_json(text: str) -> Any:
    """The JSON value in a reply: the whole text, else the first ```json (or untagged) block, else the first
    balanced ``{...}``/``[...]`` in prose that parses. Errors say precisely where the JSON is broken."""
    stripped = text.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError as err:
            first_error = _json_error(err, "in the reply")
    else:
        first_error = None
    blocks, unclosed = _fenced_blocks(text)
    tagged = [body for info, body in blocks if info in _ALIASES["json"]]
    untagged = [body for info, body in blocks if info == "" and body.strip()[:1] in ("{", "[")]
    for body in (tagged or untagged)[:1]:
        try:
            return json.loads(body)
        except json.JSONDecodeError as err:
            raise _json_error(err, "in the ```json block") from err
    if first_error is not None:
        raise first_error
    spans = _balanced_spans(text)
    for start, end in spans:
        try:
            return json.loads(text[start:end])
        except json.JSONDecodeError as err:
            first_error = first_error or _json_error(err, f"starting at character {start}")
    if first_error is not None:
        raise first_error
    if unclosed:
        raise ReplyParseError("a ``` fence is opened but never closed (was the reply cut off?)")
    if any(ch in text for ch in "{["):
        raise ReplyParseError("unbalanced JSON: a '{' or '[' is never closed (was the reply cut off?)")
    raise ReplyParseError("no JSON object or array found in the reply")


def ask(
    client: ChatClient,
    messages: list[dict[str, str]],
    parse: Callable[[str], T],
    max_repairs: int = 3,
    repair_on: tuple[type[Exception], ...] = (),
    hint: str = "the complete answer in the format asked for above",
    **params: Any,
) -> T:
    """Ask, parse, and repair: returns ``parse(reply)`` or raises TeacherError after ``max_repairs`` repairs.

    ``repair_on`` lists extra exception types (e.g. ``ValueError``) that also trigger a repair turn; any other
    exception from ``parse`` propagates at once. ``params`` go to ``client.chat``.
    """
    if max_repairs < 0:
        raise ValueError(f"max_repairs must be >= 0 (got {max_repairs})")
    conversation = list(messages)
    catch = (ReplyParseError, *repair_on)
    for repair in range(max_repairs + 1):
        reply = client.chat(conversation, **params)
        try:
            return parse(reply)
        except catch as err:
            last = err
            if repair == max_repairs:
                break
            conversation += [
                {"role": "assistant", "content": reply},
                {"role": "user", "content": f"Your reply could not be used: {err}. Reply again with {hint}."},
            ]
    raise TeacherError(f"teacher reply still unusable after {max_repairs} repairs: {safe_text(last)}") from last
