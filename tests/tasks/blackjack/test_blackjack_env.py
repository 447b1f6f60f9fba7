"""TwentyOneEnv: Gymnasium's checker, seeded reproduction, Blackjack-v1's dynamics, checked actions, text."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.toy_text.blackjack import BlackjackEnv
from gymnasium.utils.env_checker import check_env

import logicdistill  # noqa: F401 - registers the environment
from logicdistill.errors import UserError
from logicdistill.tasks.blackjack.env import InvalidActionError, TwentyOneEnv, describe

ENV_ID = "logicdistill/TwentyOne-v0"


def _play(env: gym.Env, seed: int, actions: list[int]) -> list[tuple]:
    """Observations and rewards of one hand, taking ``actions`` in order until it ends."""
    obs, _ = env.reset(seed=seed)
    trace = [obs]
    for action in actions:
        obs, reward, terminated, truncated, _ = env.step(action)
        trace.append((obs, reward, terminated, truncated))
        if terminated:
            break
    return trace


@pytest.mark.parametrize("render_mode", [None, "ansi"])
def test_check_env_passes(render_mode):
    env = gym.make(ENV_ID, render_mode=render_mode)
    check_env(env.unwrapped)
    # the registered id makes this toolkit's env: the same hands as one built directly, seed for seed
    direct = TwentyOneEnv()
    assert [env.reset(seed=s)[0] for s in range(5)] == [direct.reset(seed=s)[0] for s in range(5)]


def test_seeded_reset_reproduces_whole_hands():
    env = gym.make(ENV_ID)
    for seed in range(20):
        assert _play(env, seed, [1, 1, 1, 0]) == _play(env, seed, [1, 1, 1, 0])
    assert len({_play(env, seed, [])[0] for seed in range(20)}) > 1  # different seeds deal different hands


def test_dynamics_are_gymnasiums_default_blackjack():
    ours, theirs = TwentyOneEnv(), BlackjackEnv(natural=False, sab=False)
    rng = np.random.default_rng(7)
    for seed in range(300):
        actions = [int(a) for a in rng.integers(0, 2, size=6)]
        assert _play(ours, seed, actions) == _play(theirs, seed, actions)


@pytest.mark.parametrize("action", [2, -1, "hit", 0.5, None])
def test_action_outside_space_raises_clear_error(action):
    env = TwentyOneEnv()
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match="0 \\(stick\\) or 1 \\(hit\\)"):
        env.step(action)
    assert issubclass(InvalidActionError, UserError) and issubclass(InvalidActionError, ValueError)


def test_step_after_the_hand_or_before_a_deal_raises():
    env = TwentyOneEnv()
    with pytest.raises(InvalidActionError, match="reset"):
        env.step(0)
    env.reset(seed=0)
    env.step(0)
    with pytest.raises(InvalidActionError, match="reset"):
        env.step(1)


def test_step_info_records_the_decision_against_the_optimum():
    env = TwentyOneEnv()
    obs, _ = env.reset(seed=1)
    _, _, terminated, _, info = env.step(0)
    assert terminated
    assert info["state"] == obs and info["action_taken"] == 0
    assert info["optimal_action"] in (0, 1) and info["agrees"] == (info["optimal_action"] == 0)
    assert info["dealer_cards"][0] == obs[1] and len(info["player_cards"]) == 2


def test_describe_names_sum_ace_and_dealer_card():
    text = describe((15, 1, 0))
    assert "15" in text and "usable ace: no" in text and "an ace" in text
    assert "usable ace: yes" in describe((18, 10, 1)) and "10-valued" in describe((18, 10, 1))
    assert "bust" in describe((25, 7, 0))
    with pytest.raises(UserError):
        describe((3, 7, 0))
    with pytest.raises(UserError):
        describe((15, 11, 0))


def test_ansi_render_shows_the_hand_and_hides_the_hole_card():
    env = gym.make(ENV_ID, render_mode="ansi")
    obs, _ = env.reset(seed=4)
    text = env.render()
    assert f"total {obs[0]}" in text and "face down" in text
    _, _, terminated, _, info = env.step(0)
    shown = " ".join("A" if card == 1 else str(card) for card in info["dealer_cards"])
    assert terminated and f"Dealer cards: {shown}" in env.render()
    with pytest.raises(UserError, match="render_mode"):
        TwentyOneEnv(render_mode="human")
