"""``logicdistill demo``: not built yet (its issue has not landed)."""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="(not built yet)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    print("logicdistill demo: not built yet", file=sys.stderr)
    return 2
