"""A user's own task, followed through the README as a user would: ``--plugin FILE`` and ``--teacher
recorded:DIR`` with a task shaped unlike the shipped ones (tests/plugins/thermostat_plugin.py: a 1-D
thermostat, two stages, an exact oracle, a rule that arrives under the task's own info key)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from logicdistill.cli import main
from logicdistill.tasks import unregister_task

HERE = Path(__file__).resolve().parent
PLUGIN = str(HERE / "thermostat_plugin.py")
REPLIES = f"recorded:{HERE / 'recorded_thermostat'}"
REPO = HERE.parents[1]


@pytest.fixture(autouse=True)
def own_home(tmp_path, monkeypatch):
    monkeypatch.setenv("LOGICDISTILL_HOME", str(tmp_path / "home"))
    yield
    unregister_task("thermostat")


def _frames(html: Path) -> list[dict]:
    match = re.search(r"window\.LD_CONFIG = (\{.*?\});?\s*</script>", html.read_text(), re.S)
    assert match, "no embedded episode"
    return json.loads(match.group(1))["frames"]


def test_the_own_task_checks_and_plays_every_function_base_policy(tmp_path, capsys):
    assert main(["--plugin", PLUGIN, "check-task", "thermostat", "--teacher", REPLIES]) == 0, capsys.readouterr()
    out = tmp_path / "r.json"
    argv = ["--plugin", PLUGIN, "eval", "--task", "thermostat", "--policy", "optimal,teacher-program,manual-match"]
    argv += ["--teacher", REPLIES, "--eco-at", "1", "--episodes", "3", "--quiet", "--json", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    results = {r["policy"]: r["metrics"] for r in json.loads(out.read_text())}
    assert results["teacher-program"]["mean_return"] == results["optimal"]["mean_return"]
    assert results["manual-match"]["new_function_choice_rate"] == 1.0
    assert results["manual-match"]["violations"] == 0


def test_the_table_of_a_task_without_captures_says_nothing_of_captured_episodes(capsys):
    argv = ["--plugin", PLUGIN, "eval", "--task", "thermostat", "--policy", "optimal,teacher-program"]
    assert main([*argv, "--teacher", REPLIES, "--episodes", "2", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "(1.00x)" in out and "(1.23x): the value divided by optimal's" in out
    assert "captured" not in out


def test_a_rule_arriving_under_the_tasks_own_info_key_is_shown_by_play_and_the_html_page(tmp_path, capsys):
    """The arrival is the task's ``rule_events`` (not pursuit's ``new_rule`` info key): play's trace and the
    viewer name the rule at the step it arrives, beside the functions its adoption added."""
    html = tmp_path / "episode.html"
    argv = ["--plugin", PLUGIN, "play", "--task", "thermostat", "--policy", "teacher-program", "--teacher", REPLIES]
    assert main([*argv, "--eco-at", "2", "--seed", "3", "--html", str(html)]) == 0
    out = capsys.readouterr().out
    assert out.count("NEW RULE: Eco mode: from now on the cooler must stay off.") == 1
    frames = _frames(html)
    rules = [(f["step"], f["players"][0]["rule"]) for f in frames if f["players"][0]["rule"]]
    assert len(rules) == 1 and rules[0][0] == 2 and rules[0][1].startswith("Eco mode")
    assert any("coast_down" in f["players"][0]["new_functions"] for f in frames)
    # the task's own board (Task.board): one row of degrees with the room's temperature on it
    board = frames[0]["players"][0]["board"]
    assert board["kind"] == "grid" and board["width"] == 41 and board["units"][0]["cell"] == [0, 28]
    assert board["text"].startswith("...") and "Temperature 28" in board["text"]


def test_a_plugin_task_is_named_in_the_help_of_task_options(capsys):
    with pytest.raises(SystemExit):
        main(["--plugin", PLUGIN, "eval", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert re.search(r"--task TASK one of: [a-z, ]*thermostat", help_text)


def test_a_missing_recorded_reply_says_how_to_give_one(tmp_path, capsys):
    argv = ["--plugin", PLUGIN, "base", "build", "--task", "thermostat", "--teacher", f"recorded:{tmp_path}"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "DIR/thermostat/eq1_base.md" in err and "--teacher recorded:DIR" in err


def test_serve_on_a_taken_port_is_one_line_before_it_says_serving(tmp_path):
    pytest.importorskip("uvicorn", reason="the [serve] extra is not installed")
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        argv = [sys.executable, "-m", "logicdistill", "--plugin", PLUGIN, "serve", "--task", "thermostat"]
        argv += ["--policy", "teacher-program", "--teacher", REPLIES, "--port", str(port)]
        env = dict(os.environ, PYTHONPATH=str(REPO / "src"), LOGICDISTILL_HOME=str(tmp_path / "home"))
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env)
    finally:
        taken.close()
    assert done.returncode == 2, done.stderr
    assert "serving" not in done.stdout
    assert done.stderr.strip() == (
        f"logicdistill: error: cannot serve on 127.0.0.1:{port}: already in use (another server?); "
        "choose another with --port"
    )


def test_the_served_own_task_decides_adopts_its_rule_and_plays_viewer_episodes_with_its_options(tmp_path):
    """SPEC §8 for a plugin task: /v1/tasks names its environment options, a viewer episode takes them as
    ``env_args`` (the rule then arrives and is shown), and an option it does not offer is a 422 in one line."""
    pytest.importorskip("fastapi", reason="the [serve] extra is not installed")
    from fastapi.testclient import TestClient

    from logicdistill import plugins
    from logicdistill.serve.app import create_app
    from logicdistill.serve.service import DecisionService

    plugins.import_plugin(PLUGIN)
    service = DecisionService("thermostat", "teacher-program", {"teacher": REPLIES})
    try:
        with TestClient(create_app(service), raise_server_exceptions=False) as client:
            info = client.get("/v1/tasks/thermostat").json()
            assert info["options"] == {"eco_at": "the step at which eco mode (no cooling) arrives"}
            eco = [{"kind": "eco_mode", "text": "no cooling", "arrived_at": 1, "params": {}}]
            answer = client.post(
                "/v1/decide", json={"state": {"temperature": 27, "low": 19, "high": 22, "step": 2, "rules": eco}}
            ).json()
            assert answer["action"] == 0 and answer["stages"][1]["chosen"] == "coast_down"
            body = {"task": "thermostat", "policies": ["teacher-program"], "seed": 3, "env_args": {"eco_at": 2}}
            snapshot = client.post("/v1/episodes", json=body).json()
            assert snapshot["players"][0]["board"]["kind"] == "grid"
            rules = []
            for _ in range(3):
                snapshot = client.post(f"/v1/episodes/{snapshot['episode']}/step").json()
                rules.append(snapshot["players"][0]["rule"])
            assert rules[0] is None and rules[1].startswith("Eco mode") and rules[2] is None
            for env_args, word in [
                ({"flood_at": 2}, "no environment option 'flood_at'"),
                ({"eco_at": "../x.json"}, ""),
                ({"eco_at": "soon"}, "bad environment argument for task 'thermostat' (eco_at='soon'): ValueError"),
            ]:
                refused = client.post("/v1/episodes", json={**body, "env_args": env_args})
                assert refused.status_code == 422 and word in refused.json()["error"]
                assert "\n" not in refused.json()["error"]
    finally:
        service.close()


def test_eval_without_the_teacher_that_built_the_base_names_that_teacher(capsys):
    """A session reuses the base of its own teacher only: after ``base build --teacher recorded:DIR`` an
    ``eval`` without it says which --teacher built the stored base."""
    assert main(["--plugin", PLUGIN, "base", "build", "--task", "thermostat", "--teacher", REPLIES]) == 0
    capsys.readouterr()
    assert main(["--plugin", PLUGIN, "eval", "--task", "thermostat", "--policy", "teacher-program", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.rstrip().endswith(f"(version 1) was built with --teacher {REPLIES}: pass that")


def test_check_task_compares_the_stateless_views_after_a_rule_arrives_too(tmp_path, capsys):
    """A ``facts_from_state`` that forgets ``<kind>_in_force`` is found in the rule's rollout (rollout_env_args)."""
    source = Path(PLUGIN).read_text()
    forgetful = source.replace('eco = any(r.get("kind") == "eco_mode" for r in state.get("rules", []))', "eco = False")
    assert forgetful != source
    (tmp_path / "forgetful.py").write_text(forgetful)
    assert main(["--plugin", str(tmp_path / "forgetful.py"), "check-task", "thermostat", "--teacher", REPLIES]) == 1
    out = capsys.readouterr().out
    assert "thermostat: stateless (rule eco_mode): step 3: facts_from_state" in out
    assert "'eco_mode_in_force': False} != state_facts {" in out


