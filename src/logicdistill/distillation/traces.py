"""Stage traces: what the teacher's usage program chose at every stage of seeded episodes.

A trace keeps what the student's prompt is built from (state text, yes/no facts, earlier stage results as
text) and the label (the function the teacher's program chose). Episodes are plain task episodes, so no
emergency function ever appears in a trace: emergencies are what the student must handle unseen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from logicdistill.agent.prompting import result_text
from logicdistill.agent.teacher_program import TeacherProgramPolicy
from logicdistill.progress import progress_bar
from logicdistill.tasks.base import Task


@dataclass(frozen=True)
class StageTrace:
    seed: int
    tag: str  # the task's trace tag (pursuit: the map), see Task.trace_tag
    step: int
    stage: str
    state_text: str
    state_facts: dict[str, bool]
    results: list[tuple[str, str]]
    gold: str


@dataclass(frozen=True)
class ActionTrace:
    """The teacher program's action in a state, by its name (for student-kd: imitation without functions)."""

    seed: int
    tag: str
    step: int
    state_text: str
    state_facts: dict[str, bool]
    action: str


def action_name(task: Task, env: Any, action: Any) -> str:
    for name, value in task.action_choices(env).items():
        if np.array_equal(np.asarray(value), np.asarray(action)):
            return name
    raise ValueError(f"action {action!r} has no name")


def collect_traces(
    task: Task,
    policy: TeacherProgramPolicy,
    seeds: Iterable[int],
    env_kwargs: dict[str, Any] | None = None,
    progress: bool = True,
    actions: list[ActionTrace] | None = None,
) -> list[StageTrace]:
    """Play one teacher-program episode per seed and label every stage it ran (and, into ``actions`` when
    given, every action it took)."""
    traces = []
    env = task.make_env(**(env_kwargs or {}))
    seeds = list(seeds)
    for seed in progress_bar(seeds, desc=f"traces {task.name}", unit="ep", disable=not progress, leave=False):
        obs, info = env.reset(seed=seed)
        policy.reset(env.unwrapped, seed)
        done, step = False, 0
        while not done:
            text, facts, tag = task.state_text(env), task.state_facts(env), task.trace_tag(env, info)
            action = policy.act(obs, info)
            results: list[tuple[str, str]] = []
            for record in policy.last_records:
                if record.ok and record.chosen:
                    traces.append(
                        StageTrace(
                            seed,
                            tag,
                            step,
                            record.stage,
                            text,
                            facts,
                            list(results),
                            record.chosen,
                        )
                    )
                    results.append((record.stage, result_text(record.result)))
            if actions is not None:
                actions.append(ActionTrace(seed, tag, step, text, facts, action_name(task, env, action)))
            obs, _, terminated, truncated, info = env.step(action)
            done, step = terminated or truncated, step + 1
    env.close()
    return traces


def save_traces(traces: list[StageTrace] | list[ActionTrace], path: Path, write: bool = True) -> str:
    """Write traces as JSON lines (unless ``write`` is False); returns their sha256 (the run folder records it)."""
    text = "".join(json.dumps(asdict(t), sort_keys=True) + "\n" for t in traces)
    if write:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return hashlib.sha256(text.encode()).hexdigest()
