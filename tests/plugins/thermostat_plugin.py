"""A thermostat: keep a room's temperature inside a comfort band while the cold outside pulls it down.

A user's own task written from the README alone (tests/plugins/test_own_task.py loads it with ``--plugin``):
not pursuit-shaped (no grid, no capture; its rule arrives under its own info key), so the toolkit's
generic paths are what it exercises. Recorded replies: tests/plugins/recorded_thermostat/.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from logicdistill.errors import UserError
from logicdistill.tasks import EpisodeRecord, Policy, RuleEvent, Stage, Task, register_task
from logicdistill.tasks.metrics import pooled_agreement, return_stats

LOW, HIGH, MAX_T, HORIZON = 19, 22, 40, 30
IDLE, HEAT, COOL = 0, 1, 2
DELTA = {IDLE: -1, HEAT: 1, COOL: -3}
COST = {IDLE: 0.0, HEAT: 0.2, COOL: 0.2}
ECO_PENALTY = 1.0
ECO_TEXT = "Eco mode: from now on the cooler must stay off. Cooling anyway does nothing but idle and costs 1.0."

RULES = f"""\
A thermostat controls a room. The temperature is a whole number of degrees between 0 and {MAX_T}.
Every step you choose: 0 = idle (the cold outside lowers the temperature by 1), 1 = heat (+1 overall),
2 = cool (-3 overall). After the step you earn +1 if the temperature is in the comfort band {LOW}..{HIGH}
(inclusive), and heating or cooling costs 0.2. An episode lasts {HORIZON} steps. Maximise the total reward."""


def step_temp(t: int, action: int, eco: bool) -> tuple[int, float, bool]:
    """(next temperature, reward, violation) of one step."""
    violation = eco and action == COOL
    effective = IDLE if violation else action
    nt = min(MAX_T, max(0, t + DELTA[effective]))
    reward = (1.0 if LOW <= nt <= HIGH else 0.0) - COST[effective] - (ECO_PENALTY if violation else 0.0)
    return nt, reward, violation


@lru_cache(maxsize=64)
def _values(eco_at: int) -> list[list[float]]:
    """V[step][t]: the best total reward from step onward (exact finite-horizon DP)."""
    v = [[0.0] * (MAX_T + 1) for _ in range(HORIZON + 1)]
    for s in range(HORIZON - 1, -1, -1):
        for t in range(MAX_T + 1):
            v[s][t] = max(r + v[s + 1][nt] for a in (IDLE, HEAT, COOL) for nt, r, _ in [step_temp(t, a, s >= eco_at)])
    return v


def optimal_actions(t: int, s: int, eco_at: int) -> list[int]:
    v = _values(eco_at)
    q = {a: r + v[s + 1][nt] for a in (IDLE, HEAT, COOL) for nt, r, _ in [step_temp(t, a, s >= eco_at)]}
    best = max(q.values())
    return [a for a in q if q[a] >= best - 1e-9]


class ThermostatEnv(gym.Env):
    metadata = {"render_modes": []}

    def __init__(self, eco_at: int | None = None) -> None:
        self.eco_at = HORIZON + 1 if eco_at is None else int(eco_at)
        self.observation_space = spaces.MultiDiscrete([MAX_T + 1, HORIZON + 1, 2])
        self.action_space = spaces.Discrete(3)
        self.temp, self.step_count = 20, 0

    @property
    def eco(self) -> bool:
        return self.step_count >= self.eco_at

    def _obs(self) -> np.ndarray:
        return np.array([self.temp, self.step_count, int(self.eco)], dtype=np.int64)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        self.temp, self.step_count = int(self.np_random.integers(10, 33)), 0
        return self._obs(), {}

    def step(self, action: Any):
        a = int(action)
        agrees = a in optimal_actions(self.temp, self.step_count, self.eco_at)
        self.temp, reward, violation = step_temp(self.temp, a, self.eco)
        self.step_count += 1
        info = {"action_taken": a, "agrees": agrees, "violation": violation}
        if self.step_count == self.eco_at:
            info["rule_arrived"] = "eco_mode"
        return self._obs(), reward, False, self.step_count >= HORIZON, info


class OptimalPolicy(Policy):
    name = "optimal"

    def reset(self, env: gym.Env, seed: int) -> None:
        self.env = env

    def act(self, observation: Any, info: dict[str, Any]) -> int:
        e = self.env
        return optimal_actions(e.temp, e.step_count, e.eco_at)[0]


def _rules(eco: bool, eco_at: int) -> list[dict[str, Any]]:
    return [{"kind": "eco_mode", "text": ECO_TEXT, "arrived_at": eco_at, "params": {}}] if eco else []


def _text(t: int, step: int, rules: list[dict[str, Any]]) -> str:
    extra = "".join(f"\nRule in force: {r['text']}" for r in rules)
    return f"Temperature {t} (band {LOW}..{HIGH}), step {step} of {HORIZON}.{extra}\nin_band: " + (
        "yes" if LOW <= t <= HIGH else "no"
    )


class ThermostatTask(Task):
    name = "thermostat"
    description = "Thermostat: keep a cooling room inside its comfort band at least cost"
    env_id = "Thermostat-v0"
    stages = (
        Stage("assess", 'what the room needs: {"temperature": int, "needs_heat": bool, "needs_cool": bool}'),
        Stage("act", "the action: 0 idle, 1 heat, 2 cool"),
    )

    def rules_text(self) -> str:
        return RULES

    def make_env(self, **kwargs: Any) -> gym.Env:
        return ThermostatEnv(**kwargs)

    def env_options(self) -> dict[str, str]:
        return {"eco_at": "the step at which eco mode (no cooling) arrives"}

    def policies(self):
        def optimal(task: Task, **options: Any) -> Policy:
            if options:
                raise UserError("optimal takes no options")
            return OptimalPolicy()

        return {"optimal": optimal}

    def episode_stats(self, env, infos, rewards):
        steps = [i for i in infos if "action_taken" in i]
        return {
            "return": float(sum(rewards)),
            "agreeing_steps": sum(bool(i["agrees"]) for i in steps),
            "decisions": len(steps),
            "violations": sum(bool(i["violation"]) for i in steps),
        }

    def aggregate(self, records: list[EpisodeRecord]) -> dict[str, float]:
        n = len(records)
        return {
            **return_stats(records),
            "mean_steps": sum(r.steps for r in records) / n,
            "action_agreement": pooled_agreement(records),
            "violations": float(sum(r.stats["violations"] for r in records)),
        }

    # --- LD views ---
    def state_format(self) -> str:
        return (
            '{"temperature": int, "low": int, "high": int, "step": int, "horizon": int, '
            '"rules": [{"kind", "text", "arrived_at", "params"}]}'
        )

    def state_json(self, env: gym.Env) -> dict[str, Any]:
        e = env.unwrapped
        return {
            "temperature": e.temp,
            "low": LOW,
            "high": HIGH,
            "step": e.step_count,
            "horizon": HORIZON,
            "rules": _rules(e.eco, e.eco_at),
        }

    def state_facts(self, env: gym.Env) -> dict[str, bool]:
        e = env.unwrapped
        return {"in_band": LOW <= e.temp <= HIGH, "eco_mode_in_force": e.eco}

    def fact_names(self) -> tuple[str, ...]:
        return ("in_band",)

    def rule_kinds(self) -> tuple[str, ...]:
        return ("eco_mode",)

    def rule_events(self, env: gym.Env, info: dict[str, Any]) -> list[RuleEvent]:
        if info.get("rule_arrived") == "eco_mode":
            return [RuleEvent("eco_mode", ECO_TEXT, "eco_mode_in_force", {})]
        return []

    def rollout_env_args(self, kind=None, env=None):
        return [{}] if kind is None else [{"eco_at": 3}]

    def state_text(self, env: gym.Env) -> str:
        e = env.unwrapped
        return _text(e.temp, e.step_count, _rules(e.eco, e.eco_at))

    def action_from_result(self, result: Any, env: gym.Env) -> int:
        return self.action_from_state_result(result, {})

    def fallback_action(self, env: gym.Env) -> int:
        return IDLE

    # --- serving ---
    def state_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["temperature", "low", "high", "step"],
            "properties": {
                "temperature": {"type": "integer", "minimum": 0, "maximum": MAX_T},
                "low": {"type": "integer"},
                "high": {"type": "integer"},
                "step": {"type": "integer", "minimum": 0, "maximum": HORIZON},
                "horizon": {"type": "integer"},
                "rules": {"type": "array", "items": {"type": "object"}},
            },
        }

    def facts_from_state(self, state: dict[str, Any]) -> dict[str, bool]:
        t = state["temperature"]
        eco = any(r.get("kind") == "eco_mode" for r in state.get("rules", []))
        return {"in_band": LOW <= t <= HIGH, "eco_mode_in_force": eco}

    def text_from_state(self, state: dict[str, Any]) -> str:
        return _text(state["temperature"], state["step"], state.get("rules", []))

    def rules_from_state(self, state: dict[str, Any]) -> list[RuleEvent]:
        return [
            RuleEvent(r["kind"], r.get("text", ECO_TEXT), f"{r['kind']}_in_force", r.get("params", {}))
            for r in state.get("rules", [])
        ]

    def action_from_state_result(self, result: Any, state: dict[str, Any]) -> int:
        if isinstance(result, bool) or not isinstance(result, int) or result not in (0, 1, 2):
            raise UserError(f"the act stage must return 0, 1 or 2, got {result!r}")
        return result

    def board(self, env: gym.Env, done: bool = False) -> dict[str, Any]:
        """The viewer's picture: one row of degrees, the band marked, the room's temperature as a unit."""
        e = env.unwrapped
        band = [[0, t] for t in range(LOW, HIGH + 1)]
        return {
            "kind": "grid",
            "height": 1,
            "width": MAX_T + 1,
            "marked": band,
            "units": [{"cell": np.array([0, e.temp]), "label": "T", "role": "pursuer"}],  # numpy: made JSON
        }

    def describe(self, env: gym.Env) -> str:
        e = env.unwrapped
        bar = "".join("#" if i == e.temp else ("=" if LOW <= i <= HIGH else ".") for i in range(MAX_T + 1))
        return bar + "\n" + self.state_text(env)


register_task(ThermostatTask())
