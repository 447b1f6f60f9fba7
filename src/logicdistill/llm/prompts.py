"""Prompt templates: ``templates/<name>.txt`` files with ``$placeholders`` (``string.Template`` syntax).

Every placeholder must get a value: a missing one raises KeyError naming it (no safe substitution, so a prompt
never reaches the teacher with a literal ``$rules`` left in it). Write ``$$`` for a literal dollar sign.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from string import Template

PROMPTS_DIR = Path(__file__).with_name("templates")
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")


def load_prompt(name: str, folder: str | os.PathLike[str] | None = None) -> Template:
    """The template ``<folder>/<name>.txt`` (default folder: the package's ``templates/``)."""
    if not _NAME.match(name):
        raise ValueError(f"prompt name {name!r} must be a plain file stem (letters, digits, '_', '-', '.')")
    base = Path(folder) if folder is not None else PROMPTS_DIR
    path = base / f"{name}.txt"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in base.glob("*.txt"))) or "none"
        raise FileNotFoundError(f"no prompt template {name!r} in {base} (available: {known})")
    return Template(path.read_text(encoding="utf-8"))


def render_prompt(name: str, folder: str | os.PathLike[str] | None = None, /, **values: object) -> str:
    """Fill the template ``name`` with ``values``; ``name`` and ``folder`` are positional so any
    placeholder name is free for ``values``. A placeholder without a value raises KeyError naming it."""
    template = load_prompt(name, folder)
    try:
        return template.substitute({key: str(value) for key, value in values.items()})
    except KeyError as err:
        raise KeyError(f"prompt {name!r} needs a value for ${err.args[0]}") from None
