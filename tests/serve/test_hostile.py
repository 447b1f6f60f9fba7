"""Hostile peers of ``logicdistill serve``: teacher-written functions that loop, hog memory, raise or return
what is not an action (each decision fails in its stage, the server keeps serving); a base that reaches for
the operating system (refused at admission, in one line); clients mixing bad requests into a load of good
ones on a real server; and a ``remote:URL`` server that is down, slow or answers garbage (one line, no
traceback, no hang)."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from pathlib import Path

import pytest

from logicdistill.agent.remote_policy import RemotePolicy
from logicdistill.client import Client, ServerError
from logicdistill.errors import UserError
from logicdistill.serve.service import DecisionService, RequestError
from logicdistill.tasks import get_task
from tests.serve.conftest import live_states

RECORDED = Path(__file__).resolve().parents[2] / "src" / "logicdistill" / "recorded" / "blackjack" / "eq1_base.md"
ANCHOR = '    """Basic strategy without a usable ace: 0 = stick, 1 = hit."""\n'
# A hard 30 is a bust: admission's checks never ask for it, a client can (the trap stays hidden until served).
HOSTILE = {
    2: "while True:\n            pass",
    3: "return len([0] * (10 ** 9))",
    4: "raise RuntimeError('boom\\nsecond line')",
    5: "return {1, 2}",
    6: "return 'x' * (50 * 1000 * 1000)",
    7: "return 10 ** 5000",
    8: "return 'hit me'",
}


def _base(tmp_path: Path, body: str) -> str:
    folder = tmp_path / "teacher" / "blackjack"
    folder.mkdir(parents=True)
    source = RECORDED.read_text()
    assert ANCHOR in source
    (folder / "eq1_base.md").write_text(source.replace(ANCHOR, ANCHOR + body))
    return f"recorded:{tmp_path / 'teacher'}"


def _service(tmp_path: Path, teacher: str) -> DecisionService:
    return DecisionService(
        "blackjack",
        "teacher-program",
        {"teacher": teacher},
        policy_kwargs={"teacher-program": {"base_root": tmp_path / "bases"}},
    )


GOOD = {"player_sum": 16, "dealer_card": 10, "usable_ace": False}  # hit: action 1


@pytest.fixture(scope="module")
def trapped(tmp_path_factory):
    """A blackjack teacher-program service whose base hides every trap of HOSTILE."""
    tmp_path = tmp_path_factory.mktemp("trapped")
    traps = "".join(
        f'    if state["player_sum"] == 30 and state["dealer_card"] == {card}:\n        {code}\n'
        for card, code in HOSTILE.items()
    )
    service = _service(tmp_path, _base(tmp_path, traps))
    yield service
    service.close()


def test_hostile_functions_fail_their_decision_and_the_server_keeps_serving(trapped):
    from fastapi.testclient import TestClient

    from logicdistill.serve.app import create_app

    with TestClient(create_app(trapped), raise_server_exceptions=False) as client:
        for card in HOSTILE:
            start = time.monotonic()
            state = {**GOOD, "player_sum": 30, "dealer_card": card}
            response = client.post("/v1/decide", json={"state": state})
            assert response.status_code == 200, response.text
            answer = response.json()
            assert answer["action"] is None and answer["error"], answer  # no action: the client plays its fallback
            stage = answer["stages"][0]
            assert stage["chosen"] == "hard_total_decision"
            assert "\n" not in json.dumps(answer)  # JSON escapes, and no line of a traceback
            if card != 8:  # a result of the wrong kind ran fine: the decision, not the call, failed
                assert stage["ok"] is False and stage["error"], stage
            assert time.monotonic() - start < 10
            after = client.post("/v1/decide", json={"state": GOOD})
            assert after.status_code == 200 and after.json()["action"] == 1  # the next client is served
        assert client.get("/v1/health").json() == {"status": "ok", "task": "blackjack", "policy": "teacher-program"}


def test_clients_repeating_a_looping_state_do_not_starve_the_others(trapped):
    """16 clients at once, half repeating a state whose function loops: the loop costs its CPU budget once
    (the sandbox remembers the exact call), so the good half is answered well within the deadline. Before,
    every repeat burnt 2 s on the one decision thread and the good half got 504s."""
    from logicdistill.serve.app import create_app
    from tests.serve.conftest import LoopbackServer

    looping = {"player_sum": 30, "dealer_card": 2, "usable_ace": False, "note": "a call no other test made"}
    outcomes: list[tuple[str, object]] = []
    barrier = threading.Barrier(16)

    def run(c: int) -> None:
        client = Client(server.url, timeout=60)
        barrier.wait()
        for _ in range(3):
            state = GOOD if c % 2 == 0 else looping
            try:
                outcomes.append(("good" if c % 2 == 0 else "looping", client.decide(state)["action"]))
            except ServerError as err:
                outcomes.append(("failed", str(err)))
        client.close()

    start = time.monotonic()
    with LoopbackServer(create_app(trapped)) as server:
        threads = [threading.Thread(target=run, args=(c,)) for c in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert sorted(outcomes, key=str) == [("good", 1)] * 24 + [("looping", None)] * 24
    assert time.monotonic() - start < 15  # one 2 s budget, then answers at once (24 loops would take 48 s)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("    import os\n    os.system('true')\n", "import of 'os' is not allowed"),
        ("    import socket\n", "import of 'socket' is not allowed"),
        ("    return open('/etc/passwd').read()\n", "name 'open' is not allowed"),
        ("    return ().__class__.__bases__[0].__subclasses__()\n", "'.__subclasses__' is not allowed"),
    ],
)
def test_a_base_reaching_out_is_refused_at_admission_in_one_line(tmp_path, body, why):
    with pytest.raises(RequestError) as caught:
        _service(tmp_path, _base(tmp_path, body))
    assert "admission failed" in caught.value.message and why in caught.value.message
    assert "\n" not in caught.value.message and "Traceback" not in caught.value.message


def test_good_clients_are_answered_while_half_send_bad_requests(loopback, base_root):
    cases = live_states("pursuit", [3], base_root, steps=8)
    deep = b'{"state": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    bad = [
        (deep, 400),
        (b'{"state": {"step": ' + b"9" * 5000 + b"}}", 400),
        (b"\xff\xfe", 400),
        (b"[1, 2]", 422),
        (json.dumps({"state": {**cases[0]["state"], "pursuers": [[40, 0], [0, 0]]}}).encode(), 422),
        (json.dumps({"state": {**cases[0]["state"], "captured": [True, True]}}).encode(), 422),
        (json.dumps({"state": cases[0]["state"], "policy": "x" * 150}).encode(), 404),
    ]
    failures: list[str] = []
    good_answers = 0
    lock = threading.Lock()
    barrier = threading.Barrier(32)

    def run(c: int) -> None:
        nonlocal good_answers
        client = Client(loopback.url, timeout=30)
        barrier.wait()
        for i in range(3):
            if c % 2 == 0:
                case = cases[(c + i) % len(cases)]
                try:
                    answer = client.decide(case["state"])
                    ok = answer["action"] == case["action"]
                except ServerError as err:
                    ok, answer = False, str(err)
                with lock:
                    good_answers += ok
                    if not ok:
                        failures.append(f"good request: {answer}")
                continue
            body, status = bad[(c // 2 + i) % len(bad)]
            conn = client._connection()
            conn.request("POST", "/v1/decide", body=body, headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            text = response.read()
            if response.status != status or list(json.loads(text)) != ["error"]:
                with lock:
                    failures.append(f"bad request {body[:40]!r}: {response.status} {text[:200]!r}")
        client.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    assert good_answers == 16 * 3
    assert Client(loopback.url).health()["status"] == "ok"


class _Peer(http.server.BaseHTTPRequestHandler):
    """A server at the remote URL that is not (or no longer) a logicdistill server."""

    answer: bytes = b""
    status = 200
    delay = 0.0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        time.sleep(self.delay)
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.answer)))
        self.end_headers()
        try:
            self.wfile.write(self.answer)
        except BrokenPipeError:  # the slow case: the client gave up first, as it should
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def peer():
    servers = []

    def start(answer: bytes = b"", status: int = 200, delay: float = 0.0) -> str:
        handler = type("Peer", (_Peer,), {"answer": answer, "status": status, "delay": delay})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _act(task_name: str, url: str, timeout: float = 10.0) -> UserError:
    task = get_task(task_name)
    env = task.make_env()
    obs, info = env.reset(seed=0)
    policy = RemotePolicy(task, f"remote:{url}", timeout=timeout)
    policy.reset(env.unwrapped, 0)
    try:
        with pytest.raises(UserError) as caught:
            policy.act(obs, info)
    finally:
        policy.close()
        env.close()
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message and len(message) < 400, message
    return caught.value


@pytest.mark.parametrize(
    ("answer", "status", "said"),
    [
        (b"<html>a proxy's page</html>", 200, "answered 200 with no JSON: <html>a proxy's page</html>"),
        (b"", 200, "answered no decision"),
        (b"[1, 2]", 200, "answered no decision"),
        (b'{"action": null, "stages": "x"}', 200, "answered no decision"),
        (b'{"action": "banana", "stages": []}', 200, "an action task 'pursuit' cannot play: \"banana\""),
        (b'{"action": [1e400, 2], "stages": []}', 200, "cannot play: [Infinity, 2]"),
        (b"<html>\n<b>502</b>\n</html>", 502, "server answered 502: <html> <b>502</b> </html>"),
        (b"[" * 100_000, 200, "answered 200 with no JSON"),
    ],
)
def test_remote_policy_against_a_server_answering_garbage(peer, answer, status, said):
    assert said in str(_act("pursuit", peer(answer, status)))


def test_remote_policy_reads_a_stage_in_another_shape_without_a_traceback(peer):
    task = get_task("blackjack")
    env = task.make_env()
    obs, info = env.reset(seed=0)
    url = peer(b'{"action": 1, "stages": [{"stage": "decide"}, "x", {"candidates": [{"p": "high"}]}]}')
    policy = RemotePolicy(task, f"remote:{url}")
    policy.reset(env.unwrapped, 0)
    assert policy.act(obs, info) == 1
    assert policy.last_trace.count("another shape") == 3
    policy.close()
    env.close()


def test_remote_policy_against_a_server_that_is_down_or_slow(peer):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{s.getsockname()[1]}"
    assert "cannot reach" in str(_act("blackjack", down))
    slow = peer(b'{"action": 1, "stages": []}', delay=10.0)
    start = time.monotonic()
    assert "timed out" in str(_act("blackjack", slow, timeout=0.5))
    assert time.monotonic() - start < 6.0  # the timeout ends the wait, not the server (10 s)


def test_viewer_episodes_started_at_once_all_start_and_stay_capped(service):
    """Bases built in several threads at once (each episode's teacher-program parses its base): CPython 3.11's
    parser shares state between threads, and a SystemError once reached a client as a 500."""
    from fastapi.testclient import TestClient

    from logicdistill.serve.app import create_app

    app = create_app(service)
    statuses: list[int] = []
    with TestClient(app, raise_server_exceptions=False) as client:

        def start(seed: int) -> None:
            body = {"policies": ["teacher-program", "random"], "seed": 2**32 - 1 - seed}
            statuses.append(client.post("/v1/episodes", json=body).status_code)

        threads = [threading.Thread(target=start, args=(i,)) for i in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert statuses == [200] * 12
        assert len(app.state.episodes._episodes) == app.state.episodes.limit  # the oldest were closed
        assert client.post("/v1/episodes/e1/step").status_code == 404


def test_requests_cannot_make_the_server_load_students_without_bound(client, service, monkeypatch):
    """Each ld variant a request names loads a student (1-2 GB): past the cap it is a 503, at once."""
    state = {"player_sum": 16, "dealer_card": 10, "usable_ace": False}
    monkeypatch.setattr(service, "max_extra_students", 0)
    start = time.monotonic()
    response = client.post("/v1/decide", json={"state": state, "task": "blackjack", "policy": "ld"})
    assert response.status_code == 503 and "student models besides its own" in response.json()["error"]
    assert time.monotonic() - start < 2  # refused before loading anything
    assert client.post("/v1/decide", json={"state": state, "task": "blackjack"}).status_code == 200  # no model


def test_a_policy_that_cannot_be_served_is_refused_at_once_and_remembered_within_bounds(client, service):
    state = {"player_sum": 16, "dealer_card": 10, "usable_ace": False}
    for i in range(300):
        response = client.post(
            "/v1/decide", json={"state": state, "task": "blackjack", "policy": f"remote:http://127.0.0.1:{i + 1}"}
        )
        assert response.status_code == 422 and "needs its live environment" in response.json()["error"]
    assert len(service._refused) <= 256
    assert client.get("/v1/health").json()["status"] == "ok"


def test_a_trickled_body_is_dropped_and_requests_at_once_are_bounded(service):
    """A client that sends half a body and waits holds a request slot until the body timeout (408), and
    past ``max_in_flight`` requests at once the server answers 503 at once instead of queueing bodies."""
    from logicdistill.serve.app import create_app
    from tests.serve.conftest import LoopbackServer

    with LoopbackServer(create_app(service, body_timeout_s=1.0, max_in_flight=1)) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as slow:
            slow.sendall(b'POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"state": ')
            time.sleep(0.3)
            with pytest.raises(ServerError) as busy:
                Client(server.url).request("POST", "/v1/decide", {"state": {}})
            assert busy.value.status == 503 and "requests already" in busy.value.message
            start = time.monotonic()
            reply = ""
            while not reply.endswith("}") and time.monotonic() - start < 5:  # headers and body may come apart
                reply += slow.recv(4096).decode()
            assert time.monotonic() - start < 5
        assert reply.startswith("HTTP/1.1 408") and '{"error":"the body did not arrive within 1 s"}' in reply
        assert Client(server.url).health()["status"] == "ok"


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://127.0.0.1:99999", "Port out of range"),
        ("http://127.0.0.1:abc", "Port could not be cast"),
        ("http://[::1", "Invalid IPv6 URL"),
        ("ftp://host", "want http://HOST:PORT"),
    ],
)
def test_remote_policy_with_a_malformed_url_is_one_line(url, said):
    with pytest.raises(UserError) as caught:
        RemotePolicy(get_task("blackjack"), f"remote:{url}")
    assert said in str(caught.value) and "\n" not in str(caught.value)


def test_remote_policy_stops_reading_an_endless_answer(peer, monkeypatch):
    import logicdistill.client

    monkeypatch.setattr(logicdistill.client, "MAX_ANSWER_BYTES", 1000)
    assert "answered more than 1000 bytes" in str(_act("blackjack", peer(b" " * 5000)))


def test_non_finite_numbers_become_null_not_a_500():
    """A student's NaN probability or a NaN in an action would make the response fail to encode."""
    from types import SimpleNamespace

    import numpy as np

    from logicdistill.serve.answers import candidates, jsonable

    assert jsonable({"a": [float("nan"), 1.5, np.float32("inf")], "b": np.array([1.0, -np.inf])}) == {
        "a": [None, 1.5, None],
        "b": [1.0, None],
    }
    record = SimpleNamespace(probs=[("f", float("nan")), ("g", 0.25)], chosen="g", shown=None, candidates=["f", "g"])
    assert candidates(record) == [{"name": "f", "p": 0.0}, {"name": "g", "p": 0.25}]
    json.dumps(candidates(record), allow_nan=False)


def test_viewer_episodes_hold_a_bounded_number_of_student_models():
    """Each ld player of an episode on a server without a student of its own loads one (a gigabyte or two):
    the book closes the oldest episodes past ``max_students``; the served student, shared, does not count."""
    from types import SimpleNamespace

    from logicdistill.serve.episodes import EpisodeBook

    closed: list[str] = []
    served_student = object()

    def player(name: str, student: object) -> tuple:
        policy = SimpleNamespace(student=student, close=lambda: closed.append(name))
        return name, policy, SimpleNamespace(close=lambda: None)

    book = EpisodeBook(limit=8, max_students=2)
    task = get_task("blackjack")
    first = book.add(task, 0, [player("a", object()), player("b", served_student)], shared=served_student)
    second = book.add(task, 1, [player("c", object())], shared=served_student)
    assert closed == [] and book.get(first.id) and book.get(second.id)  # two own students: within the cap
    third = book.add(task, 2, [player("d", object()), player("e", None)], shared=served_student)
    assert closed == ["a", "b"] and book.get(first.id) is None and book.get(third.id)
    alone = book.add(task, 3, [player(n, object()) for n in "fghi"], shared=served_student)
    assert book.get(alone.id) is not None and book.get(second.id) is None  # the newest stays, even over the cap


def test_a_rule_whose_adoption_was_refused_is_not_asked_again_at_once(tmp_path, base_root):
    """A served state may carry a rule; when the rule teacher's answer fails admission (here a function
    importing os), the request is a 422 in one line, and repeats of that state fail at once instead of asking
    the teacher again (a paid call per request with a live one)."""
    import asyncio

    recorded = RECORDED.parents[1] / "pursuit"
    folder = tmp_path / "teacher" / "pursuit"
    folder.mkdir(parents=True)
    (folder / "eq1_base.md").write_text((recorded / "eq1_base.md").read_text())
    eq6 = (recorded / "eq6_danger_zone.md").read_text()
    start = eq6.index("```python\n")
    body = eq6.index("\n", eq6.index("def ", start)) + 1
    (folder / "eq6_danger_zone.md").write_text(eq6[:body] + "    import os\n" + eq6[body:])
    service = DecisionService(
        "pursuit",
        "teacher-program",
        {"teacher": f"recorded:{tmp_path / 'teacher'}"},
        policy_kwargs={"teacher-program": {"base_root": tmp_path / "bases"}},
    )
    state = live_states("pursuit", [0], base_root, steps=1)[0]["state"]
    ruled = {**state, "rules": [{"kind": "danger_zone", "arrived_at": 0, "params": {"rect": [[6, 6], [7, 7]]}}]}
    try:
        for attempt in range(2):
            with pytest.raises(RequestError) as caught:
                asyncio.run(service.decide(ruled))
            assert caught.value.status == 422 and "import of 'os' is not allowed" in caught.value.message
            assert ("not asked again yet" in caught.value.message) == (attempt == 1)
        assert asyncio.run(service.decide(state))["action"] is not None  # states without the rule still decide
    finally:
        service.close()
