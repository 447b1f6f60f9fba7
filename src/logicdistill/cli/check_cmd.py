"""``logicdistill check-task NAME``: is a task (built-in or plugin) sound? One line per problem, exit 1."""

from __future__ import annotations

import argparse

from logicdistill.tasks import get_task


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "check-task",
        help="check a task: env, state views, rule facts, the teacher's base, oracle and teacher-program",
        description="Checks that a task is sound for Logic Distillation: the environment passes gymnasium's "
        "check_env; state_json, state_facts and state_text exist and agree; rule facts are named <kind>_in_force; "
        "the teacher's base is admitted with the declared stages; optimal (if any) and teacher-program play an "
        "episode. Exit 0 when sound, else one line per problem and exit 1.",
    )
    p.add_argument("name", metavar="NAME", help="the task to check")
    p.add_argument(
        "--teacher", default="recorded", help="whose base to admit: recorded (default), recorded:DIR, openai:MODEL"
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the episodes played (default 0)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from logicdistill.evaluation.task_check import check_task

    task = get_task(args.name)
    notes: list[str] = []
    problems = check_task(task, args.teacher, args.seed, notes=notes)
    for note in notes:
        print(f"{task.name}: {note}")
    for problem in problems:
        print(f"{task.name}: {problem}")
    if problems:
        print(f"check-task {task.name}: {len(problems)} problem(s)")
        return 1
    print(f"check-task {task.name}: ok (environment, state views, rule facts, function base, episodes)")
    return 0
