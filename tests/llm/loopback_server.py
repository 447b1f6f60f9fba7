"""A scripted OpenAI-compatible chat server on 127.0.0.1, for testing the teacher client over real HTTP.

Run: ``python loopback_server.py --port 0 --script script.json --log log.jsonl [--tls CERT KEY]``; the first
stdout line is the bound port. ``POST /v1/chat/completions`` answers from the script, a JSON list of entries
(or ``{"replies": [...]}``):

    {"content": "text"}                      a normal reply (prose "instead of code" is just content)
    {"match": "substring", ...}              only for requests whose last user message contains it
    {"repeat": true, ...}                    never used up (otherwise each entry answers once)
    {"status": 500|503|429|401, "message": "..."}   an error reply in the OpenAI error format
    {"retry_after": 2}                       adds a Retry-After header (with status 429)
    {"delay": 5.0, ...}                      sleeps first (longer than the client timeout: a "slow" fault)
    {"truncate": true, ...}                  a 200 whose JSON body is cut in half (Content-Length matches)
    {"disconnect": true, ...}                a 200 that announces the full length, sends half, and closes
    {"drip": 0.05, ...}                      sends the reply's body one byte every 0.05 s
    {"drip": 0.05, "drip_head": true, ...}   ... the status line and headers too
    {"flood": 1000000}                       a 200 of that many junk bytes, no Content-Length, then closes
    {"flood": 10, "length": 1e12}            ... announcing that Content-Length instead
    {"status": 400, "body": "raw text"}      an error reply with this raw body instead of the OpenAI format
    {"reason": "text", "headers": {...}}     the status line's reason phrase; extra headers (e.g. Location)
    {"reply": "raw bytes as latin-1 text"}   written as is (status line, headers, body), then closes

A request takes the first unused entry whose ``match`` (if any) is in its last user message; none left is a 400.
Every request is logged to the JSONL file on arrival (event "request", with the SHA-256 of the raw body) and
again once its reply has been written (event "reply").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


class Script:
    """The scripted entries and which are used up; thread-safe."""

    def __init__(self, entries: list[dict[str, Any]]) -> None:
        self.entries = entries
        self.used = [False] * len(entries)
        self.lock = threading.Lock()

    def take(self, last_user: str) -> tuple[int, dict[str, Any]] | None:
        """The index and entry answering a request whose last user message is ``last_user``."""
        with self.lock:
            for i, entry in enumerate(self.entries):
                if self.used[i] or ("match" in entry and entry["match"] not in last_user):
                    continue
                if not entry.get("repeat"):
                    self.used[i] = True
                return i, entry
        return None


class Log:
    """Appends one JSON line per event, flushed at once so that a watcher sees it immediately."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()

    def write(self, **event: Any) -> None:
        line = json.dumps({"time": time.time(), **event}, sort_keys=True)
        with self.lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def completion(content: str, model: str) -> dict[str, Any]:
    """A chat.completion object in the OpenAI response format."""
    return {
        "id": f"chatcmpl-loopback-{hashlib.sha256(content.encode()).hexdigest()[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }


class Handler(BaseHTTPRequestHandler):
    """Serves POST /v1/chat/completions from the server's script."""

    server: LoopbackServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's signature
        pass  # the JSONL log is the record; stderr stays quiet

    def do_POST(self) -> None:  # noqa: N802 - the http.server naming
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        digest = hashlib.sha256(raw).hexdigest()
        if self.path.rstrip("/") != "/v1/chat/completions":
            self.send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        try:
            body = json.loads(raw)
            messages = body["messages"]
            last_user = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            self.send_json(400, {"error": {"message": f"bad request body: {err}", "type": "invalid_request_error"}})
            return
        taken = self.server.script.take(last_user)
        index, entry = taken if taken else (None, {})
        log = self.server.log
        auth = self.headers.get("Authorization") is not None
        log.write(event="request", sha256=digest, entry=index, last_user=last_user, auth=auth, body=body)
        if taken is None:
            message = f"loopback: no scripted reply left for {last_user[:80]!r}"
            self.send_json(400, {"error": {"message": message, "type": "invalid_request_error"}})
        else:
            time.sleep(float(entry.get("delay", 0)))
            self.answer(entry, body.get("model", "loopback"))
        log.write(event="reply", sha256=digest, entry=index, status=entry.get("status", 200) if taken else 400)

    def answer(self, entry: dict[str, Any], model: str) -> None:
        status = int(entry.get("status", 200))
        extra = {str(k): str(v) for k, v in entry.get("headers", {}).items()}
        if "reply" in entry:
            self.drip(entry["reply"].encode("latin-1"), 0)
            self.close_connection = True
            return
        if "flood" in entry:
            self.flood(int(entry["flood"]), entry.get("length"))
            return
        if status != 200:
            error = {"message": entry.get("message", f"scripted error {status}"), "type": "loopback_fault"}
            if "retry_after" in entry:
                extra["Retry-After"] = str(entry["retry_after"])
            data = entry["body"].encode() if "body" in entry else json.dumps({"error": error}).encode()
            self.send_bytes(status, data, headers=extra, reason=entry.get("reason"))
            return
        data = json.dumps(completion(entry.get("content", ""), model)).encode()
        if "drip" in entry:
            head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
            if entry.get("drip_head"):
                self.drip(head.encode() + data, float(entry["drip"]))
            else:
                self.drip(head.encode(), 0)
                self.drip(data, float(entry["drip"]))
        elif entry.get("truncate"):
            self.send_bytes(200, data[: len(data) // 2])
        elif entry.get("disconnect"):
            self.send_bytes(200, data[: len(data) // 2], length=len(data))
            self.close_connection = True
        else:
            self.send_bytes(200, data, headers=extra, reason=entry.get("reason"))

    def drip(self, data: bytes, interval: float) -> None:
        """Write ``data`` raw: one byte per ``interval`` seconds, or all at once when it is 0."""
        pieces = [data[i : i + 1] for i in range(len(data))] if interval else [data]
        try:
            for piece in pieces:
                self.wfile.write(piece)
                self.wfile.flush()
                time.sleep(interval)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (deadline)

    def flood(self, size: int, length: Any) -> None:
        """A 200 whose body is ``size`` junk bytes, ended by closing the connection (or announced as ``length``)."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if length is None:
            self.send_header("Connection", "close")
        else:
            self.send_header("Content-Length", str(int(length)))
        self.end_headers()
        self.close_connection = True
        block = b"x" * 65536
        try:
            for start in range(0, size, len(block)):
                self.wfile.write(block[: size - start])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading at its cap

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self.send_bytes(status, json.dumps(payload).encode(), headers=headers)

    def send_bytes(
        self,
        status: int,
        data: bytes,
        length: int | None = None,
        headers: dict[str, str] | None = None,
        reason: str | None = None,
    ) -> None:
        self.send_response(status, reason)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data) if length is None else length))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): nothing left to do


class LoopbackServer(ThreadingHTTPServer):
    """A threading HTTP server carrying the script and the log."""

    daemon_threads = True  # a slow reply must not keep the process alive at shutdown

    def __init__(self, port: int, script: Script, log: Log, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.script = script
        self.log = log
        self.tls = tls

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs here, in the request's thread, so a client that never completes it blocks nothing.
        if self.tls is not None:
            request = self.tls.wrap_socket(request, server_side=True)
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that rejects the certificate or hangs up is what some tests are about


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port to bind on 127.0.0.1 (0: any free port)")
    parser.add_argument("--script", type=Path, required=True, help="JSON file of scripted replies")
    parser.add_argument("--log", type=Path, required=True, help="JSONL file receiving one line per event")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"), help="serve HTTPS with this certificate")
    args = parser.parse_args(argv)
    data = json.loads(args.script.read_text(encoding="utf-8"))
    entries = data["replies"] if isinstance(data, dict) else data
    tls = None
    if args.tls:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(*args.tls)
    server = LoopbackServer(args.port, Script(entries), Log(args.log), tls)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    sys.exit(main())
