"""``logicdistill runs``: the distilled students there are (shipped and yours), with their metrics, and which
one ``ld`` / ``student-kd`` use by default."""

from __future__ import annotations

import argparse
import os

from logicdistill import paths
from logicdistill.errors import UserError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("runs", help="list the distilled runs (shipped and yours) with their metrics")
    p.add_argument("--task", help="only this task's runs (pursuit, pursuit-kd, universal, ...)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from logicdistill.student.runs import RUN_ENV, SHIPPED_DIR, DistilledStudent, user_runs

    shipped = sorted(p for p in SHIPPED_DIR.iterdir() if (p / "run.json").is_file()) if SHIPPED_DIR.is_dir() else []
    folders = [p for p in shipped if args.task in (None, p.name)] + user_runs(args.task)
    rows = [["run", "task", "kind", "examples", "held-out acc", "untuned", "train min", "origin"]]
    for folder in folders:
        try:
            record = DistilledStudent.load(folder)
        except UserError as err:  # a damaged record is listed, not fatal
            rows.append([str(folder), "?", "?", "-", "-", "-", "-", f"unreadable: {err}"[:60]])
            continue
        m = record.metrics
        origin = "shipped (default)" if folder in shipped else "yours (--run)"
        rows.append(
            [
                str(folder),
                folder.name if folder in shipped else folder.parent.name,
                record.kind,
                _num(m.get("train_examples"), "{:.0f}"),
                _num(m.get("heldout_accuracy"), "{:.3f}"),
                _num(m.get("heldout_accuracy_before"), "{:.3f}"),
                _num((m.get("train_seconds") or 0) / 60 if m.get("train_seconds") else None, "{:.1f}"),
                origin,
            ]
        )
    if len(rows) == 1:
        print(
            f"no runs{f' for {args.task!r}' if args.task else ''} (shipped: {SHIPPED_DIR}; yours: "
            f"{paths.home() / 'runs'})"
        )
        return 0
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    chosen = os.environ.get(RUN_ENV)
    default = f"${RUN_ENV} = {chosen}" if chosen else "the shipped run of the task"
    print(f"ld / student-kd use {default} unless --run names another (a folder, latest or universal)")
    return 0


def _num(value: object, form: str) -> str:
    return form.format(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else "-"
