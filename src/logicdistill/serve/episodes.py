"""Episodes the viewer plays step by step: several policies side by side on one seed.

Every policy of an episode plays its own environment, made with the same seed and arguments, so they face
the same start. A step advances every policy that has not finished and returns, per policy, the board, the
action, the reward and the stage trace (the same JSON as ``/v1/decide``). Episodes live in memory, a few at a
time (the oldest is closed when a new one would exceed the cap), and steps of one episode never overlap.
"""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from logicdistill.serve.answers import jsonable, stage_answer
from logicdistill.serve.board import board
from logicdistill.tasks.base import Policy, Task

MAX_EPISODES = 8
MAX_POLICIES = 4
MAX_EPISODE_STUDENTS = 4  # student models the live episodes may hold besides the served one


@dataclass
class _Player:
    name: str
    policy: Policy
    env: Any
    obs: Any = None
    info: dict[str, Any] = field(default_factory=dict)
    done: bool = False
    total: float = 0.0
    adopted: int = 0


@dataclass
class Episode:
    id: str
    task: Task
    seed: int
    players: list[_Player]
    step: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> dict[str, Any]:
        for p in self.players:
            p.obs, p.info = p.env.reset(seed=self.seed)
            p.policy.reset(p.env.unwrapped, self.seed)
        return self.snapshot([{"action": None, "reward": 0.0, "stages": [], "new_functions": []}] * len(self))

    def __len__(self) -> int:
        return len(self.players)

    def advance(self) -> dict[str, Any]:
        with self.lock:
            moves = []
            for p in self.players:
                if p.done:
                    moves.append({"action": None, "reward": 0.0, "stages": [], "new_functions": []})
                    continue
                action = p.policy.act(p.obs, p.info)
                records = list(getattr(p.policy, "last_records", []) or [])
                new = _new_functions(p)
                p.obs, reward, terminated, truncated, p.info = p.env.step(action)
                p.total += float(reward)
                p.done = bool(terminated or truncated)
                moves.append(
                    {
                        "action": jsonable(action),
                        "reward": float(reward),
                        "stages": [stage_answer(r) for r in records],
                        "new_functions": new,
                    }
                )
            self.step += 1
            return self.snapshot(moves)

    def snapshot(self, moves: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "episode": self.id,
            "task": self.task.name,
            "seed": self.seed,
            "step": self.step,
            "done": all(p.done for p in self.players),
            "players": [
                {
                    "policy": p.name,
                    "board": board(self.task, p.env, p.done),
                    "done": p.done,
                    "total": p.total,
                    "rule": self.task.arrived_rules_text(p.env, p.info),
                    **move,
                }
                for p, move in zip(self.players, moves, strict=True)
            ],
        }

    def close(self) -> None:
        for p in self.players:
            p.policy.close()
            p.env.close()


def _new_functions(player: _Player) -> list[str]:
    """Functions adopted for a rule during the last ``act`` (the session's adoptions since the last look)."""
    session = getattr(player.policy, "session", None)
    adoptions = list(getattr(session, "adoptions", []) or [])
    new = [n for a in adoptions[player.adopted :] for n in a.new_functions]
    player.adopted = len(adoptions)
    return new


def _own_students(episode: Episode, shared: Any) -> int:
    """Players of ``episode`` holding a student model of their own (not the served policy's, ``shared``)."""
    held = (getattr(p.policy, "student", None) for p in episode.players)
    return sum(1 for s in held if s is not None and s is not shared)


class EpisodeBook:
    def __init__(self, limit: int = MAX_EPISODES, max_students: int = MAX_EPISODE_STUDENTS):
        self.limit, self.max_students = limit, max_students
        self._episodes: OrderedDict[str, Episode] = OrderedDict()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, task: Task, seed: int, players: list[tuple[str, Policy, Any]], shared: Any = None) -> Episode:
        """Keep the new episode; close the oldest while there are more than ``limit`` episodes or their players
        hold more than ``max_students`` student models besides ``shared`` (each is a gigabyte or two)."""
        episode = Episode(f"e{next(self._ids)}", task, seed, [_Player(n, pol, env) for n, pol, env in players])
        old = []
        with self._lock:
            self._episodes[episode.id] = episode
            students = sum(_own_students(e, shared) for e in self._episodes.values())
            while len(self._episodes) > 1 and (len(self._episodes) > self.limit or students > self.max_students):
                oldest = self._episodes.popitem(last=False)[1]
                students -= _own_students(oldest, shared)
                old.append(oldest)
        for e in old:
            e.close()
        return episode

    def get(self, episode_id: str) -> Episode | None:
        with self._lock:
            return self._episodes.get(episode_id)

    def close(self) -> None:
        with self._lock:
            episodes, self._episodes = list(self._episodes.values()), OrderedDict()
        for e in episodes:
            e.close()
