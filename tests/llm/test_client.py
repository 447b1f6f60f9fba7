"""TeacherClient against the real loopback server process: replies, cache, retries and faults."""

from __future__ import annotations

import json
import socket

import pytest

from logicdistill.teacher import RequestCache, TeacherClient, TeacherError, request_key

MESSAGES = [{"role": "system", "content": "You write code."}, {"role": "user", "content": "Write f."}]


def make(server_url: str, tmp_path, **kwargs) -> TeacherClient:
    """A client with test-sized timeouts and backoff (the test takes seconds, not minutes)."""
    options = {"timeout": 2.0, "max_retries": 3, "backoff_base": 0.01, "backoff_max": 0.05}
    return TeacherClient(server_url, "test-model", cache_dir=tmp_path / "cache", **(options | kwargs))


def closed_port_url() -> str:
    """A URL on a local port that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def test_reply_request_and_cache_record(loopback, tmp_path):
    server = loopback([{"content": "def f():\n    return 1\n"}])
    client = make(server.url, tmp_path, api_key="sk-secret")
    assert client.chat(MESSAGES) == "def f():\n    return 1\n"
    (event,) = server.events()
    assert event["body"] == {"model": "test-model", "messages": MESSAGES, "temperature": 0.0}
    assert event["auth"] is True
    # The body sent is the canonical request, so the server's hash is the cache key.
    body = client.request_body(MESSAGES)
    assert event["sha256"] == request_key(body)
    record_path = RequestCache(tmp_path / "cache").path(event["sha256"])
    record = json.loads(record_path.read_text())
    assert record["request"] == body and record["content"] == "def f():\n    return 1\n"
    assert record["response"]["object"] == "chat.completion" and record["created"]
    assert "sk-secret" not in record_path.read_text()
    assert client.stats.requests == 1 and client.stats.cache_hits == 0


def test_cache_hit_never_touches_the_network(loopback, tmp_path):
    server = loopback([{"content": "first"}, {"content": "second"}])
    assert make(server.url, tmp_path).chat(MESSAGES) == "first"
    # A fresh client on a dead port: the answer must come from the cache alone.
    again = make(closed_port_url(), tmp_path, max_retries=0)
    assert again.chat(MESSAGES) == "first"
    assert again.stats.cache_hits == 1 and again.stats.requests == 0
    assert len(server.events()) == 1


def test_params_are_part_of_the_request(loopback, tmp_path):
    server = loopback([{"content": "cold"}, {"content": "warm"}])
    client = make(server.url, tmp_path)
    assert client.chat(MESSAGES) == "cold"
    assert client.chat(MESSAGES, temperature=0.7) == "warm"
    assert [e["body"]["temperature"] for e in server.events()] == [0.0, 0.7]


FAULTS = {
    "500": {"status": 500, "message": "internal"},
    "503": {"status": 503, "message": "overloaded"},
    "429": {"status": 429, "message": "slow down", "retry_after": 0},
    "slow": {"delay": 4.0, "content": "too late"},
    "truncated": {"truncate": True, "content": "cut"},
    "disconnect": {"disconnect": True, "content": "dropped"},
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_client_recovers_from_fault(loopback, tmp_path, fault):
    server = loopback([FAULTS[fault], {"content": "ok"}])
    client = make(server.url, tmp_path, timeout=0.5)
    assert client.chat(MESSAGES) == "ok"
    requests = server.events()
    assert [e["entry"] for e in requests] == [0, 1]
    assert requests[0]["sha256"] == requests[1]["sha256"]  # the same request, asked again
    assert client.stats.retries == 1
    assert RequestCache(tmp_path / "cache").get(client.request_body(MESSAGES))["content"] == "ok"


def test_retry_after_is_honoured_and_backoff_is_seeded(loopback, tmp_path):
    server = loopback([{"status": 429, "retry_after": 3}, {"status": 500}, {"status": 503}, {"content": "ok"}])
    waits: list[float] = []
    client = make(server.url, tmp_path, backoff_base=0.5, backoff_max=10.0, seed=7, sleep=waits.append)
    assert client.chat(MESSAGES) == "ok"
    assert waits[0] == 3.0  # Retry-After, not the backoff
    # Attempts 1 and 2 back off exponentially with equal jitter: in [step/2, step] for step = 0.5 * 2**attempt.
    assert 0.5 <= waits[1] <= 1.0 and 1.0 <= waits[2] <= 2.0
    # The jitter comes from the seeded RNG: the same seed gives the same waits, another seed other waits.
    delays = [make(server.url, tmp_path, backoff_base=0.5, seed=seed)._delay(1, None) for seed in (7, 7, 8)]
    assert delays[0] == delays[1] != delays[2]


def test_retry_after_is_capped_by_backoff_max(loopback, tmp_path):
    server = loopback([{"status": 429, "retry_after": 600}, {"content": "ok"}])
    waits: list[float] = []
    assert make(server.url, tmp_path, backoff_max=2.0, sleep=waits.append).chat(MESSAGES) == "ok"
    assert waits == [2.0]


def test_retries_exhausted_is_a_clear_error(loopback, tmp_path):
    server = loopback([{"status": 503, "message": "model is overloaded", "repeat": True}])
    with pytest.raises(TeacherError, match=r"after 3 attempts: HTTP 503 .*model is overloaded"):
        make(server.url, tmp_path, max_retries=2).chat(MESSAGES)
    assert len(server.events()) == 3
    assert len(RequestCache(tmp_path / "cache")) == 0  # a failure is never cached


def test_client_error_fails_at_once(loopback, tmp_path):
    server = loopback([{"status": 401, "message": "Incorrect API key provided"}, {"content": "never"}])
    with pytest.raises(TeacherError, match=r"HTTP 401 .*Incorrect API key provided"):
        make(server.url, tmp_path).chat(MESSAGES)
    assert len(server.events()) == 1


def test_unreachable_server_is_retried_then_reported(tmp_path):
    waits: list[float] = []
    client = make(closed_port_url(), tmp_path, max_retries=2, sleep=waits.append)
    with pytest.raises(TeacherError, match="after 3 attempts: could not reach"):
        client.chat(MESSAGES)
    assert len(waits) == 2 and client.stats.requests == 3


def test_openai_without_key_fails_before_the_network(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    client = TeacherClient(None, "gpt-4o", cache_dir=tmp_path)
    assert client.base_url == "https://api.openai.com/v1"
    with pytest.raises(TeacherError, match="OPENAI_API_KEY"):
        client.chat(MESSAGES)
    assert client.stats.requests == 0


def test_environment_and_default_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1/")
    monkeypatch.setenv("LOGICDISTILL_HOME", str(tmp_path / "home"))
    client = TeacherClient(None, "m")
    assert client.api_key == "sk-env" and client.base_url == "http://127.0.0.1:9/v1"
    assert client.cache.folder == tmp_path / "home" / "teacher"
    with pytest.raises(TeacherError, match="http:// or https://"):
        TeacherClient("127.0.0.1:9/v1", "m", cache_dir=tmp_path)


def test_response_without_content_is_reported():
    from logicdistill.llm import client as client_module

    with pytest.raises(TeacherError, match="no choices"):
        client_module._content_of({"choices": []})
    with pytest.raises(TeacherError, match="finish_reason='length'"):
        client_module._content_of({"choices": [{"message": {"content": None}, "finish_reason": "length"}]})


def test_garbled_cache_record_is_asked_again_and_replaced(loopback, tmp_path, caplog):
    server = loopback([{"content": "fresh"}])
    client = make(server.url, tmp_path)
    path = client.cache.path(request_key(client.request_body(MESSAGES)))
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\x80\x81 not UTF-8, not JSON")
    assert client.chat(MESSAGES) == "fresh"
    assert "unusable teacher cache record" in caplog.text
    assert json.loads(path.read_text(encoding="utf-8"))["content"] == "fresh"
    assert client.chat(MESSAGES) == "fresh" and client.stats.cache_hits == 1 and len(server.events()) == 1
