"""Episodes in lockstep: B episodes at once, every stage of every live episode scored in one forward pass.

Design: the policy code stays sequential and is written once. An episode is a generator
(:func:`episode_steps`) that runs the ordinary loop (reset, then act and step until the end) and, inside a
step, the one stage loop of agent/stages.py. Where a decision waits on the student or on the sandbox it
*yields* the request (a ``StageView``, or ``Calls``) instead of answering it itself. Played alone
(:func:`play_episode` in runner.py) every request is answered at once; here the driver keeps B episodes
in flight, collects their pending requests each round and answers them together:

- all stage views through ``policy.choose_many``: their retrieval queries embedded in one call, their
  prompts scored by one ``Student.select_batch`` (grouped by stage prompt, the prefix KV computed once;
  one forward pass per ``Student.rows`` prompts: ``--rows``, else the device's default in
  settings.DEVICE_DEFAULTS);
- all sandbox calls in one ``Sandbox.call_many`` round trip.

Generators rather than threads: no locks, no barrier to size, and the order of everything that touches
shared state (the function-base store when a rule is adopted, the student's caches) is fixed, so a run is
reproducible. Each episode keeps its own environment and its own policy slot (its session, retrieval index
and counters: agent/ld_slot.py); the student, sandbox and embedder are shared. Episode i still uses
``seed + i``, and a free slot takes the next episode, so the records come back in episode order. The
choices equal those of the episodes played one after another, decision by decision (tests/evaluation/
test_lockstep.py); the probabilities agree to float rounding (a prompt scored in a batch runs through
matrix products of another shape, ~1e-5 in log-probability on the real model).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import gymnasium as gym

from logicdistill.agent.stages import Calls, Choice, StageView, Steps
from logicdistill.sandbox.pool import CallRequest, CallResult
from logicdistill.tasks.base import EpisodeRecord, Task

StepHook = Callable[[int, Any, Any, float, dict[str, Any]], None]


class LockstepPolicy(Protocol):
    """A policy that can play several episodes side by side (the LD policies): ``slots`` gives n players
    (each with ``reset`` and ``act_steps``), ``choose_many`` answers their stage views together and
    ``call_many`` their sandbox calls."""

    def slots(self, n: int) -> list[Any]: ...

    def choose_many(self, requests: Sequence[tuple[Any, StageView]]) -> list[Choice]: ...

    def call_many(self, requests: Sequence[CallRequest]) -> list[CallResult]: ...


def act_steps(agent: Any, observation: Any, info: dict[str, Any]) -> Steps[Any]:
    """The agent's next action as steps (a plain policy answers at once, yielding nothing)."""
    if hasattr(agent, "act_steps"):
        return (yield from agent.act_steps(observation, info))
    return agent.act(observation, info)


def episode_steps(
    task: Task, env: gym.Env, agent: Any, seed: int, on_step: StepHook | None = None
) -> Steps[EpisodeRecord]:
    """One episode to its end; ``on_step(t, action, obs, reward, info)`` sees the start (t=0) and every step."""
    obs, info = env.reset(seed=seed)
    agent.reset(env.unwrapped, seed)
    if on_step is not None:
        on_step(0, None, obs, 0.0, info)
    infos, rewards = [info], []
    terminated = truncated = False
    while not (terminated or truncated):
        action = yield from act_steps(agent, obs, info)
        obs, reward, terminated, truncated, info = env.step(action)
        infos.append(info)
        rewards.append(float(reward))
        if on_step is not None:
            on_step(len(rewards), action, obs, float(reward), info)
    stats = task.episode_stats(env.unwrapped, infos, rewards)
    return EpisodeRecord(seed=seed, steps=len(rewards), total_reward=sum(rewards), stats=stats)


@dataclass
class _Running:
    episode: int
    steps: Steps[EpisodeRecord]
    request: StageView | Calls


def play_lockstep(
    task: Task,
    envs: Sequence[gym.Env],
    policy: LockstepPolicy,
    seeds: Sequence[int],
    on_episode: Callable[[EpisodeRecord], None] | None = None,
) -> list[EpisodeRecord]:
    """Play one episode per seed, ``len(envs)`` at a time; the records in seed order."""
    slots = policy.slots(len(envs))
    waiting = deque(enumerate(seeds))
    records: list[EpisodeRecord | None] = [None] * len(seeds)
    running: list[_Running | None] = [None] * len(envs)

    def finish(episode: int, record: EpisodeRecord) -> None:
        records[episode] = record
        if on_episode is not None:
            on_episode(record)

    def advance(s: int, episode: int, steps: Steps[EpisodeRecord], reply: Any) -> None:
        """Send ``reply``; the slot then waits on its next request, or starts the next episode."""
        while True:
            try:
                running[s] = _Running(episode, steps, steps.send(reply))
                return
            except StopIteration as stop:
                finish(episode, stop.value)
            if not waiting:
                running[s] = None
                return
            episode, seed = waiting.popleft()
            steps, reply = episode_steps(task, envs[s], slots[s], seed), None

    for s in range(len(envs)):
        if waiting:
            episode, seed = waiting.popleft()
            advance(s, episode, episode_steps(task, envs[s], slots[s], seed), None)
    while any(r is not None for r in running):
        live = [(s, r) for s, r in enumerate(running) if r is not None]
        views = [(s, r) for s, r in live if isinstance(r.request, StageView)]
        calls = [(s, r) for s, r in live if isinstance(r.request, Calls)]
        replies: dict[int, Any] = {}
        if views:
            choices = policy.choose_many([(slots[s], r.request) for s, r in views])
            replies.update({s: c for (s, _), c in zip(views, choices, strict=True)})
        if calls:
            results = policy.call_many([q for _, r in calls for q in r.request.requests])  # type: ignore[union-attr]
            at = 0
            for s, r in calls:
                n = len(r.request.requests)  # type: ignore[union-attr]
                replies[s], at = results[at : at + n], at + n
        for s, r in live:
            advance(s, r.episode, r.steps, replies[s])
    return records  # type: ignore[return-value]
