"""The evaluation runner: N episodes with paired seeds (episode i uses ``seed + i`` for every policy)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
from tqdm import tqdm

from logicdistill.agent.stages import drive
from logicdistill.errors import UserError
from logicdistill.evaluation.lockstep import StepHook, episode_steps, play_lockstep, supports_lockstep
from logicdistill.extras import ML_MODULES, ml_error
from logicdistill.tasks.base import EpisodeRecord, Policy, PolicyFactory, Task


@dataclass
class EvalResult:
    """One policy's evaluation; ``metrics`` uses the shared metric names (README: Reading the results)."""

    task: str
    policy: str
    episodes: int
    seed: int
    metrics: dict[str, float]
    records: list[EpisodeRecord] = field(default_factory=list, repr=False)


def policy_factories(task: Task) -> dict[str, PolicyFactory]:
    """The task's own policies plus the LD policies when the task declares a stage layout."""
    from logicdistill.agent.policies import LD_POLICIES

    return task.policies() | (LD_POLICIES if task.stages else {})


def _prefixed_factory(name: str) -> PolicyFactory | None:
    """A policy named by a prefix and an argument (``remote:URL``), or None. Kept apart: the policy registry
    will hold prefix entries."""
    from logicdistill.agent.remote_policy import PREFIX, RemotePolicy, parse_remote

    if not name.startswith(PREFIX):
        return None
    parse_remote(name)
    return lambda task, **options: RemotePolicy(task, name, **options)


def check_policy_name(task: Task, name: str) -> None:
    if _prefixed_factory(name) is not None:
        return
    factories = policy_factories(task)
    if name not in factories:
        choices = ", ".join(sorted(factories))
        raise UserError(f"unknown policy {name!r} for task {task.name!r}: choose one of {choices} (or remote:URL)")


def make_policy(task: Task, name: str, **options: Any) -> Policy:
    """The task's policy called ``name``, or a UserError naming the choices."""
    check_policy_name(task, name)
    try:
        policy = (_prefixed_factory(name) or policy_factories(task)[name])(task, **options)
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
        raise UserError(f"bad environment argument for task {task.name!r}: {err}") from None


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
    batch: int | None = None,
) -> EvalResult:
    """Play ``episodes`` episodes and aggregate them (plus the policy's own metrics, if it keeps any).

    ``batch`` > 1 plays that many episodes in lockstep when the policy can (the LD policies; lockstep.py),
    with the same choices; other policies play one episode after another whatever ``batch`` says. None: the
    policy's own ``lockstep_batch`` (measured for its device), else 1.
    """
    if episodes < 1:
        raise UserError(f"--episodes must be at least 1, got {episodes}")
    if batch is not None and batch < 1:
        raise UserError(f"--batch must be at least 1, got {batch}")
    env = make_env(task, env_kwargs or {})
    policy = make_policy(task, policy_name, **(policy_kwargs or {}))
    batch = batch or int(getattr(policy, "lockstep_batch", 1))
    start = time.perf_counter()
    envs = [env]
    bar = tqdm(total=episodes, desc=f"{task.name}/{policy_name}", unit="ep", disable=not progress, leave=False)
    try:
        seeds = [seed + i for i in range(episodes)]
        if batch > 1 and supports_lockstep(policy):
            envs += [make_env(task, env_kwargs or {}) for _ in range(min(batch, episodes) - 1)]
            records = play_lockstep(task, envs, policy, seeds, on_episode=lambda _: bar.update(1))
        else:
            records = []
            for episode_seed in seeds:
                records.append(play_episode(task, env, policy, episode_seed))
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
    return EvalResult(task.name, policy_name, episodes, seed, metrics, records)
