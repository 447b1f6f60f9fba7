"""The contract every task meets, so that evaluation, the teacher and the student serve any task.

A task is a Gymnasium environment plus what LD needs around it: the rules text ``x``, the stage
layout of one decision step, the policies it offers, and how an episode becomes metrics. A user
adds a task by subclassing :class:`Task` and calling :func:`logicdistill.tasks.register_task`.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym

from logicdistill.errors import UserError


@dataclass(frozen=True)
class Stage:
    """One stage of a decision step: what it must produce, and what the next stage receives."""

    name: str
    produces: str


@dataclass(frozen=True)
class RuleEvent:
    """A rule that arrives mid-task (Eq. 6): its kind, text, the state fact that marks it (``<kind>_in_force``),
    its parameters as JSON, and where a plugin that brings the rule keeps its recorded reply (optional)."""

    kind: str
    text: str
    fact: str
    params: dict[str, Any]
    recorded_dir: Path | None = None  # holds <task>/eq6_<kind>.md


class StatelessUnsupported(UserError):
    """The task cannot rebuild a decision's inputs from a state JSON (it needs its live environment)."""


# args -> the sandbox's CallResult (``.ok``, ``.value``, ``.kind``, ``.reason``) of the function under check
Caller = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class TaskCheck:
    """A task property check run at admission: ``run(function, call)`` returns None when it holds, else one line
    saying what went wrong.

    ``function`` is the candidate (``.name``, ``.source``, ``.manual`` with ``.stages`` and ``.examples``);
    ``call(args)`` runs it in the sandbox. ``stages`` limits the check to functions serving one of those stages
    (None: every function).
    """

    name: str
    run: Callable[[Any, Caller], str | None]
    stages: tuple[str, ...] | None = None

    def applies_to(self, function: Any) -> bool:
        return self.stages is None or any(s in self.stages for s in function.manual.stages)


def results_equal(got: Any, want: Any, tol: float = 1e-6) -> bool:
    """Equal as JSON data (tuples are lists), floats within ``tol``."""
    got, want = json.loads(json.dumps(got)), json.loads(json.dumps(want))
    return _equal(got, want, tol)


def _equal(a: Any, b: Any, tol: float) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=tol, abs_tol=tol)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k], tol) for k in a)
    return a == b


@dataclass
class EpisodeRecord:
    """What one played episode leaves for the metrics (task-specific fields go in ``stats``)."""

    seed: int
    steps: int
    total_reward: float
    stats: dict[str, Any] = field(default_factory=dict)


