"""The live-teacher paths against the real loopback server: Eq. 1 build, teacher-direct, the llm evader."""

import pytest

from logicdistill.agent.teacher_direct import TeacherDirectPolicy
from logicdistill.errors import UserError
from logicdistill.evaluation import play_episode
from logicdistill.llm.client import TeacherClient
from logicdistill.sandbox import Sandbox
from logicdistill.tasks import get_task
from logicdistill.tasks.pursuit.env import PursuitEnv
from logicdistill.tasks.pursuit.llm_evader import LLMEvader, parse_move
from logicdistill.teacher.build import build_base, default_store
from logicdistill.teacher.teachers import LiveTeacher
from logicdistill.text import name_in_text
from tests.fakes import CountTask
from tests.functionbase.sample import REPLY


def _client(url, tmp_path):
    return TeacherClient(url, "m", cache_dir=tmp_path / "cache", timeout=2.0, max_retries=2, backoff_base=0.01)


def test_live_eq1_build_repairs_a_prose_reply_and_admits(loopback, tmp_path, monkeypatch):
    server = loopback([{"content": "Sure! I would write some functions."}, {"content": REPLY}])
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    teacher = LiveTeacher(f"openai:m@{server.url}", cache_dir=tmp_path / "cache")
    task = CountTask()
    with Sandbox(workers=1) as sandbox:
        result = build_base(task, teacher, default_store(task, tmp_path / "bases"), sandbox)
    assert set(result.base.functions) == {"double_it", "negate_it"}
    assert result.base.functions["double_it"].provenance.teacher == f"openai:m@{server.url}"
    assert len(server.events()) == 2  # the prose reply was sent back once with the error


def test_teacher_direct_plays_blackjack_from_replies(loopback, tmp_path):
    server = loopback([{"content": "hit", "repeat": 3}, {"content": "I would stick.", "repeat": 50}])
    task = get_task("blackjack")
    policy = TeacherDirectPolicy(task, client=_client(server.url, tmp_path))
    env = task.make_env()
    record = play_episode(task, env, policy, seed=1)
    assert record.steps >= 1 and policy.metrics()["invalid_calls"] == 0
    with pytest.raises(UserError, match="live teacher"):
        TeacherDirectPolicy(task, teacher="recorded")


def test_parse_choice_prefers_whole_names():
    names = ["up+up", "up+left", "stay+stay"]
    assert name_in_text("I choose up+left.", names) == "up+left"
    assert name_in_text("Stay+Stay", names) == "stay+stay"
    assert name_in_text("no idea", names) is None


def test_llm_evader_moves_from_replies_and_falls_back_on_prose(loopback, tmp_path):
    server = loopback([{"content": "left"}, {"content": "I think I will run!", "repeat": 200}])
    evader = LLMEvader(client=_client(server.url, tmp_path))
    env = PursuitEnv(map="open", evader=evader, max_steps=3)
    env.reset(seed=0, options={"pursuers": [(0, 0), (0, 9)], "evaders": [(5, 5)]})
    env.step([4, 4])
    assert env.evaders[0] == (5, 4)  # "left"
    env.step([4, 4])
    assert evader.invalid_replies == 1  # prose: the greedy move instead
    assert parse_move("Move: DOWN.") == 1 and parse_move("nothing") is None


def test_live_teacher_labels_replace_the_program_labels(loopback, tmp_path, monkeypatch):
    from logicdistill.agent.candidates import CandidateBuilder
    from logicdistill.distillation.mixture import teacher_labels
    from logicdistill.distillation.traces import StageTrace
    from logicdistill.teacher.drafts import parse_reply

    server = loopback([{"content": "negate_it", "repeat": 10}])
    monkeypatch.setenv("OPENAI_API_KEY", "test")
    teacher = LiveTeacher(f"openai:m@{server.url}", cache_dir=tmp_path / "cache")
    task = CountTask()
    draft = parse_reply(REPLY, "recorded", "h", need_stages=True)
    from logicdistill.functionbase.store import FunctionBaseStore

    base = FunctionBaseStore(tmp_path / "b").commit(draft.stages, {f.name: f for f in draft.functions}, draft.program)
    builder = CandidateBuilder(task, base, k=2, retriever="bm25")
    traces = [
        StageTrace(0, "", i, "act", f"x is {i}", {"big": i > 3}, [], "negate_it" if i > 3 else "double_it")
        for i in range(6)
    ]
    labelled, agreement = teacher_labels(task, teacher, builder, traces)
    assert [t.gold for t in labelled] == ["negate_it"] * 6
    assert agreement == 2 / 6
    assert "double_it" in server.events()[0]["body"]["messages"][0]["content"]
