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
    assert image.size == (300, 200 + 18 + 34)  # at least 300 wide for the legend; a header and a legend strip
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


def _has_color(image, rgb, box=None):
    region = np.asarray(image.crop(box) if box else image)
    return bool(np.all(region == np.array(rgb, dtype=np.uint8), axis=-1).any())


def test_frames_have_a_legend_a_capture_mark_and_the_rules_arrival():
    from logicdistill.tasks.pursuit.render import _COLORS, _rules_note

    env = PursuitEmergencyEnv(scenario="danger_zone", evader="greedy")
    env.reset(seed=0, options={"pursuers": [(0, 0), (9, 9)], "evaders": [(2, 7)]})
    start = png_frame(env, cell_px=20)
    legend = (0, 218, start.width, start.height)
    assert _has_color(start, _COLORS["pursuer"], legend) and _has_color(start, _COLORS["evader"], legend)
    assert not _has_color(start, _COLORS["capture"], (0, 18, 200, 218))  # no capture yet: no cross on the grid
    arrival = next(e.step for e in env.events)
    assert _rules_note(env, arrival).startswith("NEW RULE at step") and "danger_zone" in _rules_note(env, arrival)
    assert _rules_note(env, arrival + 1) == "rules in force: danger_zone"
    assert _rules_note(env, 0) == "rules: the plain rules"
    caught = PursuitEnv(map="open", evader="random")
    for seed in range(20):  # the first seeded episode the greedy chase ends in a capture
        play(caught, HeuristicPolicy(), seed=seed)
        if all(caught.captured):
            break
    assert all(caught.captured)
    last = png_frame(caught, cell_px=20)
    assert _has_color(last, _COLORS["capture"], (0, 18, 200, 218))  # the cross over the caught evader


def test_play_render_png_is_one_still_frame(tmp_path, capsys):
    from logicdistill.cli import main

    argv = ["play", "--task", "pursuit", "--policy", "heuristic", "--seed", "3"]
    assert main([*argv, "--render", str(tmp_path / "last.png")]) == 0
    assert main([*argv, "--render", str(tmp_path / "first.png"), "--frame", "0"]) == 0
    with Image.open(tmp_path / "last.png") as last, Image.open(tmp_path / "first.png") as first:
        assert not getattr(last, "is_animated", False) and getattr(last, "n_frames", 1) == 1
        assert np.asarray(last).shape == np.asarray(first).shape and not np.array_equal(last, first)
    assert main([*argv, "--render", str(tmp_path / "x.png"), "--frame", "999"]) == 2
    assert "--frame 999: the episode has frames 0.." in capsys.readouterr().err
