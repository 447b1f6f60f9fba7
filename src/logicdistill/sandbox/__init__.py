"""The sandbox for untrusted, teacher-written function code.

``check_source`` rejects code that could escape (imports beyond an allow-list, dunder and frame access,
format-field lookups, eval/exec/open and friends, changes to shared module state) with a reason and line;
``Sandbox`` runs checked code in reusable worker processes under CPU, wall-time, memory and output limits,
passing JSON data only. ``ALLOWED_MODULES`` is the one import allow-list (prompts list it too);
``exit_on_signals`` lets a command end cleanly on SIGTERM/SIGINT, closing its sandboxes.
"""

from logicdistill.sandbox.limits import Limits
from logicdistill.sandbox.policy import ALLOWED_MODULES, DEFAULT_IMPORTS, SAFE_BUILTIN_NAMES, SAFE_MODULE_EXPORTS
from logicdistill.sandbox.pool import KINDS, CallRequest, CallResult, Sandbox
from logicdistill.sandbox.shutdown import exit_on_signals
from logicdistill.sandbox.static_check import CheckResult, check_source

__all__ = [
    "ALLOWED_MODULES",
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
    "exit_on_signals",
]
