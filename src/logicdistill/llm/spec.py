"""Teacher spec strings from the command line: ``recorded``, ``recorded:DIR``, ``openai:MODEL`` or
``openai:MODEL@http://HOST:PORT/v1``."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlparse

from logicdistill.errors import UserError
from logicdistill.llm.client import TeacherClient

ACCEPTED = "'recorded', 'recorded:DIR', 'openai:MODEL' or 'openai:MODEL@http://HOST:PORT/v1'"


@dataclass(frozen=True)
class TeacherSpec:
    """A parsed teacher spec: ``kind`` is "recorded" or "openai"; ``base_url`` None means the environment's;
    ``folder`` is a recorded teacher's own folder (None: the task's and the package's recorded replies)."""

    kind: Literal["recorded", "openai"]
    model: str | None = None
    base_url: str | None = None
    folder: str | None = None

    def __str__(self) -> str:
        if self.kind == "recorded":
            return f"recorded:{self.folder}" if self.folder else "recorded"
        return f"openai:{self.model}" + (f"@{self.base_url}" if self.base_url else "")


def parse_teacher_spec(spec: str) -> TeacherSpec:
    """Parse a teacher spec; anything else is a UserError listing the accepted forms."""
    text = spec.strip()
    if text == "recorded":
        return TeacherSpec("recorded")
    if text.startswith("recorded:"):
        folder = text[len("recorded:") :].strip()
        if not folder:
            raise UserError(f"teacher {spec!r} names no folder: use 'recorded:DIR'")
        if not os.path.isdir(os.path.expanduser(folder)):
            raise UserError(f"teacher {spec!r}: {folder} is not a folder (want DIR/<task>/eq1_base.md, eq6_<kind>.md)")
        return TeacherSpec("recorded", folder=os.path.abspath(os.path.expanduser(folder)))
    kind, sep, rest = text.partition(":")
    if kind != "openai" or not sep:
        raise UserError(f"unknown teacher {spec!r}: use {ACCEPTED}")
    # Model names may hold ':' or '/' (Ollama "llama3:8b", vLLM "org/name"), so split only at "@http".
    at = max(rest.rfind("@http://"), rest.rfind("@https://"))
    model, base_url = (rest[:at], rest[at + 1 :]) if at >= 0 else (rest, None)
    if "@" in model or (base_url is not None and not urlparse(base_url).netloc):
        raise UserError(f"teacher {spec!r}: the part after '@' must be a URL like http://HOST:PORT/v1")
    if not model.strip():
        raise UserError(f"teacher {spec!r} names no model: use {ACCEPTED}")
    return TeacherSpec("openai", model.strip(), base_url.rstrip("/") if base_url else None)


def make_client(
    spec: str | TeacherSpec, cache_dir: str | os.PathLike[str] | None = None, **kwargs: Any
) -> TeacherClient:
    """A TeacherClient for an ``openai:`` spec (key and default URL from the environment); ``kwargs`` pass on."""
    parsed = parse_teacher_spec(spec) if isinstance(spec, str) else spec
    if parsed.kind != "openai" or not parsed.model:
        raise UserError(f"teacher {str(parsed)!r} is replayed from files, not asked over HTTP: use 'openai:MODEL'")
    return TeacherClient(parsed.base_url, parsed.model, cache_dir=cache_dir, **kwargs)
