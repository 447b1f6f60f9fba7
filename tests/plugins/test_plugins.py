"""Tasks and rules from outside the package: entry points, ``--plugin MODULE``, ``--teacher recorded:DIR``."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from logicdistill.cli import main
from logicdistill.tasks import get_task, task_names, unregister_task
from logicdistill.teacher.teachers import RECORDED_DIR

REPO = Path(__file__).resolve().parents[2]

TOY_MODULE = textwrap.dedent(
    """
    from tests.fakes import GuessTask


    class ToyTask(GuessTask):
        name = "toy"
        description = "a plugin task"
    """
)


def _site(tmp_path: Path, entries: str) -> Path:
    """A folder on PYTHONPATH holding toy plugin modules and a distribution that declares ``entries``."""
    site = tmp_path / "site"
    dist = site / "toyplug-0.1.dist-info"
    dist.mkdir(parents=True)
    (site / "toyplug.py").write_text(TOY_MODULE)
    (site / "brokenplug.py").write_text("raise ImportError('needs the frobnicate package')\n")
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toyplug\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(entries)
    return site


def _cli(site: Path, *argv: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), str(REPO / "src"), str(REPO)]))
    return subprocess.run(
        [sys.executable, "-m", "logicdistill", *argv], capture_output=True, text=True, env=env, timeout=120
    )


ENTRIES = "[logicdistill.tasks]\ntoy = toyplug:ToyTask\nbroken = brokenplug:Task\n"


def test_installed_plugin_task_is_listed_and_played(tmp_path):
    site = _site(tmp_path, ENTRIES)
    listing = _cli(site, "tasks")
    assert listing.returncode == 0, listing.stderr
    assert "toy: a plugin task" in listing.stdout and "pursuit:" in listing.stdout
    played = _cli(site, "eval", "--task", "toy", "--policy", "cheat", "--episodes", "3", "--quiet")
    assert played.returncode == 0, played.stderr
    assert "mean_score" in played.stdout and "3.0000" in played.stdout


def test_broken_plugin_is_one_line_and_others_still_work(tmp_path):
    site = _site(tmp_path, ENTRIES)
    listing = _cli(site, "tasks")
    assert listing.returncode == 0 and "blackjack:" in listing.stdout
    lines = [line for line in listing.stderr.splitlines() if "broken" in line]
    assert len(lines) == 1 and "needs the frobnicate package" in lines[0]
    assert "Traceback" not in listing.stderr
    asked = _cli(site, "eval", "--task", "broken", "--policy", "x")
    assert asked.returncode == 2 and "Traceback" not in asked.stderr
    assert asked.stderr.strip().count("\n") == 0 and "failed to load" in asked.stderr


def test_plugin_module_option_registers_a_task(tmp_path, capsys):
    module = tmp_path / "myplugin.py"
    module.write_text(TOY_MODULE + "\nfrom logicdistill.tasks import register_task\nregister_task(ToyTask)\n")
    try:
        assert main(["--plugin", str(module), "eval", "--task", "toy", "--policy", "cheat", "--episodes", "2"]) == 0
        assert "toy" in task_names() and get_task("toy").description == "a plugin task"
    finally:
        unregister_task("toy")
    assert "mean_score" in capsys.readouterr().out


def test_plugin_module_that_fails_is_one_error(tmp_path, capsys):
    """A module the user named is needed by the command: going on without it would mislead (exit 2)."""
    module = tmp_path / "bad.py"
    module.write_text("1/0\n")
    assert main(["--plugin", str(module), "tasks"]) == 2
    err = capsys.readouterr().err
    assert "bad.py failed to import: ZeroDivisionError" in err and "Traceback" not in err
    assert err.strip().count("\n") == 0 and err.startswith("logicdistill: error:")
    assert main(["--plugin", "no_such_module_anywhere", "tasks"]) == 2


def test_unknown_task_option_is_named(capsys):
    assert main(["eval", "--task", "blackjack", "--policy", "optimal", "--map", "open"]) == 2
    assert "unknown option --map for task 'blackjack'" in capsys.readouterr().err


# A new emergency rule from a plugin module, its Eq. 6 reply from a user's recorded folder.
RULE_MODULE = textwrap.dedent(
    """
    from dataclasses import dataclass
    from pathlib import Path
    from typing import ClassVar

    from logicdistill.tasks import register_event
    from logicdistill.tasks.pursuit.emergencies import DangerZone


    @dataclass(frozen=True)
    class Quarantine(DangerZone):
        kind: ClassVar[str] = "quarantine"
        recorded_dir: ClassVar[Path | None] = RECORDED


    register_event(Quarantine)
    """
)


@pytest.mark.parametrize("option", ["--teacher", "--rule-teacher", "the rule's own recorded_dir"])
def test_plugin_rule_runs_through_a_scenario_with_a_recorded_folder(tmp_path, option, monkeypatch, capsys):
    from logicdistill.tasks.pursuit import emergencies

    monkeypatch.setattr(emergencies, "_EVENTS", dict(emergencies._EVENTS))  # the rule is forgotten afterwards
    monkeypatch.setenv("LOGICDISTILL_HOME", str(tmp_path / "home"))
    own = option.startswith("the rule")
    recorded = f"Path({str(tmp_path / 'replies')!r})" if own else "None"
    (tmp_path / "quarantine_rule.py").write_text(RULE_MODULE.replace("RECORDED", recorded))
    replies = tmp_path / "replies" / "pursuit"
    replies.mkdir(parents=True)
    reply = (RECORDED_DIR / "pursuit" / "eq6_danger_zone.md").read_text().replace("danger_zone", "quarantine")
    (replies / "eq6_quarantine.md").write_text(reply)
    scenario = tmp_path / "quarantine.json"
    event = {"kind": "quarantine", "step": 3, "params": {"rect": [[4, 3], [5, 6]]}}
    scenario.write_text(json.dumps({"name": "quarantine", "map": "open", "events": [event]}))
    out = tmp_path / "r.json"
    argv = ["--plugin", str(tmp_path / "quarantine_rule.py"), "eval", "--task", "pursuit", "--policy"]
    argv += ["teacher-program", "--scenario", str(scenario)]
    argv += [] if own else [option, f"recorded:{tmp_path / 'replies'}"]
    argv += ["--episodes", "3", "--quiet", "--json", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    metrics = json.loads(out.read_text())["metrics"]
    assert metrics["violations"] == 0 and metrics["capture_rate"] == 1.0
    assert metrics["invalid_calls"] == 0


def test_a_plugin_rule_whose_conditions_disagree_with_its_program_is_refused_in_its_scenario(
    tmp_path, monkeypatch, capsys
):
    from logicdistill.tasks.pursuit import emergencies

    monkeypatch.setattr(emergencies, "_EVENTS", dict(emergencies._EVENTS))
    monkeypatch.setenv("LOGICDISTILL_HOME", str(tmp_path / "home"))
    (tmp_path / "quarantine_rule.py").write_text(RULE_MODULE.replace("RECORDED", "None"))
    replies = tmp_path / "replies" / "pursuit"
    replies.mkdir(parents=True)
    reply = (RECORDED_DIR / "pursuit" / "eq6_danger_zone.md").read_text().replace("danger_zone", "quarantine")
    # the detour's condition forgets "and not capture_available": with a capture both conditions hold
    reply = reply.replace(
        '"condition": "quarantine_in_force and not capture_available"', '"condition": "quarantine_in_force"'
    )
    (replies / "eq6_quarantine.md").write_text(reply)
    scenario = tmp_path / "quarantine.json"
    event = {"kind": "quarantine", "step": 3, "params": {"rect": [[4, 3], [5, 6]]}}
    scenario.write_text(json.dumps({"name": "quarantine", "map": "open", "events": [event]}))
    argv = ["--plugin", str(tmp_path / "quarantine_rule.py"), "eval", "--task", "pursuit", "--policy"]
    argv += ["teacher-program", "--scenario", str(scenario), "--rule-teacher", f"recorded:{tmp_path / 'replies'}"]
    assert main([*argv, "--episodes", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "several conditions hold at once" in err and "detour_around_zone" in err and "scenario=quarantine" in err
