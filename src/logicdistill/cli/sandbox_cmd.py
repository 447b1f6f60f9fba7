"""``logicdistill sandbox check FILE.py`` and ``logicdistill sandbox run FILE.py --call 'f(1, 2)'``.

``check`` runs the static checks only; ``run`` loads the file into a sandbox and makes one call whose
arguments must be Python literals, printing the result as JSON. Exit 0 on success, 1 when the code is
rejected, fails or runs out of limits; bad input (a missing, special or oversized file, a malformed call)
raises UserError, which the CLI prints as one line with exit 2. SIGTERM, SIGHUP and Ctrl-C end the command
cleanly: the worker is killed and its folder removed (``sandbox.shutdown``).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import stat
from typing import Any

from logicdistill.errors import UserError
from logicdistill.sandbox import Sandbox, check_source
from logicdistill.sandbox.pool import MAX_ARGUMENT_BYTES
from logicdistill.sandbox.shutdown import exit_on_signals
from logicdistill.sandbox.worker import NotJsonable, OutputTooLarge, to_jsonable

MAX_FILE_BYTES = 1_000_000  # far above any function's source (the checks stop at 200,000 characters)


def add_parser(subparsers: Any) -> None:
    """Register ``sandbox check`` and ``sandbox run`` on the main CLI's subparsers."""
    parser = subparsers.add_parser("sandbox", help="check or run untrusted function code in the sandbox")
    commands = parser.add_subparsers(dest="sandbox_command", required=True, metavar="{check,run}")
    check = commands.add_parser("check", help="static checks only: prints 'ok' or the reason and line")
    check.add_argument("file", help="a Python source file")
    check.set_defaults(func=run)
    call = commands.add_parser("run", help="run one call of a function in FILE inside the sandbox")
    call.add_argument("file", help="a Python source file")
    call.add_argument("--call", required=True, help="the call, e.g. 'manhattan([0, 0], [3, 4])' (literal arguments)")
    call.add_argument("--cpu-seconds", type=float, default=2.0, help="CPU-time limit per call (default 2)")
    call.add_argument("--wall-seconds", type=float, default=5.0, help="wall-time limit per call (default 5)")
    call.add_argument("--memory-mb", type=int, default=512, help="address-space limit of the worker (default 512)")
    call.set_defaults(func=run)


def _read(path: str) -> str:
    """The file's text: a regular file of at most MAX_FILE_BYTES in UTF-8 (``/dev/zero`` or a FIFO is refused)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))  # a FIFO must not block
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UserError(f"cannot read {path}: not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise UserError(f"cannot read {path}: {info.st_size} bytes is over the limit of {MAX_FILE_BYTES}")
        data = os.read(fd, MAX_FILE_BYTES + 1)
        while len(data) <= MAX_FILE_BYTES and (more := os.read(fd, MAX_FILE_BYTES + 1 - len(data))):
            data += more
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_FILE_BYTES:
        raise UserError(f"cannot read {path}: over the limit of {MAX_FILE_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UserError(f"cannot read {path}: not UTF-8 text (byte {exc.start})") from None


def parse_call(text: str) -> tuple[str, list[Any], dict[str, Any]]:
    """Split ``'f(1, x=[2])'`` into the function name and literal arguments; UserError when it is not that."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise UserError(f"--call does not parse: {exc.msg}") from None
    except (ValueError, RecursionError, MemoryError) as exc:  # null bytes, absurd nesting or size
        raise UserError(f"--call does not parse: {type(exc).__name__}") from None
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        raise UserError(f"--call must be a function name with arguments, like 'f(1, 2)', got {text[:200]!r}")
    if any(isinstance(a, ast.Starred) for a in node.args) or any(k.arg is None for k in node.keywords):
        raise UserError("--call does not support *args or **kwargs")
    names = [str(k.arg) for k in node.keywords]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:  # the parser accepts f(x=1, x=2); Python itself refuses to compile it
        raise UserError(f"--call repeats keyword argument {repeated[0]!r}")
    args = [_literal(text, a) for a in node.args]
    kwargs = {str(k.arg): _literal(text, k.value) for k in node.keywords}
    return node.func.id, args, kwargs


def _literal(text: str, node: ast.expr) -> Any:
    segment = ast.get_source_segment(text.strip(), node) or ast.dump(node)
    try:
        return to_jsonable(ast.literal_eval(node), MAX_ARGUMENT_BYTES)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
        raise UserError(f"--call argument {segment!r} is not a Python literal") from exc
    except (NotJsonable, OutputTooLarge) as exc:
        raise UserError(f"--call argument {segment!r} is not JSON data: {exc}") from None


def run(args: argparse.Namespace) -> int:
    """Run ``sandbox check`` or ``sandbox run``; returns the exit code."""
    with exit_on_signals():  # SIGTERM unwinds through ``with sandbox``: the worker never outlives us
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    source = _read(args.file)
    if args.sandbox_command == "check":
        result = check_source(source)
        if result.ok:
            print("ok")
            return 0
        print(f"{args.file}:{result.line or 0}: rejected ({result.rule}): {result.reason}")
        return 1
    name, call_args, call_kwargs = parse_call(args.call)
    try:
        sandbox = Sandbox(cpu_seconds=args.cpu_seconds, wall_seconds=args.wall_seconds, memory_mb=args.memory_mb)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:  # no room or no permission for the working folder
        raise UserError(f"cannot create the sandbox's working folder: {exc}") from None
    with sandbox:
        module_id = os.path.splitext(os.path.basename(args.file))[0] or "module"
        checked = sandbox.load(module_id, source)
        if not checked.ok:
            print(f"{args.file}:{checked.line or 0}: rejected ({checked.rule}): {checked.reason}")
            return 1
        result = sandbox.call(module_id, name, call_args, call_kwargs)
    if not result.ok:
        print(f"{result.kind}: {result.reason}")
        return 1
    print(json.dumps(result.value))
    return 0
