"""The function base at run time: every function and the usage program loaded into one sandbox."""

from __future__ import annotations

import hashlib
from typing import Any

from logicdistill.errors import UserError
from logicdistill.functionbase.admission import module_id
from logicdistill.functionbase.function import Function
from logicdistill.functionbase.store import BaseVersion
from logicdistill.teacher.drafts import PROGRAM_FUNCTION

PROGRAM_MODULE = "usage_program"


class FunctionRuntime:
    """Calls the base's functions (and the teacher's usage program) inside a sandbox."""

    def __init__(self, base: BaseVersion, sandbox: Any):
        self.sandbox = sandbox
        self.base = base
        self.functions: dict[str, Function] = {}
        self.program_id: str | None = None
        self.update(base)

    def update(self, base: BaseVersion) -> None:
        """Adopt a (newer) base version: load what is new; everything loaded stays callable."""
        self.base = base
        for function in base.functions.values():
            if self.functions.get(function.name) is not function:
                check = self.sandbox.load(module_id(function), function.source)
                if not check.ok:
                    raise UserError(f"function {function.name} fails the sandbox checks: {check}")
                self.functions[function.name] = function
        if base.program is not None:
            program_id = f"{PROGRAM_MODULE}.{hashlib.sha256(base.program.encode()).hexdigest()[:16]}"
            check = self.sandbox.load(program_id, base.program)
            if not check.ok:
                raise UserError(f"the usage program fails the sandbox checks: {check}")
            self.program_id = program_id

    def call(self, name: str, args: dict[str, Any]) -> Any:
        """Run one function in the sandbox; returns the sandbox's CallResult."""
        return self.sandbox.call(module_id(self.functions[name]), name, [], args)

    def program_choice(self, stage: str, facts: dict[str, bool]) -> str | None:
        """The function the teacher's usage program picks at ``stage`` (None when it fails or names none)."""
        if self.program_id is None:
            return None
        result = self.sandbox.call(self.program_id, PROGRAM_FUNCTION, [stage, facts], {})
        return result.value if result.ok and result.value in self.functions else None
