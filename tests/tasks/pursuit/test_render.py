"""Renderings: prompt text, ASCII frame, PNG frames, the rgb_array render and GIF episodes."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from logicdistill.errors import UserError
from logicdistill.tasks.pursuit.env import PursuitEmergencyEnv, PursuitEnv
from logicdistill.tasks.pursuit.policies import HeuristicPolicy
from logicdistill.tasks.pursuit.render import ascii_frame, describe_state, png_frame, render_episode, save_gif

from .pursuit_helpers import play


def _env(map="block", **kw):
    env = PursuitEnv(map=map, evader="greedy", **kw)
    env.reset(seed=0, options={"pursuers": [(0, 0), (9, 9)], "evaders": [(2, 7)]})
    return env


def test_describe_state_lists_positions_step_and_obstacles():
    text = describe_state(_env())
    assert "P0 at (0, 0), P1 at (9, 9)" in text and "E0 at (2, 7)" in text and "Step 0 of 60" in text
    assert "....##...." in text.splitlines() and "Rules in force" not in text
    assert "Obstacles: none." in describe_state(_env(map="open"))


def test_describe_state_and_ascii_show_rules_in_force():
    env = PursuitEmergencyEnv(scenario="danger_zone", evader="greedy")
    env.reset(seed=0, options={"pursuers": [(0, 0), (9, 9)], "evaders": [(2, 7)]})
    assert "!" not in ascii_frame(env)
    for _ in range(4):
        env.step(np.array([4, 4]))
    assert "Rules in force:\n- EMERGENCY from step 4" in describe_state(env)
    assert ascii_frame(env).splitlines()[4][3:7] == "!!!!"


def test_ascii_frame_marks_units():
    env = _env()
    rows = ascii_frame(env).splitlines()
    assert rows[0][0] == "0" and rows[9][9] == "1" and rows[4][4:6] == "##"
    assert sum(row.count("E") for row in rows) == 1 and len(rows) == 10 and all(len(r) == 10 for r in rows)


def test_png_frame_and_rgb_array_render():
    env = _env(render_mode="rgb_array")
    image = png_frame(env, cell_px=20)
    assert image.size == (200, 200 + 18)
    frame = env.render()
    assert frame.dtype == np.uint8 and frame.ndim == 3 and frame.shape[2] == 3
    pursuer, free = frame[18 + 16, 16], frame[18 + 16, 32 + 16]  # centre of cell (0, 0), of cell (0, 1)
    assert pursuer[2] > pursuer[0] and not np.array_equal(pursuer, free)


def test_ansi_render():
    env = _env(render_mode="ansi")
    assert env.render().splitlines()[1:] == ascii_frame(env).splitlines()


def test_episode_gif(tmp_path):
    env = PursuitEnv(map="walls", evader="greedy")
    play(env, HeuristicPolicy(), seed=1)
    path = render_episode(env, tmp_path / "out" / "episode.gif")
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames == len(env.history) > 1
    with pytest.raises(UserError):
        save_gif([], tmp_path / "none.gif")
