"""``logicdistill eval`` (N episodes, a table, JSON) and ``logicdistill play`` (one episode, turn by turn)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from logicdistill import settings as settings_options
from logicdistill.cli import checks
from logicdistill.errors import UserError
from logicdistill.evaluation import (
    check_policy_name,
    evaluate,
    format_table,
    make_env,
    make_policy,
    play_episode,
    policy_spec_for,
    write_json,
)
from logicdistill.tasks import Task, get_task, task_names


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("eval", help="play N episodes with paired seeds and print a table")
    _common(p)
    p.add_argument(
        "--episodes",
        type=checks.episodes_type,
        default=100,
        help=f"episodes per policy, 1..{checks.EPISODES_MAX} (default 100)",
    )
    p.add_argument("--json", metavar="FILE", help="write the results object (a list for several policies)")
    p.add_argument(
        "--traces",
        metavar="FILE",
        help="write every stage of every episode as JSON lines (policy, seed, step and the stage record play "
        "prints); the episodes then play one after another",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar (nor the model libraries' loading bars)")
    settings_options.add_options(p)
    p.set_defaults(func=run_eval)

    q = subparsers.add_parser(
        "play", help="play one episode and print it turn by turn (LD policies: every stage's candidates and choice)"
    )
    _common(q)
    settings_options.add_options(q, batch="has no effect here: play plays one episode (kept for scripts; see eval)")
    q.add_argument(
        "--render",
        metavar="FILE",
        help="draw the episode where the task can: .gif an animation, .png one still frame (the last, or --frame)",
    )
    q.add_argument(
        "--frame",
        type=checks.int_in(0, 100_000, "a frame number"),
        help="--render x.png: this frame (0: the start, N: after step N; default: the last)",
    )
    q.add_argument(
        "--html",
        metavar="FILE",
        help="write the episode as one self-contained viewer page (board and stages, step by step; no server)",
    )
    q.set_defaults(func=run_play)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--task", required=True, help=f"one of: {', '.join(task_names())}")
    p.add_argument("--policy", default="optimal", help=_policy_help())
    p.add_argument(
        "--seed", type=checks.seed_type, default=0, help="base seed in 0..2**32-1; episode i uses seed+i (default 0)"
    )
    p.add_argument(
        "--env-arg",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an environment argument (VALUE: an int, a decimal, true/false, else text); a task's own flags "
        "(pursuit: --map, --evader, --scenario; see `logicdistill tasks`) are accepted too",
    )
    add_teacher_options(p)
    add_run_option(p)
    p.set_defaults(task_options=True)


def add_run_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--run",
        help="the student of ld / student-kd: a run folder, `latest` (the newest you distilled for the task) or "
        "`universal`; default: $LOGICDISTILL_RUN, else the run shipped with the package. A run you distil is "
        "used only where you name it",
    )


def _policy_help() -> str:
    import logicdistill.agent.policies  # noqa: F401 - registers the built-in policies
    from logicdistill.agent.registry import names, registered

    return (
        "policy name; eval takes several, comma-separated (default optimal). Every task has its own (optimal, ...; "
        f"see `logicdistill tasks`); tasks with stages also: {', '.join(names(registered()))}"
    )


def add_teacher_options(p: argparse.ArgumentParser) -> None:
    """``--teacher`` (Eq. 1, and Eq. 6 unless ``--rule-teacher`` says otherwise) and ``--rule-teacher``."""
    p.add_argument(
        "--teacher",
        help="recorded (default), recorded:DIR (DIR/<task>/eq1_base.md, eq6_<kind>.md) or openai:MODEL[@URL]; "
        "teacher-direct needs a live one",
    )
    p.add_argument(
        "--rule-teacher",
        metavar="SPEC",
        help="the teacher that answers new rules mid-episode (Eq. 6) alone, in the same forms (default: --teacher)",
    )


def env_kwargs(task: Task, args: argparse.Namespace) -> dict[str, Any]:
    """Environment arguments from the task's own flags (``--map X``) and ``--env-arg KEY=VALUE``."""
    kwargs: dict[str, Any] = {}
    options = task.env_options()
    extra = list(getattr(args, "extra", []))
    while extra:
        flag = extra.pop(0)
        name, sep, value = flag.partition("=")
        key = name[2:].replace("-", "_") if name.startswith("--") else ""
        if key not in options:
            known = ", ".join(f"--{o.replace('_', '-')}" for o in options) or "none"
            raise UserError(f"unknown option {name} for task {task.name!r} (its own options: {known})")
        if not sep:
            if not extra or extra[0].startswith("--"):
                raise UserError(f"option {name} needs a value")
            value = extra.pop(0)
        kwargs[key] = value
    for item in args.env_arg:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UserError(f"--env-arg wants KEY=VALUE, got {item!r}")
        kwargs[key] = checks.env_value(value)
    return kwargs


