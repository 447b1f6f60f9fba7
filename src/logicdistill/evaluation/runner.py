"""The evaluation runner: N episodes with paired seeds (episode i uses ``seed + i`` for every policy)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

from logicdistill.agent.registry import PolicySpec, registered, task_policy
from logicdistill.agent.registry import names as registry_names
from logicdistill.agent.stages import drive
from logicdistill.errors import UserError
from logicdistill.evaluation.lockstep import StepHook, episode_steps, play_lockstep
from logicdistill.extras import ML_MODULES, ml_error
from logicdistill.progress import progress_bar
from logicdistill.settings import Settings
from logicdistill.tasks.base import EpisodeRecord, Policy, Task


@dataclass
class EvalResult:
    """One policy's evaluation; ``metrics`` uses the shared metric names (README: Reading the results)."""

    task: str
    policy: str
    episodes: int
    seed: int
    metrics: dict[str, float]
    records: list[EpisodeRecord] = field(default_factory=list, repr=False)
    # what the numbers were measured on, for the results JSON: run, base_version (set here), scenario, map,
    # teacher (set by the command)
    context: dict[str, Any] = field(default_factory=dict)


def policy_specs(task: Task) -> dict[str, PolicySpec]:
    """The task's own policies, then the registry's (agent/registry.py; those that need a stage layout only
    when the task declares one), by name; a prefix entry is listed under its prefix (``remote:``)."""
    import logicdistill.agent.policies  # noqa: F401 - registers the built-in policies

    own = {name: task_policy(name, factory) for name, factory in task.policies().items()}
    return own | {s.name: s for s in registered(has_stages=bool(task.stages))}


def policy_spec_for(task: Task, name: str) -> PolicySpec:
    """The entry that builds policy ``name`` for ``task`` (a prefix entry for ``remote:URL``), or a UserError
    naming the choices."""
    specs = policy_specs(task)
    spec = specs.get(name) or next((s for s in specs.values() if s.is_prefix and s.matches(name)), None)
    if spec is None:
        choices = ", ".join(sorted(registry_names(specs.values())))
        raise UserError(f"unknown policy {name!r} for task {task.name!r}: choose one of {choices}")
    return spec


def check_policy_name(task: Task, name: str) -> None:
    policy_spec_for(task, name)


def make_policy(task: Task, name: str, settings: Settings | None = None, **options: Any) -> Policy:
    """The task's policy called ``name`` under ``settings``, or a UserError naming the choices. ``options`` go to
    the policy as they are (the CLI passes only those its entry takes: ``PolicySpec.take``)."""
    spec = policy_spec_for(task, name)
    if spec.is_prefix:
        options = {"target": name[len(spec.name) :]} | options
    try:
        policy = spec.factory(task, settings=settings or Settings(), **options)
    except ModuleNotFoundError as err:
        # A student policy without the [ml] extra: say how to install it. Other missing modules are bugs.
        if (err.name or "").split(".")[0] not in ML_MODULES:
            raise
        raise ml_error(f"policy {name!r}", [err.name]) from None
    if not isinstance(policy, Policy):  # the runner relies on the Policy contract (metrics, close, last_trace)
        kind = type(policy).__name__
        raise UserError(f"policy {name!r} of task {task.name!r} is a {kind}, not a logicdistill Policy subclass")
    return policy


def make_env(task: Task, env_kwargs: dict[str, Any]) -> gym.Env:
    """The task's environment; an argument it does not take is the user's error, not a traceback."""
    try:
        return task.make_env(**env_kwargs)
    except TypeError as err:
        raise UserError(f"bad environment argument for task {task.name!r}: {_env_arg_problem(err)}") from None
    except ValueError as err:  # an argument of the right name the env refuses (--env-arg steps=abc)
        if not env_kwargs:
            raise  # with no argument, the task itself is broken: a bug to see whole
        given = ", ".join(f"{k}={v!r}" for k, v in env_kwargs.items())
        raise UserError(
            f"bad environment argument for task {task.name!r} ({given}): {type(err).__name__}: {str(err)[:200]}"
        ) from None