def test_an_option_value_the_env_refuses_is_one_line(capsys):
    argv = ["--plugin", PLUGIN, "eval", "--task", "thermostat", "--policy", "optimal", "--quiet"]
    assert main([*argv, "--env-arg", "eco_at=abc"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "bad environment argument for task 'thermostat' (eco_at='abc'): ValueError: invalid literal" in err


def test_check_task_says_when_a_task_cannot_be_served(tmp_path, capsys):
    source = Path(PLUGIN).read_text()
    unserved = source[: source.index("    # --- serving ---")] + source[source.index("    def board(") :]
    (tmp_path / "unserved.py").write_text(unserved)
    assert main(["--plugin", str(tmp_path / "unserved.py"), "check-task", "thermostat", "--teacher", REPLIES]) == 0
    out = capsys.readouterr().out
    assert "thermostat: serving: no text_from_state" in out and "check-task thermostat: ok" in out


def test_a_borrowed_run_says_on_which_task_its_accuracy_was_measured(capsys):
    """The shipped pursuit adapter plays ld on a task with no run: its held-out figure is pursuit's."""
    from logicdistill import plugins
    from logicdistill.cli.eval_cmd import student_runs
    from logicdistill.tasks import get_task

    plugins.import_plugin(PLUGIN)
    student_runs(get_task("thermostat"), ["ld-guard"], None)
    err = capsys.readouterr().err
    assert "student of ld-guard: run" in err and "held-out selection accuracy 1.000 on pursuit)" in err
