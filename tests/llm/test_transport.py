"""The client's transport limits against the loopback server: one deadline per attempt, a cap on the reply's size,
a bounded total time for all retries, HTTPS with the default SSL context, and server text that cannot drive the
user's terminal."""

from __future__ import annotations

import json
import socket
import time
import unicodedata

import pytest

from logicdistill.llm import client as client_module
from logicdistill.llm.transport import safe_text
from logicdistill.teacher import TeacherClient, TeacherError

MESSAGES = [{"role": "user", "content": "Write f."}]


def make(server_url: str, tmp_path, **kwargs) -> TeacherClient:
    """A client with test-sized limits and no retries unless a test asks for them."""
    options = {"timeout": 2.0, "max_retries": 0, "backoff_base": 0.01, "backoff_max": 0.05}
    return TeacherClient(server_url, "test-model", cache_dir=tmp_path / "cache", **(options | kwargs))


def test_defaults_and_invalid_limits(tmp_path):
    client = TeacherClient("http://127.0.0.1:9/v1", "m", cache_dir=tmp_path)
    assert (client.timeout, client.max_total_s, client.max_reply_bytes) == (120.0, 300.0, 8 * 1024 * 1024)
    for bad in ({"timeout": 0}, {"max_total_s": -1}, {"max_reply_bytes": 0}, {"max_retries": -1}):
        with pytest.raises(TeacherError, match=next(iter(bad))):
            TeacherClient("http://127.0.0.1:9/v1", "m", cache_dir=tmp_path, **bad)


def test_silent_server_is_bounded_by_max_total_s(loopback, tmp_path):
    # Accepts, reads the request, never answers: before, 6 attempts x 120 s plus backoff kept a build going.
    server = loopback([{"delay": 30, "content": "late", "repeat": True}])
    client = make(server.url, tmp_path, timeout=0.4, max_retries=50, max_total_s=1.2)
    started = time.monotonic()
    with pytest.raises(TeacherError, match=r"max_total_s=1\.2 .*timed out: no complete reply"):
        client.chat(MESSAGES)
    assert time.monotonic() - started < 2.0
    assert 2 <= client.stats.requests <= 4


def test_no_wait_is_started_past_max_total_s(loopback, tmp_path):
    server = loopback([{"status": 429, "retry_after": 5}, {"content": "ok"}])
    waits: list[float] = []
    client = make(server.url, tmp_path, max_retries=3, backoff_max=10.0, max_total_s=2.0, sleep=waits.append)
    with pytest.raises(TeacherError, match=r"max_total_s=2 leaves no time to wait 5\.0 s and ask again\): HTTP 429"):
        client.chat(MESSAGES)
    assert waits == [] and len(server.events()) == 1


@pytest.mark.parametrize("head", [False, True], ids=["body", "head-and-body"])
def test_trickling_reply_is_cut_at_the_deadline(loopback, tmp_path, head):
    # One byte every 0.05 s never trips a per-read timeout; the whole reply would take ~15 s.
    server = loopback([{"drip": 0.05, "drip_head": head, "content": "slowly"}])
    client = make(server.url, tmp_path, timeout=0.6)
    started = time.monotonic()
    with pytest.raises(TeacherError, match=r"timed out: no complete reply from .* within 0\.6 s"):
        client.chat(MESSAGES)
    assert time.monotonic() - started < 1.5


@pytest.mark.parametrize(
    "entry", [{"flood": 64 * 1024 * 1024}, {"flood": 100, "length": 10**12}], ids=["endless", "announced"]
)
def test_oversized_reply_fails_at_once(loopback, tmp_path, entry):
    server = loopback([entry, {"content": "never asked"}])
    client = make(server.url, tmp_path, max_retries=3, max_reply_bytes=1024 * 1024)
    with pytest.raises(TeacherError, match=r"larger than max_reply_bytes=1048576"):
        client.chat(MESSAGES)
    assert len(server.events()) == 1 and client.stats.retries == 0  # the same question would get the same reply


def test_odd_content_length_is_not_trusted(loopback, tmp_path):
    # "²".isdigit() is True but int("²") fails; http.client then reads to the close, and so must the cap check.
    body = json.dumps({"choices": [{"message": {"content": "ok"}}]})
    server = loopback([{"reply": f"HTTP/1.1 200 OK\r\nContent-Length: \u00b2\r\nConnection: close\r\n\r\n{body}"}])
    assert make(server.url, tmp_path).chat(MESSAGES) == "ok"


def test_reply_within_the_cap_is_read_whole(loopback, tmp_path):
    content = "x" * 300_000  # several chunks
    server = loopback([{"content": content}])
    assert make(server.url, tmp_path, max_reply_bytes=400_000).chat(MESSAGES) == content


