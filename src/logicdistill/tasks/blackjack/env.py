"""``logicdistill/TwentyOne-v0``: Gymnasium's Blackjack with its default rules, a text view and checked actions.

The dynamics are Gymnasium's own ``BlackjackEnv(natural=False, sab=False)`` (inherited, not copied), so
seeded episodes match it card for card. What this subclass adds:

- actions are checked: anything but 0 (stick) or 1 (hit) raises :class:`InvalidActionError`;
  stepping before ``reset`` or after the hand ended raises too, instead of dealing on;
- ``render_mode="ansi"`` and :func:`describe` give the state as text for prompts;
- each step's info records the decision just made, for action agreement with the DP oracle:
  ``state`` (the observation acted on), ``action_taken``, ``optimal_action`` and ``agrees``
  (true when the action attains the optimal value, so exact ties count as agreement). It never
  holds the optimal action for the *next* decision, so a policy reading ``info`` learns nothing ahead.
  The final step's info adds ``player_cards`` and ``dealer_cards``.
"""

from __future__ import annotations

from typing import Any

from gymnasium.envs.toy_text.blackjack import BlackjackEnv

from logicdistill.errors import UserError
from logicdistill.tasks.blackjack import dp

ACTION_NAMES = {dp.STICK: "stick", dp.HIT: "hit"}


class InvalidActionError(UserError, ValueError):
    """An action outside {0 = stick, 1 = hit}, or a step the hand does not allow."""


def card_name(card: int) -> str:
    """A card value in words: 1 is an ace, 10 stands for 10, J, Q or K."""
    return {1: "an ace", 8: "an 8", 10: "a 10-valued card"}.get(card, f"a {card}")


def describe(obs: tuple[int, int, int]) -> str:
    """The observation ``(player_sum, dealer_card, usable_ace)`` as one line of plain text for a prompt."""
    if int(obs[0]) > 21:  # the last observation of a busted hand
        return f"Your hand totals {int(obs[0])}: bust. The dealer shows {card_name(dp.check_state(21, obs[1], 0)[1])}."
    player_sum, dealer_card, usable = dp.check_state(*obs)
    ace = "yes (an ace counts as 11)" if usable else "no"
    return f"Your hand totals {player_sum}; usable ace: {ace}. The dealer shows {card_name(dealer_card)}."


class TwentyOneEnv(BlackjackEnv):
    """Blackjack-v1 with ``natural=False, sab=False``: 0 = stick, 1 = hit; reward +1 win, 0 draw, -1 loss."""

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(self, render_mode: str | None = None) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise UserError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        super().__init__(render_mode=None, natural=False, sab=False)
        self.render_mode = render_mode
        self._done = True  # no hand dealt yet

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        """Deal a new hand exactly as Gymnasium does (dealer's two cards, then the player's two)."""
        obs, info = super().reset(seed=seed, options=options)
        self._done = False
        return obs, info

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        """Stick (0) or hit (1); the info records the decision against the DP optimum."""
        if not self.action_space.contains(action):
            raise InvalidActionError(f"action must be 0 (stick) or 1 (hit), got {action!r}")
        if self._done:
            raise InvalidActionError("the hand is over (or was never dealt): call reset() first")
        state = dp.check_state(*self._get_obs())
        action = int(action)
        obs, reward, terminated, truncated, _ = super().step(action)
        self._done = terminated
        info: dict[str, Any] = {
            "state": state,
            "action_taken": action,
            "optimal_action": dp.optimal_action(*state),
            "agrees": action in dp.optimal_actions(*state),
        }
        if terminated:
            info["player_cards"] = tuple(self.player)
            info["dealer_cards"] = tuple(self.dealer)
        return obs, float(reward), terminated, truncated, info

    def render(self) -> str | None:
        """In ``ansi`` mode: the player's cards and total, the dealer's up card (all its cards once it played)."""
        if self.render_mode != "ansi":
            return None
        if not hasattr(self, "player"):
            return "No hand dealt yet."
        player_sum, dealer_card, usable = self._get_obs()
        lines = [
            f"Player cards: {' '.join(map(_card_text, self.player))} (total {player_sum}"
            f"{', usable ace' if usable else ''}{', bust' if player_sum > 21 else ''})",
        ]
        if self._done and player_sum <= 21:  # the dealer played, so its hidden card is shown
            lines.append(f"Dealer cards: {' '.join(map(_card_text, self.dealer))}")
        else:
            lines.append(f"Dealer shows: {_card_text(dealer_card)} (one card face down)")
        return "\n".join(lines)


def _card_text(card: int) -> str:
    return "A" if card == 1 else str(card)