def run_eval(args: argparse.Namespace) -> int:
    task = get_task(args.task)
    policies = [p.strip() for p in args.policy.split(",") if p.strip()]
    if not policies:
        raise UserError("--policy names no policy")
    for name in policies:  # fail on a bad name before any episode is played
        check_policy_name(task, name)
    kwargs = env_kwargs(task, args)
    _preflight(task, policies, kwargs, args, args.episodes)
    for option in ("json", "traces"):
        if getattr(args, option):
            checks.check_output_file(getattr(args, option), f"--{option}")
    settings = settings_options.from_args(args)
    runs = student_runs(task, policies, args.run)
    context = {"scenario": kwargs.get("scenario"), "map": kwargs.get("map"), "teacher": args.teacher or "recorded"}
    results, cut = [], []
    traces = open_traces(args.traces)
    try:
        for name in policies:
            if cut:
                cut.append(name)
                continue
            options = _policy_options(task, name, args) | ({"run": runs[name]} if name in runs else {})
            hook = None if traces is None else traces.hook(name)
            try:
                result = evaluate(
                    task,
                    name,
                    args.episodes,
                    args.seed,
                    kwargs,
                    options,
                    progress=not args.quiet,
                    settings=settings,
                    on_stages=hook,
                )
            except KeyboardInterrupt:  # keep what finished; say what was cut
                cut.append(name)
                continue
            teacher = context["teacher"] if "teacher" in policy_spec_for(task, name).options else None
            result.context = context | {"teacher": teacher} | result.context
            results.append(result)
    finally:
        if traces is not None:
            traces.close()
    if results:
        reference = "optimal" if "optimal" in [r.policy for r in results] and len(results) > 1 else None
        print(format_table(results, reference=reference))
        if args.json:
            write_json(results, args.json)
            print(f"wrote {args.json}" + (" (the finished policies only)" if cut else ""))
    if args.traces:
        print(f"wrote {args.traces}")
    if cut:
        print(f"logicdistill: interrupted; not finished: {', '.join(cut)}", file=sys.stderr)
        return 130
    return 0


def student_runs(task: Task, policies: list[str], run: str | None) -> dict[str, str]:
    """The run folder each student policy will use, resolved once and named on one line each: which student
    plays is never a silent choice."""
    from logicdistill.student.runs import SHIPPED_DIR, resolve_run

    chosen = {}
    for name in policies:
        if "run" not in policy_spec_for(task, name).options:
            continue
        record = resolve_run(task.name, run, kind="kd" if name == "student-kd" else "ld")
        folder = Path(record.folder or "")
        origin = "shipped with the package" if folder.resolve().is_relative_to(SHIPPED_DIR) else "distilled"
        accuracy = record.metrics.get("heldout_accuracy")
        # a borrowed run (the pursuit adapter on a task with none) was measured on its own task: say which
        measured = "" if task.name in str(record.task).split(",") else f" on {record.task}"
        score = f", held-out selection accuracy {accuracy:.3f}{measured}" if isinstance(accuracy, (int, float)) else ""
        print(f"student of {name}: run {folder} ({origin}{score})", file=sys.stderr)
        chosen[name] = str(folder)
    return chosen


class _Traces:
    """``--traces FILE``: one JSON line per stage of every decision, as ``play`` prints them."""

    def __init__(self, path: str):
        Path(path).parent.mkdir(parents=True, exist_ok=True)  # checked writable up front, created only now
        self.file = open(path, "w", encoding="utf-8")  # noqa: SIM115 (closed by close())

    def hook(self, policy: str) -> Any:
        def write(seed: int, step: int, records: list[Any]) -> None:
            for record in records:
                line = {"policy": policy, "seed": seed, "step": step, **dataclasses.asdict(record)}
                self.file.write(json.dumps(line, default=_plain) + "\n")

        return write

    def close(self) -> None:
        self.file.close()


