"""Two small text helpers every layer uses: cut a text to a length, and find which of some names a text names."""

from __future__ import annotations

import re
from collections.abc import Sequence

ELLIPSIS = "..."


def shorten(text: str, limit: int) -> str:
    """``text`` if it has at most ``limit`` characters, else its start and ``...``, ``limit`` characters in all."""
    return text if len(text) <= limit else text[: max(limit - len(ELLIPSIS), 0)] + ELLIPSIS


def name_in_text(text: str, names: Sequence[str]) -> str | None:
    """The name a free-text answer gives: the earliest one mentioned as a whole word (letters, digits, ``_``
    and ``+`` bound a word, so ``up`` is not found in ``up+left``), ties to the longest; case is ignored.
    None when it names none. One rule for the teacher's replies and the student's generations alike."""
    lowered = text.lower()
    found = []
    for name in names:
        match = re.search(rf"(?<![\w+]){re.escape(name.lower())}(?![\w+])", lowered)
        if match:
            found.append((match.start(), -len(name), name))
    return min(found)[2] if found else None
