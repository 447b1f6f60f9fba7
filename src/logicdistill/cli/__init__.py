"""The ``logicdistill`` command line. Each subcommand lives in its own module.

Errors: a UserError (bad input, checked up front by ``cli.checks``) prints one line and exits 2. As a last
resort an OSError or an undecodable JSON / UTF-8 file does the same, with a hint that LOGICDISTILL_DEBUG=1
shows the traceback; any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys

from logicdistill import __version__, plugins, progress
from logicdistill.cli import checks
from logicdistill.errors import UserError

# Modules that each register their subcommands with ``add_parser(subparsers)``.
_COMMAND_MODULES = (
    "logicdistill.cli.tasks_cmd",
    "logicdistill.cli.eval_cmd",
    "logicdistill.cli.base_cmd",
    "logicdistill.cli.sandbox_cmd",
    "logicdistill.cli.distill_cmd",
    "logicdistill.cli.runs_cmd",
    "logicdistill.cli.demo_cmd",
    "logicdistill.cli.check_cmd",
    "logicdistill.cli.serve_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = checks.OneLineParser(  # argparse errors as one line too (subparsers inherit the class)
        prog="logicdistill",
        description="Logic Distillation: a teacher LLM writes checked functions, a small student learns to "
        "select and call them.",
    )
    parser.add_argument("--version", action="version", version=f"logicdistill {__version__}")
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="import MODULE (a module name, or a .py file) that calls register_task / register_event, before the "
        "command runs; repeatable. Installed plugins (entry points) need no option.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(name).add_parser(subparsers)
    return parser


def _plugins_named(argv: list[str]) -> list[str]:
    """The ``--plugin MODULE`` options before the subcommand, read ahead of the parser so that the tasks they
    register are named in the subcommands' ``--help`` (``--task``: one of ...)."""
    named = []
    words = iter(argv)
    for word in words:
        if word == "--plugin":
            named.append(next(words, ""))
        elif word.startswith("--plugin="):
            named.append(word.split("=", 1)[1])
        elif not word.startswith("-"):  # the subcommand: global options end here
            break
    return [module for module in named if module]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    for module in _plugins_named(argv):
        try:
            plugins.import_plugin(module)
        except UserError as err:  # a module the user named is needed: going on without it would mislead
            print(f"logicdistill: error: {err}", file=sys.stderr)
            return 2
    parser = build_parser()
    # Unknown options may be a task's own environment options (``--map`` for pursuit); commands that take
    # them check them against the task, the others refuse them as argparse would.
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "task_options", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    if getattr(args, "quiet", False) or not progress.on_terminal():
        progress.quiet_loading_bars()  # the model libraries' loading bars: none with --quiet, none in a log
    from logicdistill.sandbox.shutdown import exit_on_signals

    try:
        with exit_on_signals():  # SIGTERM unwinds through every ``finally``: no sandbox worker outlives a command
            return int(args.func(args) or 0)
    except UserError as err:
        print(f"logicdistill: error: {err}", file=sys.stderr)
        return 2
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as err:
        if isinstance(err, BrokenPipeError) and checks.stdout_closed():  # `... | head`: the reader left
            return checks.quiet_broken_pipe()
        # Last resort for a file or folder the checks did not foresee (permissions, disk full, a corrupt
        # file): one line and exit 2. Other exception types are bugs and keep their traceback.
        if checks.debugging():
            raise
        checks.print_error(checks.last_resort_message(err))
        return 2
    except KeyboardInterrupt:
        print("logicdistill: interrupted", file=sys.stderr)
        return 130