def open_traces(path: str | None) -> _Traces | None:
    return None if path is None else _Traces(path)


def _plain(value: Any) -> Any:
    """numpy numbers and tuples in a result, as JSON."""
    if hasattr(value, "tolist"):
        return value.tolist()
    return str(value)


def run_play(args: argparse.Namespace) -> int:
    task = get_task(args.task)
    check_policy_name(task, args.policy)
    _preflight(task, [args.policy], env_kwargs(task, args), args, 1)
    if args.render:
        checks.check_render(task, args.render)
    if args.frame is not None and not (args.render or "").lower().endswith(".png"):
        raise UserError("--frame chooses the still frame of --render FILE.png")
    if args.html:
        checks.check_output_file(args.html, "--html", (".html", ".htm"))
    if args.batch is not None:
        print("note: --batch has no effect on play (one episode); eval plays episodes in lockstep")
    runs = student_runs(task, [args.policy], args.run)
    options = _policy_options(task, args.policy, args) | ({"run": runs[args.policy]} if args.policy in runs else {})
    policy = make_policy(task, args.policy, settings_options.from_args(args), **options)
    env = make_env(task, env_kwargs(task, args))
    frames = []
    recorder = None
    if args.html:
        from logicdistill.serve.recording import Recorder

        recorder = Recorder(task, args.policy, policy, args.seed)

    def on_step(t: int, action: Any, obs: Any, reward: float, info: dict[str, Any]) -> None:
        print("=== start" if t == 0 else f"--- step {t}: action {_action_text(action)}  reward {reward:+g}")
        arrived = task.arrived_rules_text(env, info)
        if arrived:
            print(f"NEW RULE: {arrived}")
        if policy.last_trace:
            print(policy.last_trace)
        print(task.describe(env))
        if args.render:
            frames.append(task.frame(env))
        if recorder is not None:
            recorder.on_step(t, action, env, reward, info, False)

    try:
        record = play_episode(task, env, policy, args.seed, on_step=on_step)
    finally:
        policy.close()
    print(f"=== episode over after {record.steps} steps, return {record.total_reward:+g}")
    for key, value in record.stats.items():
        print(f"  {key}: {value}")
    if args.render:
        save_render(frames, args.render, args.frame)
    if recorder is not None:
        recorder.finish(env)
        recorder.write(args.html)
        print(f"wrote {args.html}")
    env.close()
    return 0


def _preflight(task: Any, policies: list[str], kwargs: dict[str, Any], args: argparse.Namespace, episodes: int) -> None:
    """Everything that can be checked before a policy is built or an episode played."""
    checks.check_seeds(args.seed, episodes)
    checks.require_ml_for(task, policies)
    checks.check_run_dir(args.run)
    checks.check_env(task, kwargs)


def _policy_options(task: Task, name: str, args: argparse.Namespace) -> dict[str, Any]:
    """The command-line options that policy ``name`` takes (its registry entry lists them)."""
    given = {"teacher": args.teacher, "rule_teacher": args.rule_teacher, "run": args.run}
    return policy_spec_for(task, name).take(given)


def _action_text(action: Any) -> str:
    return str(action.tolist() if hasattr(action, "tolist") else action)


def save_render(frames: list[Any], path: str, frame: int | None = None) -> None:
    """``.gif``: the episode as an animation; ``.png``: one still frame (the last, or ``frame``), since most
    viewers show an animated PNG as its first frame only."""
    frames = [f for f in frames if f is not None]
    if not frames:
        raise UserError("this task draws no pictures; --render is not available")
    Path(path).parent.mkdir(parents=True, exist_ok=True)  # checked writable up front, created only now
    if path.lower().endswith(".png"):
        if frame is not None and frame >= len(frames):
            raise UserError(f"--frame {frame}: the episode has frames 0..{len(frames) - 1}")
        frames[-1 if frame is None else frame].save(path)
    else:
        frames[0].save(path, save_all=True, append_images=frames[1:], duration=400, loop=0)
    print(f"wrote {path}")
