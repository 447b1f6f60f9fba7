"""The decision API through FastAPI's test client: answers equal the live policy's, SPEC §8's shapes, rules
adopted once, dynamic batching with a tiny student, the viewer's page and episodes, play --html."""

from __future__ import annotations

import asyncio
import re
import threading

import pytest

from logicdistill.agent.session import FunctionBaseSession
from logicdistill.agent.stateless import RuleBook, engine_for, read_state
from logicdistill.serve.app import create_app
from logicdistill.serve.service import DecisionService
from logicdistill.tasks import get_task
from tests.serve.conftest import live_states


@pytest.fixture(scope="module")
def pursuit_states(base_root):
    return live_states("pursuit", [0, 1], base_root, scenario="danger_zone", steps=12)


def test_decide_equals_the_live_policy_on_every_state(client, pursuit_states):
    ruled = 0
    for case in pursuit_states:
        answer = client.post("/v1/decide", json={"state": case["state"]}).json()
        assert answer["action"] == case["action"]
        assert [s["chosen"] for s in answer["stages"]] == case["chosen"]
        if case["state"]["rules"]:
            ruled += 1
            assert answer["new_functions"], "a state with a rule in force decides on the adopted base"
    assert ruled >= 2  # the danger zone arrives at step 4: later states carry it


@pytest.mark.parametrize("task_name", ["blackjack", "taxi"])
def test_decide_other_tasks(client, base_root, task_name):
    for case in live_states(task_name, [5, 6], base_root, steps=6):
        answer = client.post("/v1/decide", json={"state": case["state"], "task": task_name}).json()
        assert answer["action"] == case["action"], case
        assert answer["task"] == task_name


def test_answer_has_the_spec_shape(client, pursuit_states):
    answer = client.post("/v1/decide", json={"state": pursuit_states[0]["state"]}).json()
    assert set(answer) >= {"action", "stages", "seconds"}
    assert isinstance(answer["seconds"], float) and answer["seconds"] > 0
    for stage in answer["stages"]:
        assert set(stage) >= {"stage", "candidates", "chosen", "forced", "result"}
        assert stage["forced"] is False
        assert stage["chosen"] in [c["name"] for c in stage["candidates"]]
        assert sum(c["p"] for c in stage["candidates"]) == pytest.approx(1.0)
    assert [s["stage"] for s in answer["stages"]] == ["moves", "choose"]


def test_health_and_task_schema(client):
    assert client.get("/v1/health").json() == {"status": "ok", "task": "pursuit", "policy": "teacher-program"}
    batching = client.get("/v1/stats").json()["batching"]["pursuit/teacher-program"]
    assert set(batching) == {"batches", "decisions", "mean_batch", "busy_s"}
    info = client.get("/v1/tasks/pursuit").json()
    assert [s["name"] for s in info["stages"]] == ["moves", "choose"]
    assert info["state_schema"]["properties"]["history"]["maxItems"] == 1000
    assert "danger_zone" in info["scenarios"] and "teacher-program" in info["policies"]
    assert client.get("/docs").status_code == 200
    assert "/v1/decide" in client.get("/openapi.json").json()["paths"]


def test_a_request_does_not_scan_the_installed_plugins(client, pursuit_states, monkeypatch):
    """Finding the task and policy of a request is a lookup: scanning the entry points once took 69% of a
    loaded server's time."""
    from logicdistill import plugins

    client.post("/v1/decide", json={"state": pursuit_states[0]["state"]})  # the served pair is loaded
    scans = []
    real = plugins.entry_points
    monkeypatch.setattr(plugins, "entry_points", lambda group: scans.append(group) or real(group))
    for case in pursuit_states[:3]:
        answer = client.post("/v1/decide", json={"state": case["state"], "task": "pursuit"}).json()
        assert answer["action"] == case["action"]
    assert scans == []
    wrong = client.post("/v1/decide", json={"state": pursuit_states[0]["state"], "task": "nope"})
    assert wrong.status_code == 404 and "unknown task 'nope'" in wrong.json()["error"]