class Policy(ABC):
    """Chooses actions. ``reset`` is called at the start of every episode with the episode seed.

    The runner calls ``metrics()`` once after the last episode (its entries join the task's metrics) and
    ``close()`` at the end, whatever happened; ``play`` prints ``last_trace`` after every step.
    """

    name: str = "policy"

    def reset(self, env: gym.Env, seed: int) -> None:  # noqa: B027 - optional hook
        """Prepare for an episode on ``env`` (the unwrapped environment)."""

    @abstractmethod
    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        """Return an action from the environment's action space."""

    def metrics(self) -> dict[str, float]:
        """The policy's own metrics over everything it played (e.g. ``selection_accuracy``); none by default."""
        return {}

    @property
    def last_trace(self) -> str:
        """How the last action was decided, as text lines (stage by stage for LD policies); empty by default."""
        return ""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release workers, files and models."""


PolicyFactory = Callable[..., Policy]


FACT_SCAN_STEPS = 40  # random steps per episode when a task's fact names are found by playing (Task.fact_names)


class Task(ABC):
    """A decision task with its environment, rules, stage layout, policies and metrics."""

    name: str
    description: str
    env_id: str
    stages: tuple[Stage, ...] = ()
    # A folder laid out like the package's recorded teacher (``<recorded_dir>/<task>/eq1_base.md``,
    # ``eq6_<kind>.md``): a plugin ships its recorded teacher here; ``--teacher recorded`` reads it.
    recorded_dir: Path | None = None

    @abstractmethod
    def rules_text(self) -> str:
        """The rules ``x`` as the teacher and the student read them."""

    @abstractmethod
    def make_env(self, **kwargs: Any) -> gym.Env:
        """A fresh environment (``kwargs`` are the task's environment arguments)."""

    @abstractmethod
    def policies(self) -> dict[str, PolicyFactory]:
        """Policy name -> factory ``(task, **options) -> Policy``."""

    @abstractmethod
    def episode_stats(self, env: gym.Env, infos: list[dict[str, Any]], rewards: list[float]) -> dict[str, Any]:
        """Per-episode facts for ``aggregate`` (called once the episode has ended)."""

    @abstractmethod
    def aggregate(self, records: list[EpisodeRecord]) -> dict[str, float]:
        """Metrics over episodes, named as the shared metric names where one fits (README: Reading the results)."""

    # --- What Logic Distillation needs from a task (the function base, the teacher, the student) ---

    def state_format(self) -> str:
        """How the JSON state that functions receive is laid out (shown to the teacher)."""
        raise UserError(f"task {self.name!r} declares no function-base state format")

    def stage_hint(self) -> str:
        """A hint on the stage layout for the teacher (may be empty)."""
        return ""

    def state_json(self, env: gym.Env) -> dict[str, Any]:
        """The state as JSON data, the ``state`` argument of every function."""
        raise UserError(f"task {self.name!r} declares no function-base state")

    def state_facts(self, env: gym.Env) -> dict[str, bool]:
        """Yes/no facts visible in the state (e.g. which emergency rules are in force)."""
        return {}

    def state_text(self, env: gym.Env) -> str:
        """The state as the student reads it: short, with the deciding facts as yes/no lines."""
        return self.describe(env)

    def rule_events(self, env: gym.Env, info: dict[str, Any]) -> list[RuleEvent]:
        """The rules arriving with this step's info (Eq. 6 inputs); none by default. A rule's fact, true in
        ``state_facts`` while it is in force, is named ``<kind>_in_force``."""
        return []

    def arrived_rules_text(self, env: gym.Env, info: dict[str, Any]) -> str | None:
        """The text of the rules arriving with this step's info (``rule_events``), one per line, for ``play``'s
        trace and the viewer; None when none arrives."""
        return "\n".join(event.text for event in self.rule_events(env, info)) or None

    def rule_kinds(self) -> tuple[str, ...]:
        """The kinds of rule that may arrive mid-task; each gives the fact ``<kind>_in_force``. None by default."""
        return ()

    def fact_names(self) -> tuple[str, ...]:
        """The yes/no facts a state can show, which function conditions may read (SPEC §8), ``<kind>_in_force``
        aside. By default: every ``state_facts`` name seen along a few seeded episodes of random actions (facts
        that come and go mid-episode are found too); a task whose facts are rare should list them."""
        names: dict[str, None] = {}
        try:
            env = self.make_env()
        except Exception:  # noqa: BLE001 - a task that cannot play here just declares no state facts
            return ()
        try:
            for seed in range(3):
                env.reset(seed=seed)
                env.action_space.seed(seed)
                names.update(dict.fromkeys(self.state_facts(env)))
                for _ in range(FACT_SCAN_STEPS):
                    _, _, terminated, truncated, _ = env.step(env.action_space.sample())
                    names.update(dict.fromkeys(self.state_facts(env)))
                    if terminated or truncated:
                        break
        except Exception:  # noqa: BLE001 - a space that cannot sample, a step that fails: keep what was seen
            pass
        finally:
            env.close()
        return tuple(n for n in names if not n.endswith("_in_force"))

    def rollout_env_args(self, kind: str | None = None, env: gym.Env | None = None) -> list[dict[str, Any]]:
        """Environment arguments for the seeded rollouts that check conditions against the teacher's program
        (``kind``: a rule's kind, for its Eq. 6 functions; ``env``: where that rule arrived, when known). An
        empty list: no rollout, the check is skipped."""
        return [{}] if kind is None else []

    def env_options(self) -> dict[str, str]:
        """Environment arguments offered as command-line flags (``--map X`` for ``map``): name -> help line.
        Every other argument goes through ``--env-arg KEY=VALUE``."""
        return {}

    def trace_tag(self, env: gym.Env, info: dict[str, Any]) -> str:
        """A short label stored with each distillation trace (pursuit: the map), for held-out splits; may be
        empty."""
        return ""

    def action_choices(self, env: gym.Env) -> dict[str, Any]:
        """Every action by a short name, for students that pick raw actions (student-direct, student-kd)."""
        raise UserError(f"task {self.name!r} names no actions for direct action selection")

    def fallback_action(self, env: gym.Env) -> Any:
        """The action taken when no stage could produce one (counted as an invalid call)."""
        return env.action_space.sample()

    def action_from_result(self, result: Any, env: gym.Env) -> Any:
        """The environment action that the last stage's result stands for."""
        return result

    def distill_splits(self) -> dict[str, list[dict[str, Any]]]:
        """Environment arguments for training traces and for held-out traces (e.g. different maps)."""
        return {"train": [{}], "heldout": [{}]}

    def function_checks(self) -> list[TaskCheck]:
        """Task property checks run at admission."""
        return []

    # --- Stateless decisions (``logicdistill serve``): everything a decision needs, from the state JSON alone ---
    # A served decision has no environment: the client sends ``state_json`` and the task rebuilds the facts,
    # the prompt text and the rules in force from it. ``check-task`` checks that these equal the live views.

    def state_schema(self) -> dict[str, Any]:
        """The JSON schema of ``state_json`` (shown at ``GET /v1/tasks/{task}``; requests are checked against
        it). The default accepts any JSON object."""
        return {"type": "object"}

    def state_problem(self, state: dict[str, Any]) -> str | None:
        """Why a state that fits ``state_schema`` still cannot occur (a unit off the board, a count that does
        not match), as one line; None when it can. Served decisions refuse such a state with a 422 instead of
        answering a move for a board that does not exist. The default finds nothing."""
        return None

    def facts_from_state(self, state: dict[str, Any]) -> dict[str, bool]:
        """``state_facts`` rebuilt from a state JSON; a task without yes/no facts keeps this default."""
        if type(self).state_facts is not Task.state_facts:
            raise StatelessUnsupported(f"task {self.name!r} cannot rebuild its facts from a state JSON")
        return {}

    def text_from_state(self, state: dict[str, Any]) -> str:
        """``state_text`` rebuilt from a state JSON (what the student reads)."""
        raise StatelessUnsupported(f"task {self.name!r} cannot rebuild its state text from a state JSON")

    def rules_from_state(self, state: dict[str, Any]) -> list[RuleEvent]:
        """The rules in force in a state JSON, oldest first (each adopted through Eq. 6 once); none by default."""
        return []

    def action_from_state_result(self, result: Any, state: dict[str, Any]) -> Any:
        """The action a last-stage result stands for, with no environment (default: the result itself)."""
        return result

    def supports_stateless(self) -> bool:
        """Whether the task declares stateless decisions (overrides ``text_from_state``)."""
        return type(self).text_from_state is not Task.text_from_state

    def describe(self, env: gym.Env) -> str:
        """The state as text, for ``play`` and for prompts (tasks override with their own rendering)."""
        return str(env.unwrapped)

    def board(self, env: gym.Env, done: bool = False) -> dict[str, Any] | None:
        """What the viewer draws for the state (``serve``'s ``/`` and ``play --html``), or None for the
        ``describe`` text alone. A grid: ``{"kind": "grid", "height": H, "width": W, "units": [{"cell": [r, c],
        "label": str, "role": "pursuer" | "evader" | "caught"}], "obstacles": [[r, c], ...], "marked": [[r, c],
        ...], "labels": [{"cell": [r, c], "label": str}], "walls": [[[r, c], [r, c + 1]], ...]}`` (all but the
        first three optional); cards: ``{"kind": "cards", "player": [int], "dealer": [int]}`` (0: face down).
        ``done``: the episode has ended (a card game shows its hidden cards then)."""
        return None

    def frame(self, env: gym.Env) -> Any:
        """The state as a PIL image for ``play --render``, or None when the task draws no pictures."""
        return None
