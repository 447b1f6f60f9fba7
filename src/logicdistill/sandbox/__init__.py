"""The sandbox for untrusted, teacher-written function code.

``check_source`` rejects code that could escape (imports beyond an allow-list, dunder and frame access,
format-field lookups, eval/exec/open and friends) with a reason and line; ``Sandbox`` runs checked code in
reusable worker processes under CPU, wall-time, memory and output limits, passing JSON data only.
"""

from logicdistill.sandbox.limits import Limits
from logicdistill.sandbox.policy import DEFAULT_IMPORTS, SAFE_BUILTIN_NAMES, SAFE_MODULE_EXPORTS
from logicdistill.sandbox.pool import KINDS, CallRequest, CallResult, Sandbox
from logicdistill.sandbox.static_check import CheckResult, check_source

__all__ = [
    "DEFAULT_IMPORTS",
    "KINDS",
    "SAFE_BUILTIN_NAMES",
    "SAFE_MODULE_EXPORTS",
    "CallRequest",
    "CallResult",
    "CheckResult",
    "Limits",
    "Sandbox",
    "check_source",
]
