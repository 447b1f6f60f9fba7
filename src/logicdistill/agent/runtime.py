"""The function base at run time: every function and the usage program loaded into one sandbox."""

from __future__ import annotations

import hashlib
from typing import Any

from logicdistill.errors import UserError
from logicdistill.functionbase.admission import module_id
from logicdistill.functionbase.function import Function
from logicdistill.functionbase.store import BaseVersion
from logicdistill.sandbox.pool import CallRequest
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

    def request(self, name: str, args: dict[str, Any]) -> CallRequest:
        """The sandbox request that calls function ``name`` (answered by ``call`` or a batched ``call_many``)."""
        return CallRequest(module_id(self.functions[name]), name, [], args)

    def call(self, name: str, args: dict[str, Any]) -> Any:
        """Run one function in the sandbox; returns the sandbox's CallResult."""
        return self.sandbox.call_many([self.request(name, args)])[0]

    def program_request(self, stage: str, facts: dict[str, bool]) -> CallRequest | None:
        """The request that asks the teacher's usage program for its choice (None: the base has no program)."""
        if self.program_id is None:
            return None
        return CallRequest(self.program_id, PROGRAM_FUNCTION, [stage, facts], {})

    def program_answer(self, result: Any) -> str | None:
        """The function a program request's CallResult names (None when it failed or names no function)."""
        ok = result.ok and isinstance(result.value, str)  # a list or dict would not even hash
        return result.value if ok and result.value in self.functions else None

    def program_choice(self, stage: str, facts: dict[str, bool]) -> str | None:
        """The function the teacher's usage program picks at ``stage`` (None when it fails or names none)."""
        request = self.program_request(stage, facts)
        return None if request is None else self.program_answer(self.sandbox.call_many([request])[0])
