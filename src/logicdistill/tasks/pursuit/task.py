"""The pursuit task: environment, rules text, baselines and metrics for the toolkit."""

from __future__ import annotations

import math
from typing import Any

import gymnasium as gym
import numpy as np

import logicdistill  # noqa: F401 - registers the environments
from logicdistill.tasks.base import EpisodeRecord, Policy, PolicyFactory, Stage, Task
from logicdistill.tasks.pursuit import ld_state, render
from logicdistill.tasks.pursuit.emergencies import event_kinds
from logicdistill.tasks.pursuit.ld_checks import pursuit_checks
from logicdistill.tasks.pursuit.policies import HeuristicPolicy, OptimalPolicy, RandomPolicy
from logicdistill.tasks.pursuit.rules import RULES_TEXT, STAY
from logicdistill.tasks.pursuit.scenarios import scenario_names


class PursuitTask(Task):
    """Pursuit-evasion on grid maps; ``make_env(scenario=...)`` selects the emergency environment."""

    name = "pursuit"
    description = "2 pursuers chase an evader on a 10x10 grid with obstacles; emergencies add rules mid-episode."
    env_id = "logicdistill/Pursuit-v0"
    emergency_env_id = "logicdistill/PursuitEmergency-v0"
    stages: tuple[Stage, ...] = (
        Stage("moves", "the joint moves the rules in force allow, with yes/no facts that decide the plan"),
        Stage("choose", "the joint action to play, one of the allowed moves"),
    )

    def rules_text(self) -> str:
        return RULES_TEXT

    def make_env(self, **kwargs: Any) -> gym.Env:
        """``gym.make`` of the pursuit env; with ``scenario=NAME_OR_PATH`` the emergency env."""
        if kwargs.get("scenario") is not None:
            return gym.make(self.emergency_env_id, **kwargs)
        kwargs.pop("scenario", None)
        return gym.make(self.env_id, **kwargs)

    def env_options(self) -> dict[str, str]:
        from logicdistill.tasks.pursuit.maps import NAMED_MAPS
        from logicdistill.tasks.pursuit.scenarios import scenario_names

        return {
            "map": f"a named map ({', '.join(NAMED_MAPS)}), random:SEED or a map file (default: the named-map pool)",
            "evader": "the evader: random, greedy, optimal (default) or llm",
            "scenario": f"an emergency scenario: a shipped one ({', '.join(scenario_names())}) or a JSON file",
        }

    def trace_tag(self, env: gym.Env, info: dict[str, Any]) -> str:
        """The map an episode was played on (held-out traces come from maps never trained on)."""
        return str(info.get("map", ""))

    # -- Logic Distillation --------------------------------------------------------------------------------
    def state_format(self) -> str:
        return ld_state.STATE_FORMAT

    def stage_hint(self) -> str:
        return ld_state.STAGE_HINT

    def state_json(self, env: gym.Env) -> dict[str, Any]:
        return ld_state.state_json(env)

    def state_facts(self, env: gym.Env) -> dict[str, bool]:
        return ld_state.state_facts(env)

    def state_text(self, env: gym.Env) -> str:
        return ld_state.state_text(env)

    def rule_events(self, env: gym.Env, info: dict[str, Any]) -> list[Any]:
        return ld_state.rule_events(env, info)

    def rule_kinds(self) -> tuple[str, ...]:
        return tuple(event_kinds())

    def fact_names(self) -> tuple[str, ...]:
        """Only rules in force show in a pursuit state (``<kind>_in_force``); the rest is JSON."""
        return ()

    def rollout_env_args(self, kind: str | None = None, env: gym.Env | None = None) -> list[dict[str, Any]]:
        """The named-map pool; for a rule, its shipped scenario, else the scenario it arrived in (a plugin's)."""
        if kind is None:
            return [{}]
        if kind in scenario_names():
            return [{"scenario": kind}]
        scenario = getattr(env.unwrapped, "scenario", None) if env is not None else None
        return [{"scenario": scenario}] if scenario is not None else []

    def action_from_result(self, result: Any, env: gym.Env) -> Any:
        return np.asarray(result, dtype=np.int64)

    def state_schema(self) -> dict[str, Any]:
        return ld_state.STATE_SCHEMA

    def state_problem(self, state: dict[str, Any]) -> str | None:
        return ld_state.state_problem(state)

    def facts_from_state(self, state: dict[str, Any]) -> dict[str, bool]:
        return ld_state.facts_from_state(state)

    def text_from_state(self, state: dict[str, Any]) -> str:
        return ld_state.text_from_state(state)

    def rules_from_state(self, state: dict[str, Any]) -> list[Any]:
        return ld_state.rules_from_state(state)

    def action_from_state_result(self, result: Any, state: dict[str, Any]) -> Any:
        return [int(a) for a in np.asarray(result, dtype=np.int64).reshape(-1)]

    def action_choices(self, env: gym.Env) -> dict[str, Any]:
        """Joint actions named like ``up+left`` (P0's action, then P1's)."""
        return ld_state.joint_action_names(env.unwrapped.n_pursuers)

    def fallback_action(self, env: gym.Env) -> Any:
        return np.full(env.unwrapped.n_pursuers, STAY, dtype=np.int64)

    def function_checks(self) -> list[Any]:
        return pursuit_checks()

    def distill_splits(self) -> dict[str, list[dict[str, Any]]]:
        """Train on three named maps, hold out the other two (and other seeds)."""
        return {
            "train": [{"map": m} for m in ("open", "block", "walls")],
            "heldout": [{"map": m} for m in ("scatter", "rooms")],
        }

    def policies(self) -> dict[str, PolicyFactory]:
        def factory(cls: type[Policy]) -> PolicyFactory:
            def make(task: Task | None = None, **options: Any) -> Policy:
                return cls(**options)

            return make

        return {
            "optimal": factory(OptimalPolicy),
            "random": factory(RandomPolicy),
            "heuristic": factory(HeuristicPolicy),
        }

    def describe(self, env: gym.Env) -> str:
        return render.describe_state(env.unwrapped)

    def frame(self, env: gym.Env) -> Any:
        return render.png_frame(env.unwrapped)

    def episode_stats(self, env: gym.Env, infos: list[dict[str, Any]], rewards: list[float]) -> dict[str, Any]:
        env = env.unwrapped
        arrivals = [e.step for e in env.events if e.step <= env.step_count]
        return {
            "captured": bool(all(env.captured)),
            "steps": int(env.step_count),
            "t_star": infos[0].get("t_star") if infos else None,
            "violations": int(infos[-1].get("violations", 0)) if infos else 0,
            "map": env.grid.name,
            "scenario": env.scenario.name if env.scenario is not None else None,
            "first_rule_step": min(arrivals) if arrivals else None,
            "return": float(sum(rewards)),
        }

    def aggregate(self, records: list[EpisodeRecord]) -> dict[str, float]:
        """capture_rate, mean_steps and optimal_ratio over captured episodes, total violations, episodes.

        A mean over no episodes is NaN (no captured episode, or no known T*).
        """
        stats = [r.stats for r in records]
        caught = [s for s in stats if s["captured"]]
        ratios = [s["steps"] / s["t_star"] for s in caught if s.get("t_star")]
        return {
            "capture_rate": len(caught) / len(stats) if stats else math.nan,
            "mean_steps": sum(s["steps"] for s in caught) / len(caught) if caught else math.nan,
            "optimal_ratio": sum(ratios) / len(ratios) if ratios else math.nan,
            "violations": float(sum(s["violations"] for s in stats)),
            "episodes": float(len(stats)),
        }
