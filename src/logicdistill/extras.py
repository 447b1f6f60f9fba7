"""The optional ``[ml]`` extra (student and retriever): which of its modules are missing, and the line that
installs them. Checked with ``find_spec``, so nothing heavy is imported to find out."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable

from logicdistill.errors import UserError

ML_MODULES = ("torch", "transformers", "peft", "gguf", "sentence_transformers")
ML_HINT = 'pip install "logicdistill[ml]"'


SERVE_MODULES = ("fastapi", "uvicorn")
SERVE_HINT = 'pip install "logicdistill[serve]"'


def missing_ml_modules() -> list[str]:
    """The [ml] modules that cannot be imported (find_spec: nothing is loaded, torch takes seconds)."""
    return missing_modules(ML_MODULES)


def missing_modules(names: Iterable[str]) -> list[str]:
    """The modules among ``names`` that cannot be imported (checked with find_spec, nothing loaded)."""
    missing = []
    for name in names:
        try:
            if importlib.util.find_spec(name) is None:
                missing.append(name)
        except (ImportError, ValueError):  # a broken install or a stubbed sys.modules entry
            missing.append(name)
    return missing


def ml_error(what: str, missing: Iterable[str]) -> UserError:
    return UserError(f"{what} needs the ml extra (missing: {', '.join(missing)}): {ML_HINT}")