def test_redirect_is_reported_not_followed(loopback, tmp_path):
    server = loopback([{"status": 307, "headers": {"Location": "http://elsewhere/v1/chat/completions"}}, {}])
    with pytest.raises(TeacherError, match=r"HTTP 307 .*redirects are not followed; it points to http://elsewhere/v1"):
        make(server.url, tmp_path, max_retries=2).chat(MESSAGES)
    assert len(server.events()) == 1


def test_https_with_a_trusted_certificate(loopback, tmp_path, tls_cert, monkeypatch):
    server = loopback([{"content": "over TLS"}], tls=tls_cert)
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_cert[0]))  # the default context's trust store takes it from here
    assert make(server.url, tmp_path).chat(MESSAGES) == "over TLS"


def test_https_with_an_untrusted_certificate_fails_at_once(loopback, tmp_path, tls_cert, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    server = loopback([{"content": "never"}], tls=tls_cert)
    client = make(server.url, tmp_path, max_retries=3)
    with pytest.raises(TeacherError, match=r"TLS certificate of 127\.0\.0\.1 not accepted"):
        client.chat(MESSAGES)
    assert client.stats.requests == 1 and server.events() == []


def test_https_handshake_is_inside_the_deadline(tmp_path):
    # A listener that never accepts: the kernel completes the TCP connect, then the TLS handshake waits forever.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client = make(f"https://127.0.0.1:{listener.getsockname()[1]}/v1", tmp_path, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(TeacherError, match=r"could not reach .*no connection within 0\.5 s"):
            client.chat(MESSAGES)
        assert time.monotonic() - started < 1.5


# ESC sequences that clear the screen, set the window title and recolour; a bell; a bare CR that overwrites the
# line; an 8-bit CSI; a right-to-left override that reverses what follows; a newline that fakes a second line.
HOSTILE = "\x1b[2J\x1b]0;owned\x07\rFAKE $ \x9b31m\u202egnp.exe\nsecond line " + "A" * 5000


def assert_safe(text: str) -> None:
    bad = [ch for ch in text if unicodedata.category(ch) in ("Cc", "Cf")]
    assert not bad, f"control characters {bad[:5]} in {text[:120]!r}"
    assert len(text) < 1000


@pytest.mark.parametrize(
    "entry",
    [
        {"status": 401, "message": HOSTILE},
        {"status": 400, "body": HOSTILE},
        {"status": 403, "body": "", "reason": "\x1b[31mDenied\x1b[0m\x07"},
        {"reply": "\x1b[2J\x1b]0;owned\x07 HTTP/1.1 200\r\n\r\n"},  # a status line that is not one
        {"status": 307, "headers": {"Location": "http://x/\x1b[2J\x07"}},
    ],
    ids=["openai-message", "raw-body", "reason-phrase", "status-line", "location"],
)
def test_server_text_in_errors_is_escape_safe(loopback, tmp_path, entry):
    server = loopback([entry])
    with pytest.raises(TeacherError) as caught:
        make(server.url, tmp_path).chat(MESSAGES)
    assert_safe(str(caught.value))
    assert "\\x1b" in str(caught.value)  # shown, not obeyed


def test_server_text_in_retry_log_is_escape_safe(loopback, tmp_path, caplog):
    server = loopback([{"status": 503, "message": HOSTILE}, {"content": "ok"}])
    assert make(server.url, tmp_path, max_retries=1).chat(MESSAGES) == "ok"
    (record,) = [r for r in caplog.records if "retry" in r.getMessage()]
    assert_safe(record.getMessage())
    assert "FAKE $ \\x9b31m\\u202egnp.exe second line AAA" in record.getMessage()


def test_reply_without_content_is_reported_escape_safe():
    choice = {"message": {"content": None}, "finish_reason": "\x1b]0;owned\x07"}
    with pytest.raises(TeacherError) as caught:
        client_module._content_of({"choices": [choice]})
    assert_safe(str(caught.value))
    with pytest.raises(TeacherError) as caught:
        client_module._content_of({"error": HOSTILE})
    assert_safe(str(caught.value))


def test_safe_text():
    assert safe_text("a\r\n\t b") == "a b"
    assert safe_text("\x1b[31mred\x07\x7f") == "\\x1b[31mred\\x07\\x7f"
    assert safe_text("\x9b\u202e\u200b\U000e0041") == "\\x9b\\u202e\\u200b\\U000e0041"
    assert safe_text("héllo ✓ 日本") == "héllo ✓ 日本"
    cut = safe_text("x" * 10_000, 50)
    assert cut == "x" * 50 + "... [10000 characters in all]"
    assert safe_text("\x1b" * 100, 10).startswith("\\x1b\\x1b\\x")
