"""The DP oracle: Gymnasium's card arithmetic, a textbook policy, consistent values, and Monte-Carlo agreement."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
from gymnasium.envs.toy_text import blackjack as gym_bj

from logicdistill.tasks.blackjack import dp
from logicdistill.tasks.blackjack.env import TwentyOneEnv
from logicdistill.tasks.blackjack.policies import HeuristicPolicy, RandomPolicy

DEALER_ORDER = [2, 3, 4, 5, 6, 7, 8, 9, 10, 1]
# Sutton & Barto (2nd ed.), Figure 5.2: the optimal policy of this game, S = stick, H = hit, dealer 2..10, A.
SUTTON_BARTO = {
    (False, 21): "SSSSSSSSSS", (False, 20): "SSSSSSSSSS", (False, 19): "SSSSSSSSSS", (False, 18): "SSSSSSSSSS",
    (False, 17): "SSSSSSSSSS", (False, 16): "SSSSSHHHHH", (False, 15): "SSSSSHHHHH", (False, 14): "SSSSSHHHHH",
    (False, 13): "SSSSSHHHHH", (False, 12): "HHSSSHHHHH",
    (True, 21): "SSSSSSSSSS", (True, 20): "SSSSSSSSSS", (True, 19): "SSSSSSSSSS", (True, 18): "SSSSSSSHHH",
    (True, 17): "HHHHHHHHHH", (True, 16): "HHHHHHHHHH", (True, 15): "HHHHHHHHHH", (True, 14): "HHHHHHHHHH",
    (True, 13): "HHHHHHHHHH", (True, 12): "HHHHHHHHHH",
}  # fmt: skip


def test_add_card_matches_gymnasiums_hand_arithmetic():
    for length in range(1, 5):
        for hand in itertools.product(range(1, 11), repeat=length):
            total, usable = 0, False
            for card in hand:
                total, usable = dp.add_card(total, usable, card)
                if total > 21:
                    break
            else:
                assert (total, usable) == (gym_bj.sum_hand(list(hand)), bool(gym_bj.usable_ace(list(hand))))


def _dealer_by_enumeration(hand: list[int]) -> dict[int, Fraction]:
    """The dealer's final score, enumerated card by card with Gymnasium's own ``sum_hand`` and ``score``."""
    if gym_bj.sum_hand(hand) >= 17:
        return {gym_bj.score(hand): Fraction(1)}
    out: dict[int, Fraction] = {}
    for card, p in dp.CARD_PROBS:
        for score, q in _dealer_by_enumeration([*hand, card]).items():
            out[score] = out.get(score, Fraction(0)) + p * q
    return out


def test_dealer_outcomes_match_enumeration_with_gymnasiums_rules():
    for up in range(1, 11):
        outcomes = dp.dealer_outcomes(up)
        assert outcomes == _dealer_by_enumeration([up])
        assert sum(outcomes.values()) == 1 and set(outcomes) <= {0, 17, 18, 19, 20, 21}


def test_optimal_policy_is_the_textbook_one():
    policy = dp.optimal_policy()
    for (usable, total), row in SUTTON_BARTO.items():
        got = "".join("SH"[policy[(total, dealer, usable)]] for dealer in DEALER_ORDER)
        assert got == row, (total, usable)
    for dealer in range(1, 11):
        assert all(policy[(s, dealer, False)] == dp.HIT for s in range(4, 12))  # hard <= 11 can't bust


def test_values_are_consistent():
    for state in dp.all_states():
        stick, hit = dp.action_values_exact(*state)
        assert -1 <= stick <= 1 and -1 <= hit <= 1
        assert dp.state_value(*state) == float(max(stick, hit))
        assert dp.optimal_action(*state) in dp.optimal_actions(*state)
    assert dp.action_values_exact(21, 5, False)[dp.HIT] == -1  # any card busts a hard 21
    initial = dp.initial_distribution()
    assert sum(initial.values()) == 1
    assert set(initial) <= set(dp.all_states())


def test_expected_return_is_the_optimal_policy_evaluated_and_beats_the_baselines():
    optimal = dp.optimal_policy()
    assert dp.policy_return_exact(lambda s: optimal[s]) == dp.expected_return_exact()
    best = dp.expected_return()
    assert -0.05 < best < -0.04
    for policy in (HeuristicPolicy(), RandomPolicy(), RandomPolicy(0.2), HeuristicPolicy(15)):
        assert dp.policy_return(policy.hit_probability) < best
    assert dp.policy_return(lambda s: 1) == -1  # always hitting always busts


def _simulate(act, hands: int, seed: int) -> tuple[float, float]:
    """Mean return and its standard error over ``hands`` hands, seeding the deck once."""
    env = TwentyOneEnv()
    env.reset(seed=seed)
    returns = np.empty(hands)
    for i in range(hands):
        obs, _ = env.reset()
        reward, done = 0.0, False
        while not done:
            obs, reward, done, _, _ = env.step(act(obs))
        returns[i] = reward
    return float(returns.mean()), float(returns.std(ddof=1) / math.sqrt(hands))


def test_monte_carlo_return_of_optimal_play_matches_the_dp():
    policy = dp.optimal_policy()
    mean, stderr = _simulate(lambda obs: policy[obs], 30_000, seed=12345)
    assert abs(mean - dp.expected_return()) < 4 * stderr


def test_monte_carlo_return_of_the_heuristic_matches_its_exact_evaluation():
    heuristic = HeuristicPolicy()
    mean, stderr = _simulate(lambda obs: heuristic.act(obs, {}), 20_000, seed=777)
    assert abs(mean - dp.policy_return(heuristic.hit_probability)) < 4 * stderr
