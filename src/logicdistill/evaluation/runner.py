"""The evaluation runner: N episodes with paired seeds (episode i uses ``seed + i`` for every policy)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
from tqdm import tqdm

from logicdistill.errors import UserError
from logicdistill.extras import ML_MODULES, ml_error
from logicdistill.tasks.base import EpisodeRecord, Policy, PolicyFactory, Task

StepHook = Callable[[int, Any, Any, float, dict[str, Any]], None]


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


def check_policy_name(task: Task, name: str) -> None:
    factories = policy_factories(task)
    if name not in factories:
        raise UserError(f"unknown policy {name!r} for task {task.name!r}: choose one of {', '.join(sorted(factories))}")


def make_policy(task: Task, name: str, **options: Any) -> Policy:
    """The task's policy called ``name``, or a UserError naming the choices."""
    check_policy_name(task, name)
    try:
        policy = policy_factories(task)[name](task, **options)
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
    obs, info = env.reset(seed=seed)
    policy.reset(env.unwrapped, seed)
    if on_step is not None:
        on_step(0, None, obs, 0.0, info)
    infos, rewards = [info], []
    terminated = truncated = False
    while not (terminated or truncated):
        action = policy.act(obs, info)
        obs, reward, terminated, truncated, info = env.step(action)
        infos.append(info)
        rewards.append(float(reward))
        if on_step is not None:
            on_step(len(rewards), action, obs, float(reward), info)
    stats = task.episode_stats(env.unwrapped, infos, rewards)
    return EpisodeRecord(seed=seed, steps=len(rewards), total_reward=sum(rewards), stats=stats)


def evaluate(
    task: Task,
    policy_name: str,
    episodes: int,
    seed: int,
    env_kwargs: dict[str, Any] | None = None,
    policy_kwargs: dict[str, Any] | None = None,
    progress: bool = True,
) -> EvalResult:
    """Play ``episodes`` episodes and aggregate them (plus the policy's own metrics, if it keeps any)."""
    if episodes < 1:
        raise UserError(f"--episodes must be at least 1, got {episodes}")
    env = make_env(task, env_kwargs or {})
    policy = make_policy(task, policy_name, **(policy_kwargs or {}))
    start = time.perf_counter()
    records = []
    bar = tqdm(range(episodes), desc=f"{task.name}/{policy_name}", unit="ep", disable=not progress, leave=False)
    try:
        for i in bar:
            records.append(play_episode(task, env, policy, seed + i))
    finally:
        env.close()
        policy.close()
    wall = time.perf_counter() - start
    metrics = dict(task.aggregate(records))
    metrics.update(policy.metrics())
    decisions = sum(r.steps for r in records)
    metrics["decisions_per_s"] = decisions / wall if wall > 0 else float("inf")
    metrics["wall_s"] = wall
    return EvalResult(task.name, policy_name, episodes, seed, metrics, records)
