"""``logicdistill tasks``: the tasks and their stage layouts."""

from __future__ import annotations

import argparse

from logicdistill import plugins
from logicdistill.agent.registry import names
from logicdistill.errors import UserError
from logicdistill.evaluation import policy_specs
from logicdistill.tasks import get_task, task_names


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("tasks", help="list the tasks and their stage layouts")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for name in task_names():
        try:
            task = get_task(name)
        except UserError as err:  # a broken plugin: named, and the other tasks are still listed
            plugins.warn(str(err))
            continue
        print(f"{name}: {task.description}")
        print(f"  environment: {task.env_id}")
        print(f"  policies: {', '.join(names(policy_specs(task).values()))}")
        for option, meaning in task.env_options().items():
            print(f"  option --{option.replace('_', '-')}: {meaning}")
        if task.stages:
            print(f"  stages ({len(task.stages)} per decision step):")
            for i, stage in enumerate(task.stages, 1):
                print(f"    {i}. {stage.name}: {stage.produces}")
        else:
            print("  stages: none declared")
    return 0
