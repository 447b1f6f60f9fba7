"""Python's parser, one thread at a time.

CPython 3.11 keeps the AST converters' recursion depth in state shared by all threads, so two threads that
parse (or compile an AST) at once can fail with ``SystemError: AST constructor recursion depth mismatch``:
the server builds bases for concurrent viewer episodes and adopts rules in a thread pool. Every parse of
teacher text goes through here.
"""

from __future__ import annotations

import ast
import threading
from types import CodeType
from typing import Any

_LOCK = threading.Lock()


def parse(source: str, filename: str = "<unknown>", mode: str = "exec") -> Any:
    """``ast.parse`` under the process-wide parser lock."""
    with _LOCK:
        return ast.parse(source, filename=filename, mode=mode)


def compile_tree(tree: ast.AST, filename: str, mode: str = "exec") -> CodeType:
    """``compile`` of an AST (it converts the tree back first) under the same lock."""
    with _LOCK:
        return compile(tree, filename, mode, dont_inherit=True)
