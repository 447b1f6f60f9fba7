"""The 21 Points task: Gymnasium's Blackjack, judged by return per hand and agreement with the DP oracle."""

from __future__ import annotations

from typing import Any

import gymnasium as gym

from logicdistill.errors import UserError
from logicdistill.tasks.base import EpisodeRecord, Policy, PolicyFactory, Stage, Task
from logicdistill.tasks.blackjack import dp, ld_state
from logicdistill.tasks.blackjack.env import describe
from logicdistill.tasks.blackjack.policies import HeuristicPolicy, OptimalPolicy, RandomPolicy
from logicdistill.tasks.metrics import pooled_agreement, return_stats

RULES = """\
21 Points (blackjack) against a dealer, one hand per episode.
Cards come from an infinite deck: every card is drawn independently, so cards already seen change nothing.
Each of A, 2, 3, 4, 5, 6, 7, 8, 9 comes with probability 1/13, and a 10-valued card (10, J, Q, K) with 4/13.
Card values: 2 to 10 count their number, J, Q and K count 10, and an ace counts 11 while that keeps the hand
at 21 or less, otherwise 1. A hand whose ace counts 11 has a "usable ace".
The dealer gets two cards, one face up and one face down; you get two cards face up.
You see your total, whether you hold a usable ace, and the dealer's face-up card (1 means an ace).
Each step you choose: 0 = stick (stop and let the dealer play) or 1 = hit (take one more card).
If your total goes above 21 you bust and lose at once (reward -1); the dealer does not play.
When you stick, the dealer reveals its face-down card and draws cards while its total is below 17
(an ace counts 11 there too when it keeps the total at 21 or less, so the dealer stands on a soft 17).
If the dealer goes above 21 you win (+1). Otherwise the higher total wins (+1 for you, -1 for the dealer)
and equal totals are a draw (0). A two-card 21 is an ordinary 21: no bonus and no automatic win.
Your goal is the highest expected reward per hand."""


def _no_options(policy: str, options: dict[str, Any]) -> None:
    if options:
        raise UserError(f"policy {policy!r} takes no options, got {', '.join(sorted(options))}")


def _optimal(task: Task, **options: Any) -> Policy:
    _no_options("optimal", options)
    return OptimalPolicy()


def _random(task: Task, **options: Any) -> Policy:
    unknown = set(options) - {"hit_probability"}
    if unknown:
        raise UserError(f"policy 'random' takes only hit_probability, got {', '.join(sorted(unknown))}")
    return RandomPolicy(**options)


def _heuristic(task: Task, **options: Any) -> Policy:
    unknown = set(options) - {"threshold"}
    if unknown:
        raise UserError(f"policy 'heuristic' takes only threshold, got {', '.join(sorted(unknown))}")
    return HeuristicPolicy(**options)


class BlackjackTask(Task):
    """21 Points: stick or hit against a dealer who stands on 17; the oracle is the exact DP policy."""

    name = "blackjack"
    description = "21 Points (Gymnasium Blackjack, infinite deck, dealer stands on 17): stick or hit"
    env_id = "logicdistill/TwentyOne-v0"
    # One stage; the usable_ace fact chooses between the hard-total and soft-total functions.
    stages: tuple[Stage, ...] = ld_state.STAGES

    def rules_text(self) -> str:
        return RULES

    def make_env(self, **kwargs: Any) -> gym.Env:
        """``gym.make`` of the registered env; the only argument is ``render_mode`` (None or "ansi")."""
        return gym.make(self.env_id, **kwargs)

    def policies(self) -> dict[str, PolicyFactory]:
        return {"optimal": _optimal, "random": _random, "heuristic": _heuristic}

    def episode_stats(self, env: gym.Env, infos: list[dict[str, Any]], rewards: list[float]) -> dict[str, Any]:
        """The hand's return, how many decisions agreed with the DP optimum, and the optimal value of the deal."""
        decisions = [info for info in infos if "action_taken" in info]  # the reset info holds no decision
        return {
            "return": float(sum(rewards)),
            "agreeing_steps": sum(bool(info["agrees"]) for info in decisions),
            "decisions": len(decisions),
            # E[return | first state] under optimal play: a paired, lower-variance yardstick for this hand.
            "start_value": dp.state_value(*decisions[0]["state"]) if decisions else float("nan"),
        }

    def aggregate(self, records: list[EpisodeRecord]) -> dict[str, float]:
        """Mean return (with its standard error), pooled per-decision agreement, the DP optimum, the episode count."""
        if not records:
            raise UserError("no episodes to aggregate")
        n = len(records)
        return {
            **return_stats(records),
            "action_agreement": pooled_agreement(records),
            "optimal_return": dp.expected_return(),
            "episodes": n,
        }

    # --- Logic Distillation (see ld_state) ---

    def state_format(self) -> str:
        return ld_state.STATE_FORMAT

    def stage_hint(self) -> str:
        return ld_state.STAGE_HINT

    def state_json(self, env: gym.Env) -> dict[str, Any]:
        """``{"player_sum": int, "dealer_card": int (1 = ace), "usable_ace": bool}`` of the current hand."""
        return ld_state.state_json(env)

    def state_facts(self, env: gym.Env) -> dict[str, bool]:
        """``{"usable_ace": bool}``."""
        return ld_state.state_facts(env)

    def fact_names(self) -> tuple[str, ...]:
        return ("usable_ace",)

    def state_text(self, env: gym.Env) -> str:
        """The state for student prompts, with the fact stated as ``usable_ace: yes/no``."""
        return ld_state.state_text(env)

    def action_from_result(self, result: Any, env: gym.Env) -> int:
        """The decide stage's result is the action itself: 0 (stick) or 1 (hit)."""
        return ld_state.action_from_result(result)

    def state_schema(self) -> dict[str, Any]:
        return ld_state.STATE_SCHEMA

    def state_problem(self, state: dict[str, Any]) -> str | None:
        """A usable ace counts 11 and keeps the sum at 12..21; without one two cards make at least 4."""
        total, usable = state["player_sum"], state["usable_ace"]
        low, high = (12, 21) if usable else (4, 31)
        if not low <= total <= high:
            return f"player_sum {total} {'with' if usable else 'without'} a usable ace: it is {low}..{high}"
        return None

    def facts_from_state(self, state: dict[str, Any]) -> dict[str, bool]:
        return {"usable_ace": bool(state["usable_ace"])}

    def text_from_state(self, state: dict[str, Any]) -> str:
        return ld_state.text_of(state["player_sum"], state["dealer_card"], state["usable_ace"])

    def action_from_state_result(self, result: Any, state: dict[str, Any]) -> int:
        return ld_state.action_from_result(result)

    def action_choices(self, env: gym.Env) -> dict[str, Any]:
        return {"stick": 0, "hit": 1}

    def fallback_action(self, env: gym.Env) -> int:
        return 0

    def function_checks(self) -> list[Any]:
        return ld_state.function_checks()

    def describe(self, env: gym.Env) -> str:
        return describe(ld_state.observation(env))