def test_api_key_is_required_when_set(service, pursuit_states):
    from fastapi.testclient import TestClient

    with TestClient(create_app(service, api_key="s3cret")) as c:
        body = {"state": pursuit_states[0]["state"]}
        refused = c.post("/v1/decide", json=body)
        assert refused.status_code == 401 and "Bearer" in refused.json()["error"]
        assert c.post("/v1/decide", json=body, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.post("/v1/decide", json=body, headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert c.get("/v1/health").status_code == 200  # load balancers probe without a key


def test_exposure_warning_only_beyond_loopback_without_key():
    from logicdistill.cli.serve_cmd import exposure_warning

    assert exposure_warning("127.0.0.1", None) is None
    assert exposure_warning("::1", None) is None
    assert exposure_warning("0.0.0.0", "k") is None
    assert "WITHOUT an API key" in exposure_warning("0.0.0.0", None)


def test_a_new_rule_is_adopted_once_by_concurrent_requests(tmp_path, pursuit_states):
    task = get_task("pursuit")
    state = next(c["state"] for c in pursuit_states if c["state"]["rules"])
    rules = read_state(task, state).rules
    session = FunctionBaseSession(task, base_root=tmp_path)
    try:
        book = RuleBook(session)
        barrier = threading.Barrier(8)
        versions = []

        def ask() -> None:
            barrier.wait()
            versions.append(book.base_for(rules).number)

        threads = [threading.Thread(target=ask) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert book.adoptions == 1 and len(set(versions)) == 1 and versions[0] != session.eq1_version
        replica = RuleBook(session)  # another replica on the same store finds it stored
        assert replica.base_for(rules).number == versions[0] and replica.adoptions == 0
    finally:
        session.close()


def test_requests_arriving_together_share_one_scoring_pass(base_root):
    """ld with a tiny student: concurrent requests are batched, and every answer equals the live policy's."""
    from logicdistill.evaluation.runner import make_policy
    from logicdistill.student.tiny import tiny_student

    task = get_task("pursuit")
    kwargs = {"student": tiny_student(0), "base_root": base_root, "retriever": "bm25", "k": 2}
    live = make_policy(task, "ld-untuned", **kwargs)
    env = task.make_env()
    obs, info = env.reset(seed=2)
    live.reset(env.unwrapped, 2)
    cases = []
    for _ in range(6):
        state = task.state_json(env.unwrapped)
        action = live.act(obs, info)
        cases.append((state, action.tolist(), [(r.chosen, r.probs) for r in live.last_records]))
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            break
    live.close()
    service = DecisionService("pursuit", "ld-untuned", window_s=0.05, policy_kwargs={"ld-untuned": kwargs})
    try:

        async def together() -> list:
            return await asyncio.gather(*(service.decide(s) for s, _, _ in cases))

        answers = asyncio.run(together())
        batches = service.served(None, None).batcher.batches
        stats = service.served(None, None).batcher.stats()
    finally:
        service.close()
    assert max(batches) > 1 and sum(batches) == len(cases)
    assert stats["decisions"] == len(cases) and stats["batches"] == len(batches) and stats["busy_s"] > 0
    assert stats["mean_batch"] == pytest.approx(len(cases) / len(batches))
    for (_, action, stages), answer in zip(cases, answers, strict=True):
        assert answer["action"] == action
        for (chosen, probs), got in zip(stages, answer["stages"], strict=True):
            assert got["chosen"] == chosen
            assert [c["p"] for c in got["candidates"]] == pytest.approx([p for _, p in probs], abs=1e-4)


def test_policies_that_need_the_environment_are_refused(base_root):
    task = get_task("pursuit")
    from logicdistill.errors import UserError
    from logicdistill.evaluation.runner import make_policy

    policy = make_policy(task, "heuristic")
    with pytest.raises(UserError, match="live environment"):
        engine_for(task, policy)


def test_viewer_page_is_self_contained(client):
    page = client.get("/").text
    assert "LD_CONFIG" in page and "viewer" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page), "no CDN or remote asset"


def test_viewer_episode_steps_several_policies(client):
    start = client.post("/v1/episodes", json={"policies": ["teacher-program", "heuristic"], "seed": 3}).json()
    assert start["step"] == 0 and [p["policy"] for p in start["players"]] == ["teacher-program", "heuristic"]
    assert start["players"][0]["board"]["kind"] == "grid"
    for step in (1, 2, 3):
        snap = client.post(f"/v1/episodes/{start['episode']}/step").json()
        assert snap["step"] == step
        program, heuristic = snap["players"]
        assert [s["stage"] for s in program["stages"]] == ["moves", "choose"]
        assert heuristic["stages"] == []  # a policy without stages shows only its board


@pytest.mark.parametrize(("task_name", "kind"), [("blackjack", "cards"), ("taxi", "grid")])
def test_viewer_boards_of_other_tasks(client, task_name, kind):
    start = client.post("/v1/episodes", json={"task": task_name, "policies": ["teacher-program"], "seed": 1}).json()
    board = start["players"][0]["board"]
    assert board["kind"] == kind and board["text"]
    if kind == "cards":
        assert len(board["player"]) == 2 and board["dealer"][1] == 0  # the dealer's second card is face down
    else:
        assert (board["height"], board["width"]) == (5, 5) and len(board["walls"]) == 6
    snap = client.post(f"/v1/episodes/{start['episode']}/step").json()
    assert snap["players"][0]["stages"] and snap["players"][0]["action"] is not None


def test_play_html_writes_one_self_contained_page(tmp_path, base_root, capsys):
    import json

    from logicdistill.cli import main

    out = tmp_path / "episode.html"
    argv = ["play", "--task", "blackjack", "--policy", "teacher-program", "--seed", "4", "--html", str(out)]
    assert main(argv) == 0
    page = out.read_text()
    config = json.loads(re.search(r"window.LD_CONFIG = (.*?);</script>", page).group(1))
    assert config["mode"] == "recorded" and config["frames"][0]["step"] == 0
    assert config["frames"][-1]["done"] and config["frames"][1]["players"][0]["stages"][0]["stage"] == "decide"
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)


def test_check_task_finds_a_wrong_state_text(monkeypatch):
    from logicdistill.evaluation.task_check import check_task

    task = get_task("blackjack")
    assert check_task(task) == []
    monkeypatch.setattr(type(task), "text_from_state", lambda self, state: "a different text")
    problems = check_task(task)
    assert problems and "text_from_state" in problems[0]
