"""Census of bad requests: each gets its 4xx and one line of JSON, never a traceback, and the server keeps
serving (like the CLI's census, tests/cli/census.py)."""

from __future__ import annotations

import copy
import gzip
import json

import pytest

from tests.serve.conftest import live_states

MAX_BODY = 1 << 20
TAXI = {
    "rows": 5,
    "cols": 5,
    "taxi": [3, 0],
    "passenger_at": "B",
    "passenger_in_taxi": False,
    "destination": "Y",
    "stops": {"R": [0, 0], "G": [0, 4], "Y": [4, 0], "B": [4, 3]},
    "walls": [],
}


@pytest.fixture(scope="module")
def state(base_root):
    return live_states("pursuit", [0], base_root, steps=1)[0]["state"]


def _with(state, **fields):
    out = copy.deepcopy(state)
    out.update(fields)
    return out


def _chunks(size: int):
    for _ in range(size // 65536 + 1):
        yield b" " * 65536


CASES = {
    # name: (method, path, build(state) -> kwargs for the client, status, fragment of the error line)
    "malformed JSON": ("POST", "/v1/decide", lambda s: {"content": b'{"state": {'}, 400, "malformed JSON"),
    "not UTF-8": ("POST", "/v1/decide", lambda s: {"content": b"\xff\xfe{}"}, 400, "malformed JSON"),
    "empty body": ("POST", "/v1/decide", lambda s: {"content": b""}, 422, "body"),
    "body not an object": ("POST", "/v1/decide", lambda s: {"json": [1, 2]}, 422, "valid dictionary"),
    "no state": ("POST", "/v1/decide", lambda s: {"json": {"task": "pursuit"}}, 422, "state"),
    "state of the wrong type": ("POST", "/v1/decide", lambda s: {"json": {"state": "x"}}, 422, "state"),
    "unknown field": ("POST", "/v1/decide", lambda s: {"json": {"state": s, "extra": 1}}, 422, "extra"),
    "unknown task": ("POST", "/v1/decide", lambda s: {"json": {"state": s, "task": "chess"}}, 404, "unknown task"),
    "unknown policy": ("POST", "/v1/decide", lambda s: {"json": {"state": s, "policy": "oracle9"}}, 404, "unknown"),
    "policy needing the env": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"state": s, "policy": "optimal"}},
        422,
        "live environment",
    ),
    "schema: missing field": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"state": {k: v for k, v in s.items() if k != "pursuers"}}},
        422,
        "missing field 'pursuers'",
    ),
    "schema: wrong type": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"state": _with(s, height="ten")}},
        422,
        "state.height: expected integer",
    ),
    "schema: out of range": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"state": _with(s, width=99)}},
        422,
        "at most 32",
    ),
    "schema: bool for an int": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"state": _with(s, step=True)}},
        422,
        "expected integer",
    ),
    "state for another task": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"state": s, "task": "blackjack"}},
        422,
        "missing field",
    ),
    "oversized body (declared)": ("POST", "/v1/decide", lambda s: {"content": b" " * (MAX_BODY + 1)}, 413, "limit"),
    "oversized body (chunked)": ("POST", "/v1/decide", lambda s: {"content": _chunks(MAX_BODY)}, 413, "limit"),
    "huge history": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"state": _with(s, history=[{"pursuers": [[0, 0]], "evaders": [[1, 1]]}] * 1001)}},
        422,
        "more than 1000 items",
    ),
    "unknown rule kind": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"state": _with(s, rules=[{"kind": "volcano", "arrived_at": 1}])}},
        422,
        "unknown event kind 'volcano'",
    ),
    "rule: a danger zone of 10^10 cells": (
        "POST",
        "/v1/decide",
        lambda s: {
            "json": {"state": _with(s, rules=[{"kind": "danger_zone", "params": {"rect": [[0, 0], [99999, 99999]]}}])}
        },
        422,
        "outside every map",
    ),
    "rule: a danger zone off the state's board": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"state": _with(s, rules=[{"kind": "danger_zone", "params": {"cells": [[20, 20]]}}])}},
        422,
        "danger zone cells (20, 20) lie off map",
    ),
    "rule: a slowed pursuer that is not there": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"state": _with(s, rules=[{"kind": "slowed_pursuer", "params": {"index": 7}}])}},
        422,
        "is not a pursuer",
    ),
    "bad rule params": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"state": _with(s, rules=[{"kind": "slowed_pursuer", "params": {"pursuer": "x"}}])}},
        422,
        "slowed_pursuer",
    ),
    "nested 100k levels deep": (
        "POST",
        "/v1/decide",
        lambda s: {"content": b'{"state": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"},
        400,
        "nested deeper than 32 levels",
    ),
    "nested past the depth cap": (
        "POST",
        "/v1/decide",
        lambda s: {"content": b'{"state": {"a": ' + b"[" * 40 + b"]" * 40 + b"}}"},
        400,
        "nested deeper than 32 levels",
    ),
    "an integer of 5000 digits": (
        "POST",
        "/v1/decide",
        lambda s: {"content": b'{"state": {"step": ' + b"9" * 5000 + b"}}"},
        400,
        "malformed JSON: an integer of more than 4300 digits",
    ),
    "NaN is not JSON": (
        "POST",
        "/v1/decide",
        lambda s: {"content": json.dumps({"state": s})[:-2].encode() + b', "step": NaN}}'},
        400,
        "NaN is not JSON",
    ),
    "Infinity is not JSON": ("POST", "/v1/decide", lambda s: {"content": b'{"state": {"x": -Infinity}}'}, 400, "Inf"),
    "a gzip body": (
        "POST",
        "/v1/decide",
        lambda s: {
            "content": gzip.compress(json.dumps({"state": s}).encode()),
            "headers": {"Content-Encoding": "gzip"},
        },
        415,
        "Content-Encoding 'gzip'",
    ),
    "a string body": ("POST", "/v1/decide", lambda s: {"json": "state"}, 422, "valid dictionary"),
    "a task name of 100k characters": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"state": s, "task": "t" * 100_000}},
        422,
        "at most 64 characters",
    ),
    "impossible: a pursuer off the board": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"state": _with(s, pursuers=[[31, 31], [1, 5]])}},
        422,
        "pursuers[0] = [31, 31] is off the 10x10 board",
    ),
    "impossible: an evader in the history off the board": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"state": _with(s, history=[{"pursuers": [[0, 0]], "evaders": [[12, 0]]}])}},
        422,
        "history[0].evaders[0]",
    ),
    "impossible: captured and evaders disagree": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"state": _with(s, captured=[False, True, False])}},
        422,
        "captured has 3 entries for 1 evader(s)",
    ),
    "impossible: step past max_steps": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"state": _with(s, step=70, max_steps=60)}},
        422,
        "step 70 is past max_steps 60",
    ),
    "impossible: a pursuer on an obstacle": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"state": _with(s, obstacles=[[2, 2]])}},
        422,
        "stands on an obstacle",
    ),
    "schema: a step of 300 digits": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"state": _with(s, step=10**300, max_steps=10**300)}},
        422,
        "at most 100000",
    ),
    "21 Points: a usable ace over 21": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"task": "blackjack", "state": {"player_sum": 25, "dealer_card": 2, "usable_ace": True}}},
        422,
        "player_sum 25 with a usable ace",
    ),
    "taxi: the passenger waits and rides": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"task": "taxi", "state": {**TAXI, "passenger_in_taxi": True}}},
        422,
        "passenger_in_taxi is true but passenger_at is 'B'",
    ),
    "taxi: two stops on one cell": (
        "POST",
        "/v1/decide",
        lambda s: {"json": {"task": "taxi", "state": {**TAXI, "stops": {**TAXI["stops"], "G": [0, 0]}}}},
        422,
        "two stops share a cell",
    ),
    "episode: a body nested too deep": (
        "POST",
        "/v1/episodes",
        lambda s: {"content": b"[" * 5000 + b"]" * 5000},
        400,
        "nested deeper",
    ),
    "episode: a scenario path (a file of the server)": (
        "POST",
        "/v1/episodes",
        lambda s: {"json": {"scenario": "/etc/passwd"}},
        422,
        "a scenario's name, not a path",
    ),
    "episode: a relative scenario path": (
        "POST",
        "/v1/episodes",
        lambda s: {"json": {"scenario": "../scenario.json"}},
        422,
        "not a path",
    ),
    "episode: a seed past 2**32": ("POST", "/v1/episodes", lambda s: {"json": {"seed": 2**64}}, 422, "seed"),
    "episode: too many policies": (
        "POST",
        "/v1/episodes",
        lambda s: {"json": {"policies": ["random"] * 5}},
        422,
        "policies",
    ),
    "unknown episode": ("POST", "/v1/episodes/e999/step", lambda s: {}, 404, "no episode"),
    "episode: bad seed": ("POST", "/v1/episodes", lambda s: {"json": {"seed": -1}}, 422, "seed"),
    "episode: unknown policy": ("POST", "/v1/episodes", lambda s: {"json": {"policies": ["nope"]}}, 404, "unknown"),
    "episode: unknown scenario": ("POST", "/v1/episodes", lambda s: {"json": {"scenario": "meteor"}}, 422, "meteor"),
    "unknown task schema": ("GET", "/v1/tasks/chess", lambda s: {}, 404, "unknown task"),
    "task schema: a path in the name": ("GET", "/v1/tasks/..%2f..%2fetc", lambda s: {}, 404, "Not Found"),
    "task schema: control characters": ("GET", "/v1/tasks/%00%E2%80%AE%0A", lambda s: {}, 404, "unknown task"),
    "task schema: a name of 10k characters": ("GET", "/v1/tasks/" + "x" * 10_000, lambda s: {}, 404, "unknown task"),
    "unknown path": ("GET", "/v1/nothing", lambda s: {}, 404, "Not Found"),
    "wrong method": ("GET", "/v1/decide", lambda s: {}, 405, "Method Not Allowed"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_request_gets_one_line_and_its_code(client, state, name):
    method, path, build, status, fragment = CASES[name]
    response = client.request(method, path, **build(state))
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["error"], body
    line = body["error"]
    assert fragment in line and "\n" not in line and "Traceback" not in line, line
    assert len(line) < 400
    assert client.get("/v1/health").json()["status"] == "ok"  # still serving
    good = client.post("/v1/decide", json={"state": state})
    assert good.status_code == 200 and good.json()["action"] is not None


def test_a_bug_is_a_500_with_one_line(client, service, state, monkeypatch):
    engine = service.served(None, None).engine

    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(engine, "decide_many", broken)
    response = client.post("/v1/decide", json={"state": state})
    assert response.status_code == 500 and response.json() == {
        "error": "internal error: RuntimeError: boom second line"
    }
    monkeypatch.undo()
    assert client.post("/v1/decide", json={"state": state}).status_code == 200


def test_past_the_deadline_is_a_504(client, service, state, monkeypatch):
    import time

    engine = service.served(None, None).engine
    real = engine.decide_many
    monkeypatch.setattr(engine, "decide_many", lambda states: (time.sleep(0.3), real(states))[1])
    monkeypatch.setattr(service, "deadline_s", 0.05)
    response = client.post("/v1/decide", json={"state": state})
    assert response.status_code == 504 and "deadline" in response.json()["error"]
    monkeypatch.undo()
    time.sleep(0.3)  # the slow decision finishes on the decision thread; the next one is on time
    assert json.loads(client.post("/v1/decide", json={"state": state}).text)["action"] is not None
