"""Lockstep on the real student (shipped pursuit adapter, MiniLM retriever): the same decisions as one episode
after another, in plain pursuit and with an emergency rule adopted mid-episode (marked: integration)."""

from __future__ import annotations

import pytest

from logicdistill.evaluation import evaluate
from logicdistill.settings import Settings
from logicdistill.student.runs import shipped_run
from logicdistill.tasks import get_task
from tests.evaluation.decision_log import assert_same_decisions, log_decisions

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("env_kwargs", [{}, {"scenario": "danger_zone"}], ids=["plain", "danger_zone"])
def test_real_student_decides_the_same_in_lockstep(monkeypatch, env_kwargs):
    task = get_task("pursuit")
    log = log_decisions(monkeypatch)
    options = {"run": str(shipped_run("pursuit"))}
    alone_settings = Settings(episodes_at_once=1)
    one = evaluate(task, "ld", 2, seed=3, env_kwargs=env_kwargs, policy_kwargs=options, settings=alone_settings)
    alone = dict(log)
    log.clear()
    in_lockstep = Settings(episodes_at_once=2)
    many = evaluate(task, "ld", 2, seed=3, env_kwargs=env_kwargs, policy_kwargs=options, settings=in_lockstep)
    assert len(alone) >= 4
    assert_same_decisions(alone, log, entropy_tol=1e-3)
    assert [r.stats for r in many.records] == [r.stats for r in one.records]
    for name in ("capture_rate", "selection_accuracy", "invalid_calls", "new_function_choice_rate"):
        assert many.metrics.get(name) == one.metrics.get(name), name
