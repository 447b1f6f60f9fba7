"""The Taxi task: Gymnasium's Taxi as a Logic Distillation task, judged against the exact optimum."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import gymnasium as gym
from logicdistill.errors import UserError
from logicdistill.tasks.base import EpisodeRecord, Policy, PolicyFactory, Stage, Task
from logicdistill.tasks.metrics import pooled_agreement, return_stats

from logicdistill_taxi import checks, oracle, state
from logicdistill_taxi.env import ACTION_NAMES, ENV_ID, SOUTH, make_taxi
from logicdistill_taxi.policies import HeuristicPolicy, OptimalPolicy, RandomPolicy

DELIVERY_REWARD = 20.0

RULES = """\
Taxi on a 5x5 grid. Rows are numbered 0 (north, top) to 4 (south, bottom), columns 0 (west) to 4 (east).
There are four stops: R at row 0 col 0, G at row 0 col 4, Y at row 4 col 0, B at row 4 col 3.
Walls stand between some side-by-side cells: between cols 1 and 2 in rows 0 and 1, between cols 0 and 1 in
rows 3 and 4, and between cols 2 and 3 in rows 3 and 4. The taxi cannot cross a wall or leave the grid;
such a move leaves it where it is. There are no walls between rows.
One passenger waits at one of the stops and wants to go to a different stop, the destination.
The taxi starts on any cell. Each step you choose one action: 0 = move south, 1 = move north,
2 = move east, 3 = move west, 4 = pick up the passenger, 5 = drop off the passenger.
A pickup works only on the passenger's stop while the passenger waits there; a drop-off with the passenger
aboard on the destination delivers the passenger and ends the episode. A drop-off with the passenger aboard
on another stop leaves the passenger waiting at that stop.
Rewards: -1 for every step, +20 instead for the delivering drop-off, and -10 instead for a pickup or a
drop-off that is not allowed (it changes nothing). The episode is cut off after 200 steps.
Your goal is the highest total reward: deliver the passenger in as few steps as possible."""


def _no_options(policy: str, options: dict[str, Any]) -> None:
    if options:
        raise UserError(f"policy {policy!r} takes no options, got {', '.join(sorted(options))}")


def _factory(name: str, cls: type[Policy]) -> PolicyFactory:
    def make(task: Task, **options: Any) -> Policy:
        _no_options(name, options)
        return cls()

    return make


class TaxiTask(Task):
    """Drive to the passenger, pick it up, drive to its destination, drop it off; the oracle is exact.

    ## Description
    Gymnasium's ``Taxi`` (Dietterich's MAXQ taxi domain) with its default arguments: a 5x5 grid with
    six walls and four stops R, G, Y, B. The passenger waits at one stop and wants to reach another;
    the taxi starts on any cell. The oracle is the exact optimal policy, by value iteration over the
    500 states of the environment's own transition table (``oracle.py``).

    ## Actions
    ``Discrete(6)``: 0 south, 1 north, 2 east, 3 west, 4 pickup, 5 drop-off.

    ## Observations
    ``Discrete(500)``: ``((taxi_row * 5 + taxi_col) * 5 + passenger) * 4 + destination`` with passenger
    0-3 a stop (R, G, Y, B) and 4 in the taxi. Functions of the base get it decoded, with the walls
    (``state.py``); the student reads it as text with the fact ``passenger_in_taxi: yes/no``.

    ## Rewards
    -1 per step, +20 for the delivering drop-off, -10 for an illegal pickup or drop-off.

    ## Episode End
    Termination: the passenger is delivered. Truncation: 200 steps (Gymnasium's ``TimeLimit``).

    ## Arguments
    ``make_env(**kwargs)`` passes ``kwargs`` to ``gymnasium.make`` (``render_mode``, ``is_rainy``, ...).
    The stage layout, the recorded base and the numbers assume the defaults.
    """

    name = "taxi"
    description = "Taxi (Gymnasium Taxi, 5x5 grid with walls): fetch the passenger and drop it at its destination"
    env_id = ENV_ID
    # Two stages: where to go now (its facts choose the next function), then the action.
    stages: tuple[Stage, ...] = state.STAGES
    # The recorded teacher replies this package ships, laid out as <recorded_dir>/taxi/eq1_base.md.
    recorded_dir = Path(__file__).parent / "recorded"

    def rules_text(self) -> str:
        return RULES

    def make_env(self, **kwargs: Any) -> gym.Env:
        """``gymnasium.make(env_id, **kwargs)`` with the 200-step limit, inside an info-only decision log."""
        return make_taxi(**kwargs)

    def policies(self) -> dict[str, PolicyFactory]:
        """The task's own baselines; the runner adds the LD policies because the task declares stages."""
        return {
            "optimal": _factory("optimal", OptimalPolicy),
            "random": _factory("random", RandomPolicy),
            "heuristic": _factory("heuristic", HeuristicPolicy),
        }

    def episode_stats(self, env: gym.Env, infos: list[dict[str, Any]], rewards: list[float]) -> dict[str, Any]:
        """The return, whether the passenger was delivered, agreement with the oracle, the optimal return."""
        decisions = [info for info in infos if "action_taken" in info]  # the reset info holds no decision
        solution = oracle.solution_for(env)
        return {
            "return": float(sum(rewards)),
            # +20 comes only with the delivering drop-off, which also ends the episode.
            "delivered": bool(rewards) and rewards[-1] == DELIVERY_REWARD,
            "agreeing_steps": sum(bool(info["agrees"]) for info in decisions),
            "decisions": len(decisions),
            # The optimal return from this episode's start: a paired yardstick for the same seed.
            "start_value": solution.value(decisions[0]["state"]) if decisions else float("nan"),
        }

    def aggregate(self, records: list[EpisodeRecord]) -> dict[str, float]:
        """Mean return (and its standard error), delivery rate, mean steps, pooled agreement, optimal return."""
        if not records:
            raise UserError("no episodes to aggregate")
        n = len(records)
        return {
            **return_stats(records),
            "success_rate": sum(bool(r.stats.get("delivered")) for r in records) / n,
            "mean_steps": sum(r.steps for r in records) / n,
            "action_agreement": pooled_agreement(records),
            "optimal_return": sum(float(r.stats.get("start_value", math.nan)) for r in records) / n,
            "episodes": n,
        }

    # --- Logic Distillation (see state.py and checks.py) ---

    def state_format(self) -> str:
        return state.STATE_FORMAT

    def stage_hint(self) -> str:
        return state.STAGE_HINT

    def state_json(self, env: gym.Env) -> dict[str, Any]:
        """The decoded state with the map: taxi, passenger_at, passenger_in_taxi, destination, stops, walls."""
        return state.state_json(env)

    def state_facts(self, env: gym.Env) -> dict[str, bool]:
        """``{"passenger_in_taxi": bool}``."""
        return state.state_facts(env)

    def fact_names(self) -> tuple[str, ...]:
        return ("passenger_in_taxi",)

    def state_text(self, env: gym.Env) -> str:
        """The state for student prompts, with the fact stated as ``passenger_in_taxi: yes/no``."""
        return state.state_text(env)

    def action_from_result(self, result: Any, env: gym.Env) -> int:
        """The act stage's result is the action itself, 0..5."""
        return state.action_from_result(result)

    def state_schema(self) -> dict[str, Any]:
        return state.STATE_SCHEMA

    def state_problem(self, state_json: dict[str, Any]) -> str | None:
        return state.state_problem(state_json)

    def facts_from_state(self, state_json: dict[str, Any]) -> dict[str, bool]:
        return state.facts_from_state(state_json)

    def text_from_state(self, state_json: dict[str, Any]) -> str:
        return state.text_from_state(state_json)

    def action_from_state_result(self, result: Any, state_json: dict[str, Any]) -> int:
        return state.action_from_result(result)

    def action_choices(self, env: gym.Env) -> dict[str, Any]:
        return {name: action for action, name in enumerate(ACTION_NAMES)}

    def fallback_action(self, env: gym.Env) -> int:
        # A move costs the step's -1 at worst; a pickup or a drop-off in the wrong place would cost -10.
        return SOUTH

    def function_checks(self) -> list[Any]:
        return checks.function_checks()

    def describe(self, env: gym.Env) -> str:
        return state.describe(env)