def _env_arg_problem(err: TypeError) -> str:
    """The argument Python named, not Gymnasium's account of the creator and every keyword it was given."""
    import re

    found = re.search(r"unexpected keyword argument '([^']+)'", str(err))
    if found:
        return f"it takes no argument {found.group(1)!r} (a task's own options: `logicdistill tasks`)"
    return str(err).split(" was raised from the environment creator")[0][:200]


def play_episode(task: Task, env: gym.Env, policy: Policy, seed: int, on_step: StepHook | None = None) -> EpisodeRecord:
    """Play one episode to its end; ``on_step(t, action, obs, reward, info)`` sees the start (t=0) and every step."""
    return drive(episode_steps(task, env, policy, seed, on_step), _no_views, _no_calls)


def _no_views(view: Any) -> Any:
    raise TypeError("a Policy answers its own stage views in act(); play slots with play_lockstep")


def _no_calls(requests: Any) -> Any:
    raise TypeError("a Policy makes its own sandbox calls in act(); play slots with play_lockstep")


def evaluate(
    task: Task,
    policy_name: str,
    episodes: int,
    seed: int,
    env_kwargs: dict[str, Any] | None = None,
    policy_kwargs: dict[str, Any] | None = None,
    progress: bool = True,
    settings: Settings | None = None,
    on_stages: StagesHook | None = None,
) -> EvalResult:
    """Play ``episodes`` episodes and aggregate them (plus the policy's own metrics, if it keeps any).

    A policy whose registry entry plays in lockstep plays ``settings.episodes_at_once`` episodes side by side
    (lockstep.py; None: the default of the device its student runs on), with the same choices as one after
    another; other policies play one episode after another.

    ``on_stages(seed, step, records)`` receives every decision's stage records (``eval --traces``); the
    episodes are then played one after another (the choices are the same in lockstep).
    """
    if episodes < 1:
        raise UserError(f"--episodes must be at least 1, got {episodes}")
    settings = settings or Settings()
    spec = policy_spec_for(task, policy_name)
    env = make_env(task, env_kwargs or {})
    policy = make_policy(task, policy_name, settings, **(policy_kwargs or {}))
    student = getattr(policy, "student", None)
    batch = settings.episodes_for(str(getattr(student, "device", "cpu"))) if spec.lockstep else 1
    start = time.perf_counter()
    envs = [env]
    bar = progress_bar(total=episodes, desc=f"{task.name}/{policy_name}", unit="ep", disable=not progress, leave=False)
    try:
        seeds = [seed + i for i in range(episodes)]
        if batch > 1 and on_stages is None:
            envs += [make_env(task, env_kwargs or {}) for _ in range(min(batch, episodes) - 1)]
            records = play_lockstep(task, envs, policy, seeds, on_episode=lambda _: bar.update(1))
        else:
            records = []
            for episode_seed in seeds:
                hook = None if on_stages is None else _stage_hook(policy, episode_seed, on_stages)
                records.append(play_episode(task, env, policy, episode_seed, on_step=hook))
                bar.update(1)
    finally:
        bar.close()
        for e in envs:
            e.close()
        policy.close()
    wall = time.perf_counter() - start
    metrics = dict(task.aggregate(records))
    metrics.update(policy.metrics())
    decisions = sum(r.steps for r in records)
    metrics["decisions_per_s"] = decisions / wall if wall > 0 else float("inf")
    metrics["wall_s"] = wall
    return EvalResult(task.name, policy_name, episodes, seed, metrics, records, policy_context(policy))


def policy_context(policy: Policy) -> dict[str, Any]:
    """The student run and the Eq. 1 base version a policy played with (absent where it has none)."""
    context: dict[str, Any] = {}
    run = getattr(policy, "run", None)
    if getattr(run, "folder", None) is not None:
        context["run"] = str(run.folder)
    session = getattr(policy, "session", None)
    if getattr(session, "eq1_version", None) is not None:
        context["base_version"] = session.eq1_version
    return context


# ``eval --traces``: (episode seed, step, that decision's StageRecords)
StagesHook = Callable[[int, int, list[Any]], None]


def _stage_hook(policy: Policy, seed: int, on_stages: StagesHook) -> StepHook:
    def hook(t: int, action: Any, obs: Any, reward: float, info: dict[str, Any]) -> None:
        if t > 0:  # t = 0 is the start: no decision yet
            on_stages(seed, t, list(getattr(policy, "last_records", None) or []))

    return hook
