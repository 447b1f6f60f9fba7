"""Tables say only what is true: no nan, ratios only where they mean something, per-capture averages with
their count, and under a scenario the oracle is marked as the plain-rules one."""

import json

from logicdistill.evaluation import EvalResult, format_table, write_json


def _result(policy, **metrics):
    return EvalResult("pursuit", policy, 40, 0, {k: float(v) for k, v in metrics.items()})


def _row(table, name):
    return next(line for line in table.splitlines() if line.startswith(name + " "))


def test_no_nan_but_a_dash_and_a_reason():
    results = [_result("optimal", capture_rate=1, mean_steps=5), _result("random", capture_rate=0, mean_steps="nan")]
    table = format_table(results, reference="optimal")
    assert "nan" not in table
    assert "- (no capture)" in _row(table, "mean_steps")


def test_ratios_only_on_capture_and_steps_not_on_speed_time_or_returns():
    speed = {"decisions_per_s": 100, "wall_s": 2, "mean_return": -0.5}
    results = [
        _result("optimal", capture_rate=1, mean_steps=5, **speed),
        _result("ld", capture_rate=0.5, mean_steps=6, **speed),
    ]
    table = format_table(results, reference="optimal")
    assert "(0.50x)" in _row(table, "capture_rate") and "(1.20x)" in _row(table, "mean_steps")
    for name in ("decisions_per_s", "wall_s", "mean_return"):
        assert "x)" not in _row(table, name)


def test_per_capture_averages_show_their_count():
    results = [
        _result("optimal", capture_rate=1, optimal_ratio=1),
        _result("heuristic", capture_rate=0.05, optimal_ratio=1),
    ]
    row = _row(format_table(results, reference="optimal"), "optimal_ratio")
    assert "(n=40)" in row and "(n=2)" in row  # 1.000 from 2 captures is not 1.000 from 40


def test_under_a_scenario_the_header_names_it_and_optimal_is_no_reference():
    results = [_result("optimal", capture_rate=0.925), _result("teacher-program", capture_rate=1.0)]
    for r in results:
        r.context = {"scenario": "danger_zone"}
    table = format_table(results, reference="optimal")
    assert "optimal (plain rules)" in table.splitlines()[0]
    assert "scenario=danger_zone" in table and "x)" not in table


def test_json_records_what_the_numbers_were_measured_on(tmp_path):
    from logicdistill import __version__

    result = _result("ld", capture_rate=1)
    result.context = {
        "run": "/runs/x",
        "scenario": "danger_zone",
        "map": "open",
        "teacher": "recorded",
        "base_version": 3,
    }
    write_json([result], tmp_path / "r.json")
    data = json.loads((tmp_path / "r.json").read_text())
    assert {"task", "policy", "episodes", "seed", "metrics"} <= set(data)  # the SPEC's keys stay
    assert data["run"] == "/runs/x" and data["scenario"] == "danger_zone" and data["map"] == "open"
    assert data["teacher"] == "recorded" and data["base_version"] == 3 and data["version"] == __version__
