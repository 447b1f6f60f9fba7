"""``logicdistill base build|check|show``: the function base of a task (Eq. 1, admission, inspection)."""

from __future__ import annotations

import argparse
import json
import sys

from logicdistill.cli import checks
from logicdistill.tasks import get_task, task_names
from logicdistill.teacher.build import AdmissionFailed, build_base, check_base, default_store


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("base", help="build, check or show a task's function base")
    sub = p.add_subparsers(dest="base_command", metavar="ACTION", required=True)

    def common(q: argparse.ArgumentParser) -> None:
        q.add_argument("--task", required=True, help=f"one of: {', '.join(task_names())}")
        q.add_argument("--base-dir", help="folder holding the bases (default: ~/.cache/logicdistill/bases)")

    build = sub.add_parser("build", help="Eq. 1: the teacher writes functions, manuals, stages and a usage program")
    common(build)
    build.add_argument(
        "--teacher", default="recorded", help="recorded (replay the shipped outputs) or openai:MODEL[@URL]"
    )
    build.set_defaults(func=run_build)

    check = sub.add_parser("check", help="re-run admission on every function; exit 1 with reasons on failure")
    common(check)
    check.add_argument("--version", type=checks.version_type, help="a stored version, 1.. (default: the current one)")
    check.set_defaults(func=run_check)

    show = sub.add_parser("show", help="the stage layout, the manuals and the provenance of a version")
    common(show)
    show.add_argument("--version", type=checks.version_type, help="a stored version, 1.. (default: the current one)")
    show.add_argument("--source", action="store_true", help="print each function's source too")
    show.add_argument("--tools", action="store_true", help="print the functions as OpenAI tool JSON schemas")
    show.set_defaults(func=run_show)


def _sandbox():
    from logicdistill.sandbox import Sandbox

    return Sandbox(workers=1)


def run_build(args: argparse.Namespace) -> int:
    from logicdistill.teacher.teachers import make_teacher

    task = get_task(args.task)
    store = default_store(task, args.base_dir)
    checks.check_output_dir(store.root, "--base-dir" if args.base_dir else "function base folder")
    teacher = make_teacher(args.teacher)
    with _sandbox() as sandbox:
        try:
            result = build_base(task, teacher, store, sandbox)
        except AdmissionFailed as err:
            print(f"logicdistill base build: {err}", file=sys.stderr)
            return 1
    base = result.base
    if result.reused:
        print(
            f"{task.name} function base unchanged: version {base.number} at {store.root} is current and holds the "
            f"same functions (teacher: {teacher.name}); no new version written"
        )
    else:
        print(f"built {task.name} function base version {base.number} at {store.root} (teacher: {teacher.name})")
    print(f"stages: {' -> '.join(s.name for s in base.stages)}")
    for report in result.reports:
        flag = f"  [flag: near-duplicate of {report.near_duplicate_of}]" if report.near_duplicate_of else ""
        print(f"  admitted {report.function}: {', '.join(report.passed)}{flag}")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from logicdistill.evaluation.task_check import condition_note

    task = get_task(args.task)
    store = default_store(task, args.base_dir)
    base = checks.read_base(store, args.version, task.name)
    with _sandbox() as sandbox:
        reports, program_problem = check_base(task, base, sandbox)
    failed = [r for r in reports if not r.ok]
    for report in reports:
        status = "ok" if report.ok else "FAILED: " + "; ".join(report.reasons())
        print(f"  {report.function}: {status}")
    if program_problem:
        print(f"  usage program: FAILED: {program_problem}")
    print(f"{task.name} version {base.number}: {len(reports) - len(failed)}/{len(reports)} functions pass admission")
    print(f"{task.name} version {base.number}: {condition_note(base.functions.values())}")
    return 1 if failed or program_problem else 0


def run_show(args: argparse.Namespace) -> int:
    task = get_task(args.task)
    store = default_store(task, args.base_dir)
    base = checks.read_base(store, args.version, task.name)
    if args.tools:
        print(json.dumps([f.tool_schema() for f in base.functions.values()], indent=2))
        return 0
    print(f"{task.name} function base version {base.number} of {store.versions()} ({base.note}, {base.created_at})")
    for i, stage in enumerate(base.stages, 1):
        print(f"stage {i}: {stage.name} -- {stage.produces}")
        for function in base.for_stage(stage.name):
            print("  " + function.manual_text().replace("\n", "\n  "))
            prov = function.provenance
            if prov:
                print(f"    provenance: teacher {prov.teacher}, rules {prov.rules_hash}, {prov.created_at}")
                print(f"    checks: {', '.join(prov.checks)}")
            if function.name in base.flags:
                print(f"    flag: {base.flags[function.name]}")
            if args.source:
                print("    " + function.source.replace("\n", "\n    "))
    if base.program:
        print("usage program:")
        print("  " + base.program.strip().replace("\n", "\n  "))
    return 0
