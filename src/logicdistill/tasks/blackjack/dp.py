"""The exact oracle for 21 Points: dynamic programming over Gymnasium's infinite deck, in exact fractions.

The model follows ``gymnasium/envs/toy_text/blackjack.py`` with ``natural=False, sab=False``:

- every card is drawn with replacement: A..9 with probability 1/13 each, a 10-valued card with 4/13;
- the dealer gets an up card and a hidden card, the player two cards; a player natural (A + 10) is
  an ordinary 21 (no bonus, no automatic win, and no dealer peek);
- an ace counts 11 while that keeps the hand at 21 or less (a "usable ace");
- hit: the player busts above 21 (reward -1, the dealer does not play);
- stick: the dealer draws while its total is below 17, so it stands on soft 17; a dealer bust
  scores 0; the reward is the sign of (player total - dealer score).

The player's observation ``(player_sum, dealer_card, usable_ace)`` is Markov: a hand without a
usable ace and a total of 11 or less holds no ace, and a hand at 12 or more can never make an ace
usable again. All results are exact :class:`~fractions.Fraction`; the public float helpers round them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction
from functools import cache

from logicdistill.errors import UserError

STICK, HIT = 0, 1
# A state as the environment observes it: (player_sum, dealer_card, usable_ace).
State = tuple[int, int, bool]
# card value -> probability; 10 stands for 10, J, Q and K.
CARD_PROBS: tuple[tuple[int, Fraction], ...] = tuple((c, Fraction(4 if c == 10 else 1, 13)) for c in range(1, 11))


def add_card(player_sum: int, usable_ace: bool, card: int) -> tuple[int, bool]:
    """The hand after drawing ``card``: (new total, usable ace). A total above 21 is a bust."""
    hard = (player_sum - 10 if usable_ace else player_sum) + card
    # A non-usable hand at 12+ may hold an ace, but hard + 10 > 21 there, so it stays non-usable.
    usable = (usable_ace or card == 1) and hard + 10 <= 21
    return (hard + 10 if usable else hard), usable


def all_states() -> Iterator[State]:
    """Every state a player can be asked to act in: hard 4..21 and soft 12..21, against dealer cards 1..10."""
    for dealer_card in range(1, 11):
        for player_sum in range(4, 22):
            yield player_sum, dealer_card, False
        for player_sum in range(12, 22):
            yield player_sum, dealer_card, True


def check_state(player_sum: int, dealer_card: int, usable_ace: bool) -> State:
    """The state as a normalised tuple, or a UserError saying why it cannot occur."""
    state = (int(player_sum), int(dealer_card), bool(usable_ace))
    if not 1 <= state[1] <= 10:
        raise UserError(f"dealer card must be 1 (ace) to 10, got {dealer_card!r}")
    low = 12 if state[2] else 4
    if not low <= state[0] <= 21:
        kind = "with a usable ace" if state[2] else "without a usable ace"
        raise UserError(f"player sum {kind} must be {low}..21, got {player_sum!r}")
    return state


@cache
def _dealer_from(hard: int, has_ace: bool) -> dict[int, Fraction]:
    """Final dealer score -> probability (0 = bust), from a dealer hand with this hard total."""
    total = hard + 10 if has_ace and hard + 10 <= 21 else hard
    if total >= 17:
        return {0 if total > 21 else total: Fraction(1)}
    out: dict[int, Fraction] = {}
    for card, p in CARD_PROBS:
        for score, q in _dealer_from(hard + card, has_ace or card == 1).items():
            out[score] = out.get(score, Fraction(0)) + p * q
    return out


@cache
def dealer_outcomes(dealer_card: int) -> dict[int, Fraction]:
    """Final dealer score (17..21, or 0 for a bust) -> probability, given the up card (hidden card unseen)."""
    check_state(21, dealer_card, False)
    # A lone up card totals at most 11 < 17, so the recursion draws the hidden card first, as the env deals it.
    return _dealer_from(dealer_card, dealer_card == 1)


@cache
def stick_value(player_sum: int, dealer_card: int) -> Fraction:
    """Expected reward of sticking now on ``player_sum`` (not bust) against ``dealer_card``."""
    return sum(
        (p * ((player_sum > score) - (player_sum < score)) for score, p in dealer_outcomes(dealer_card).items()),
        Fraction(0),
    )


def _hit_value(state: State, value_of: Callable[[State], Fraction]) -> Fraction:
    """Expected reward of one hit, then continuing with ``value_of``; a bust is -1."""
    player_sum, dealer_card, usable = state
    total = Fraction(0)
    for card, p in CARD_PROBS:
        new_sum, new_usable = add_card(player_sum, usable, card)
        total += p * (-1 if new_sum > 21 else value_of((new_sum, dealer_card, new_usable)))
    return total


@cache
def _optimal_value(state: State) -> Fraction:
    return max(action_values_exact(*state))


@cache
def action_values_exact(player_sum: int, dealer_card: int, usable_ace: bool) -> tuple[Fraction, Fraction]:
    """Exact expected reward of (stick, hit) in a state, playing optimally afterwards."""
    state = check_state(player_sum, dealer_card, usable_ace)
    return stick_value(state[0], state[1]), _hit_value(state, _optimal_value)


def state_value(player_sum: int, dealer_card: int, usable_ace: bool) -> float:
    """Optimal expected reward from a state: the larger of the two action values."""
    return float(max(action_values_exact(player_sum, dealer_card, usable_ace)))


@cache
def optimal_actions(player_sum: int, dealer_card: int, usable_ace: bool) -> frozenset[int]:
    """Every action that attains the optimal value (two only on an exact tie)."""
    values = action_values_exact(player_sum, dealer_card, usable_ace)
    return frozenset(a for a in (STICK, HIT) if values[a] == max(values))


def optimal_action(player_sum: int, dealer_card: int, usable_ace: bool) -> int:
    """The optimal action (0 = stick, 1 = hit); an exact tie goes to stick."""
    return min(optimal_actions(player_sum, dealer_card, usable_ace))


@cache
def optimal_policy() -> dict[State, int]:
    """The optimal action for every reachable state, keyed ``(player_sum, dealer_card, usable_ace)``."""
    return {state: optimal_action(*state) for state in all_states()}


@cache
def initial_distribution() -> dict[State, Fraction]:
    """Probability of each first observation: two player cards and the dealer's up card, all independent."""
    out: dict[State, Fraction] = {}
    for dealer_card, pd in CARD_PROBS:
        for first, p1 in CARD_PROBS:
            for second, p2 in CARD_PROBS:
                player_sum, usable = add_card(*add_card(0, False, first), second)
                state = (player_sum, dealer_card, usable)
                out[state] = out.get(state, Fraction(0)) + pd * p1 * p2
    return out


