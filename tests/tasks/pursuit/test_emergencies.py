"""Emergency events: arrival, dynamics and violation counting per type; scenario files; user extensions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from logicdistill.errors import FormatError, UserError
from logicdistill.tasks.pursuit.emergencies import EmergencyEvent, register_event
from logicdistill.tasks.pursuit.env import PursuitEmergencyEnv, PursuitEnv
from logicdistill.tasks.pursuit.evader_registry import register_evader
from logicdistill.tasks.pursuit.rules import STAY
from logicdistill.tasks.pursuit.scenarios import load_scenario, parse_scenario, scenario_names

from .pursuit_helpers import ScriptedEvader

UP, DOWN, LEFT, RIGHT = 0, 1, 2, 3


def _env(event, pursuers, evaders, script=None, map="open"):
    scenario = parse_scenario({"name": "t", "map": map, "events": [event]})
    env = PursuitEmergencyEnv(scenario=scenario, evader=ScriptedEvader(script))
    _, info = env.reset(seed=0, options={"pursuers": pursuers, "evaders": evaders})
    return env, info


def _step(env, a0, a1):
    return env.step(np.array([a0, a1]))


ZONE = {"kind": "danger_zone", "step": 2, "params": {"rect": [[4, 3], [5, 6]]}}


def test_danger_zone_arrives_then_blocks_entry_and_counts_violations():
    env, info = _env(ZONE, [(2, 3), (9, 9)], [(0, 9)])
    assert "new_rule" not in info and info["active_rules"] == []
    infos = [_step(env, STAY, STAY)[4], _step(env, DOWN, STAY)[4]]
    assert "new_rule" not in infos[0] and "danger zone" in infos[1]["new_rule"]
    assert infos[1]["active_rules"] == [infos[1]["new_rule"]] and env.pursuers[0] == (3, 3)
    assert env.count_violations([DOWN, STAY]) == 1 and env.violations == 0  # a look-ahead changes nothing
    _, reward, _, _, info = _step(env, DOWN, LEFT)
    assert env.pursuers == [(3, 3), (9, 8)] and reward == -1.0
    assert info["violations"] == 1 and info["violations_this_step"] == 1 and "new_rule" not in info


def test_danger_zone_before_arrival_is_free_and_inside_may_stay_or_leave():
    env, _ = _env(ZONE, [(3, 3), (9, 9)], [(0, 9)])
    _step(env, DOWN, STAY)  # step 0: the rule has not arrived
    assert env.pursuers[0] == (4, 3) and env.violations == 0
    _step(env, STAY, STAY)
    assert env.count_violations([STAY, STAY]) == 0 and env.count_violations([RIGHT, STAY]) == 1
    assert env.count_violations([LEFT, STAY]) == 0  # moving out of the zone is allowed


def test_danger_zone_evaders_may_enter():
    env, _ = _env({**ZONE, "step": 0}, [(0, 0), (9, 9)], [(3, 6)], script=[DOWN])
    _step(env, STAY, STAY)
    assert env.evaders == [(4, 6)] and env.violations == 0


def test_slowed_pursuer_moves_only_every_other_step_from_arrival():
    event = {"kind": "slowed_pursuer", "step": 1, "params": {"index": 1}}
    env, _ = _env(event, [(0, 0), (9, 9)], [(0, 9)])
    _step(env, STAY, UP)  # step 0: before arrival
    _step(env, DOWN, UP)  # step 1: arrival, an on step
    assert env.pursuers == [(1, 0), (7, 9)] and env.violations == 0
    assert env.count_violations([STAY, STAY]) == 0  # step 2 is an off step: staying is fine
    _, reward, _, _, info = _step(env, DOWN, UP)
    assert env.pursuers == [(2, 0), (7, 9)] and reward == -1.0 and info["violations"] == 1
    _step(env, DOWN, UP)  # step 3: on again
    assert env.pursuers == [(3, 0), (6, 9)] and env.violations == 1
    assert "pursuer 1" in info["active_rules"][0]


def test_evader_sprint_moves_twice_for_its_duration_without_violations():
    event = {"kind": "evader_sprint", "step": 1, "params": {"duration": 2}}
    env, _ = _env(event, [(0, 0), (0, 1)], [(9, 9)], script=[LEFT] * 6)
    cells = []
    for _ in range(4):
        _, _, _, _, info = _step(env, DOWN, RIGHT)
        cells.append(env.evaders[0])
    assert cells == [(9, 8), (9, 6), (9, 4), (9, 3)]
    assert env.violations == 0 and info["active_rules"] == []  # the sprint has ended


@pytest.mark.parametrize(("start", "asked"), [((9, 7), 2), ((9, 6), 1)])
def test_evader_sprint_capture_on_either_move(start, asked):
    event = {"kind": "evader_sprint", "step": 0, "params": {"duration": 3}}
    env, _ = _env(event, [(0, 0), (9, 5)], [start], script=[LEFT, LEFT])
    _, reward, terminated, _, _ = _step(env, STAY, STAY)
    assert terminated and reward == 1.0 and env.evaders == [(9, 5)]
    assert len(env.evader_policy.seen) == asked  # no second move after a capture


def test_rule_arrives_once_per_episode_in_shipped_scenarios():
    for name in scenario_names():
        env = PursuitEmergencyEnv(scenario=name, evader="greedy")
        env.reset(seed=0)
        infos = [env.step(np.array([STAY, STAY]))[4] for _ in range(8)]
        arrivals = [i["step"] for i in infos if "new_rule" in i]
        assert arrivals == [env.events[0].step] and 3 <= arrivals[0] <= 5


def test_shipped_scenarios_load():
    assert {"danger_zone", "slowed_pursuer", "evader_sprint"} <= set(scenario_names())
    zone = load_scenario("danger_zone")
    assert zone.map == "open" and zone.events[0].kind == "danger_zone" and len(zone.events[0].cells) == 8


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "JSON object"),
        ({"events": []}, "'name'"),
        ({"name": "x", "events": {}}, "'events' must be a list"),
        ({"name": "x", "map": 3, "events": []}, "'map'"),
        ({"name": "x", "events": [], "extra": 1}, "unknown keys"),
        ({"name": "x", "events": [{"kind": "flood", "step": 1}]}, "unknown event kind"),
        ({"name": "x", "events": [{"kind": "danger_zone"}]}, "'kind', 'step'"),
        ({"name": "x", "events": [{"kind": "danger_zone", "step": -1, "params": {"cells": [[1, 1]]}}]}, "step"),
        ({"name": "x", "events": [{"kind": "danger_zone", "step": 1, "params": {"rect": [1, 2]}}]}, "cell"),
        ({"name": "x", "events": [{"kind": "danger_zone", "step": 1, "params": {}}]}, "danger_zone params"),
        ({"name": "x", "events": [{"kind": "slowed_pursuer", "step": 1, "params": {"speed": 2}}]}, "bad params"),
        ({"name": "x", "events": [{"kind": "evader_sprint", "step": 1, "params": {"duration": 0}}]}, "duration"),
    ],
)
def test_malformed_scenarios_raise_format_errors(data, message):
    with pytest.raises(FormatError, match=message) as err:
        parse_scenario(data, source="s.json")
    assert str(err.value).startswith("s.json")


def test_scenario_files_by_path_and_bad_json(tmp_path):
    good = tmp_path / "mine.json"
    good.write_text(json.dumps({"name": "mine", "events": [{"kind": "slowed_pursuer", "step": 2, "params": {}}]}))
    assert load_scenario(good).events[0].index == 0 and load_scenario(str(good)).map is None
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(FormatError, match="not valid JSON"):
        load_scenario(bad)
    with pytest.raises(UserError, match="unknown scenario"):
        load_scenario("no_such_scenario")


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"kind": "danger_zone", "step": 1, "params": {"cells": [[10, 0]]}}, "off map"),
        ({"kind": "slowed_pursuer", "step": 1, "params": {"index": 2}}, "not a pursuer"),
    ],
)
def test_events_that_do_not_fit_the_env(event, message):
    with pytest.raises(UserError, match=message):
        PursuitEmergencyEnv(scenario=parse_scenario({"name": "x", "map": "open", "events": [event]}))


@dataclass(frozen=True)
class Freeze(EmergencyEvent):
    """A user's event: every pursuer must stay."""

    kind: ClassVar[str] = "freeze"

    def rule_text(self) -> str:
        return f"From step {self.step} no pursuer may move."

    def filter_pursuer_actions(self, env, actions):
        moved = sum(int(a) != STAY for a in actions)
        return [STAY] * len(actions), moved


def test_user_event_and_evader_plug_in():
    register_event("freeze", Freeze)
    register_evader("scripted", ScriptedEvader)
    env, info = _env({"kind": "freeze", "step": 0}, [(0, 0), (9, 9)], [(5, 5)])
    assert info["new_rule"] == "From step 0 no pursuer may move."
    _, reward, _, _, _ = _step(env, DOWN, UP)
    assert env.pursuers == [(0, 0), (9, 9)] and reward == -2.0
    assert isinstance(PursuitEnv(evader="scripted").evader_policy, ScriptedEvader)
    with pytest.raises(UserError, match="subclass"):
        register_event("bad", dict)
