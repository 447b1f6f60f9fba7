"""A small client of ``logicdistill serve`` (standard library only: it runs wherever the state is made).

>>> from logicdistill.client import Client
>>> client = Client("http://127.0.0.1:8000")
>>> answer = client.decide(state)            # state: the task's state JSON (Task.state_json)
>>> answer["action"], [s["chosen"] for s in answer["stages"]]

Each thread keeps one kept-alive connection. A refusal (4xx/5xx) raises :class:`ServerError` with the
server's one line; a server that cannot be reached raises it with status 0.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
from typing import Any
from urllib.parse import urlsplit

from logicdistill.errors import UserError

API_KEY_ENV = "LOGICDISTILL_API_KEY"
MAX_ANSWER_BYTES = 64 << 20  # a decision is a few KiB to a few MiB (stage results are capped at 1 MB each)


class ServerError(UserError):
    def __init__(self, status: int, message: str):
        super().__init__(f"server answered {status}: {message}" if status else message)
        self.status, self.message = status, message


def _excerpt(raw: bytes) -> str:
    text = " ".join(raw[:200].decode(errors="replace").split())
    return text or "(an empty body)"


class Client:
    def __init__(self, url: str, api_key: str | None = None, timeout: float = 60.0):
        try:
            parts = urlsplit(url if "://" in url else f"http://{url}")
            port = parts.port  # parsed on first use: a port out of range or not a number is a ValueError
        except ValueError as err:
            raise UserError(f"server URL {url[:200]!r}: {err}; want http://HOST:PORT") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UserError(f"server URL {url[:200]!r}: want http://HOST:PORT")
        self.url = f"{parts.scheme}://{parts.netloc}"
        self._https, self._host, self._port = parts.scheme == "https", parts.hostname, port
        self.api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        self.timeout = timeout
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = self._local.conn = cls(self._host, self._port, timeout=self.timeout)
        return conn

    def request(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        for attempt in (1, 2):  # a kept-alive connection the server closed meanwhile: one fresh try
            conn = self._connection()
            try:
                conn.request(method, path, body=data, headers=headers)
                response = conn.getresponse()
                raw = response.read(MAX_ANSWER_BYTES + 1)
                if len(raw) > MAX_ANSWER_BYTES:  # not a decision: a wrong URL streaming something else
                    conn.close()
                    self._local.conn = None
                    raise ServerError(0, f"{self.url} answered more than {MAX_ANSWER_BYTES} bytes: not a decision")
                break
            except (ConnectionError, http.client.HTTPException, OSError) as err:
                conn.close()
                self._local.conn = None
                if attempt == 2 or not isinstance(err, (http.client.RemoteDisconnected, ConnectionResetError)):
                    raise ServerError(0, f"cannot reach {self.url}: {err}") from None
        try:
            payload = json.loads(raw or b"null")
        except (ValueError, RecursionError):
            payload = None
            if response.status < 400:  # a proxy's page, or no logicdistill server behind this URL
                raise ServerError(0, f"{self.url} answered {response.status} with no JSON: {_excerpt(raw)}") from None
        if response.status >= 400:
            message = payload.get("error") if isinstance(payload, dict) else None
            raise ServerError(response.status, " ".join(str(message or _excerpt(raw) or response.reason).split()))
        return payload

    def decide(self, state: dict[str, Any], task: str | None = None, policy: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"state": state}
        if task:
            body["task"] = task
        if policy:
            body["policy"] = policy
        answer = self.request("POST", "/v1/decide", body)
        if not isinstance(answer, dict) or "action" not in answer or not isinstance(answer.get("stages"), list):
            raise ServerError(
                0,
                f'{self.url} answered no decision (want {{"action", "stages", ...}}): '
                f"{_excerpt(json.dumps(answer).encode())}",
            )
        return answer

    def health(self) -> dict[str, Any]:
        return self.request("GET", "/v1/health")

    def stats(self) -> dict[str, Any]:
        """The server's batch statistics per loaded policy (GET /v1/stats)."""
        return self.request("GET", "/v1/stats")

    def task(self, name: str) -> dict[str, Any]:
        return self.request("GET", f"/v1/tasks/{name}")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