def policy_return_exact(hit_probability: Callable[[State], float | Fraction]) -> Fraction:
    """Exact expected reward per hand of a fixed (possibly random) policy: P(hit) per state."""
    memo: dict[State, Fraction] = {}

    def value(state: State) -> Fraction:
        if state not in memo:
            p_hit = Fraction(hit_probability(state))
            if not 0 <= p_hit <= 1:
                raise UserError(f"hit probability must lie in [0, 1], got {p_hit} in state {state}")
            stick = stick_value(state[0], state[1])
            hit = _hit_value(state, value) if p_hit else Fraction(0)
            memo[state] = (1 - p_hit) * stick + p_hit * hit
        return memo[state]

    return sum((p * value(state) for state, p in initial_distribution().items()), Fraction(0))


def policy_return(hit_probability: Callable[[State], float | Fraction]) -> float:
    """Expected reward per hand of a fixed policy given as P(hit) per state, as a float."""
    return float(policy_return_exact(hit_probability))


@cache
def expected_return_exact() -> Fraction:
    """Exact expected reward per hand of the optimal policy over the initial deal."""
    return sum((p * _optimal_value(state) for state, p in initial_distribution().items()), Fraction(0))


def expected_return() -> float:
    """Expected reward per hand of the optimal policy (about -0.047)."""
    return float(expected_return_exact())
