"""HTTP client for an OpenAI-compatible chat endpoint (standard library only), cached and retried.

``TeacherClient.chat`` looks the canonical request up in the on-disk cache first; a hit returns at once and never
touches the network (nor needs an API key). A miss POSTs ``{base_url}/chat/completions``; timeouts, connection
errors, garbled bodies, 429 and 5xx are retried with exponential backoff plus seeded jitter (a Retry-After header
is honoured, up to ``backoff_max``); any other 4xx fails at once. Each attempt has one deadline for the whole
exchange and a cap on the reply's size, and all attempts together stay within ``max_total_s`` (see ``transport``).
Whatever the server wrote reaches messages and logs only through ``safe_text``. The answer is cached before it is
returned, so a process killed at any point resumes without asking anything twice that was already answered.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from logicdistill import __version__, paths
from logicdistill.errors import UserError
from logicdistill.llm import transport
from logicdistill.llm.cache import RequestCache, canonical_json
from logicdistill.llm.transport import safe_text

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# Below this much time left in ``max_total_s`` another attempt could not even connect, so none is started.
MIN_ATTEMPT_S = 0.1
_USER_AGENT = f"logicdistill/{__version__}"


class TeacherError(UserError):
    """The teacher could not give a usable answer (HTTP error, retries exhausted, reply never parsed)."""


class ChatClient(Protocol):
    """Anything that answers a chat: the live client, or a recorded teacher replaying files."""

    def chat(self, messages: list[dict[str, str]], **params: Any) -> str: ...


@dataclass
class ClientStats:
    """Counters for progress reports: answers from the cache, requests sent, retries made."""

    cache_hits: int = 0
    requests: int = 0
    retries: int = 0


class _Retryable(Exception):
    """A failure worth another attempt; ``retry_after`` is the server's requested wait, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TeacherClient:
    """A cached, retrying client for ``POST {base_url}/chat/completions``.

    ``api_key`` defaults to ``$OPENAI_API_KEY``, ``base_url`` to ``$OPENAI_BASE_URL`` or the OpenAI API, and
    ``cache_dir`` to ``paths.cache_dir("teacher")``. ``seed`` fixes the backoff jitter; ``sleep`` is the wait
    function (tests pass a recorder).

    Limits: ``timeout`` (s) bounds one attempt as a whole (connect, TLS, sending, the complete reply), however
    slowly the server trickles bytes; ``max_reply_bytes`` caps a reply's body (an endless or oversized reply fails
    at once, without retries); ``max_total_s`` bounds all attempts and backoff waits together: no wait is started
    that would end past it, and the last attempt gets only the time left.
    """

    def __init__(
        self,
        base_url: str | None,
        model: str,
        api_key: str | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        timeout: float = 120.0,
        max_retries: int = 5,
        backoff_base: float = 1.0,
        backoff_max: float = 30.0,
        temperature: float = 0.0,
        seed: int = 0,
        sleep: Callable[[float], None] = time.sleep,
        *,
        max_total_s: float = 300.0,
        max_reply_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise TeacherError(f"teacher base URL must start with http:// or https:// (got {url!r})")
        if not model:
            raise TeacherError("teacher model name is empty")
        for name, value in (("timeout", timeout), ("max_total_s", max_total_s), ("max_reply_bytes", max_reply_bytes)):
            if not value > 0:
                raise TeacherError(f"teacher {name} must be positive (got {value!r})")
        if max_retries < 0:
            raise TeacherError(f"teacher max_retries must be >= 0 (got {max_retries!r})")
        self.base_url = url
        self.model = model
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.cache = RequestCache(Path(cache_dir) if cache_dir is not None else paths.cache_dir("teacher"))
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_total_s = max_total_s
        self.max_reply_bytes = max_reply_bytes
        self.temperature = temperature
        self.stats = ClientStats()
        self._rng = random.Random(seed)
        self._sleep = sleep

    def request_body(self, messages: list[dict[str, str]], **params: Any) -> dict[str, Any]:
        """The canonical request for ``messages`` (what is hashed, cached and sent); ``params`` override defaults."""
        for i, message in enumerate(messages):
            if not isinstance(message, dict) or not isinstance(message.get("role"), str):
                raise TypeError(f"message {i} must be a dict with a 'role' and a 'content' string")
            if not isinstance(message.get("content"), str):
                raise TypeError(f"message {i} must be a dict with a 'role' and a 'content' string")
        body = {"model": self.model, "messages": messages, "temperature": self.temperature, **params}
        # Round-trip through JSON so that the in-memory request equals what the cache file stores (tuples -> lists).
        return json.loads(canonical_json(body))

    def chat(self, messages: list[dict[str, str]], **params: Any) -> str:
        """The reply text (``choices[0].message.content``) for ``messages``, from the cache when possible."""
        body = self.request_body(messages, **params)
        record = self.cache.get(body)
        if record is not None:
            self.stats.cache_hits += 1
            return record["content"]
        response = self._post_with_retries(body)
        content = _content_of(response)
        self.cache.put(body, response, content)
        return content

    def _post_with_retries(self, body: dict[str, Any]) -> dict[str, Any]:
        if self.api_key is None and self.base_url == DEFAULT_BASE_URL:
            raise TeacherError(
                "no API key for the OpenAI API: set OPENAI_API_KEY (or OPENAI_BASE_URL for a local server)"
            )
        data = canonical_json(body).encode("utf-8")
        attempts = self.max_retries + 1
        started = time.monotonic()
        give_up_at = started + self.max_total_s
        for attempt in range(1, attempts + 1):
            try:
                return self._post(data, min(self.timeout, give_up_at - time.monotonic()))
            except _Retryable as err:
                failure = err
            where = f"teacher request to {self.base_url} failed after {attempt} attempt{'s' * (attempt > 1)}"
            if attempt == attempts:
                raise TeacherError(f"{where}: {failure}") from failure
            delay = self._delay(attempt - 1, failure.retry_after)
            if time.monotonic() + delay + MIN_ATTEMPT_S > give_up_at:
                spent = time.monotonic() - started
                raise TeacherError(
                    f"{where} in {spent:.1f} s (max_total_s={self.max_total_s:g} leaves no time to wait "
                    f"{delay:.1f} s and ask again): {failure}"
                ) from failure
            self.stats.retries += 1
            log.warning("teacher request failed (%s); retry %d/%d in %.2fs", failure, attempt, attempts - 1, delay)
            self._sleep(delay)
        raise AssertionError("unreachable")

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with "equal jitter" (half fixed, half random); the server's Retry-After wins."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.backoff_max)
        step = min(self.backoff_max, self.backoff_base * 2**attempt)
        return step / 2 + self._rng.uniform(0, step / 2)

    def _post(self, data: bytes, timeout: float) -> dict[str, Any]:
        # urllib used to send a User-Agent; some API front ends refuse requests without one.
        headers = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": _USER_AGENT}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        url = f"{self.base_url}/chat/completions"
        self.stats.requests += 1
        try:
            reply = transport.post(url, data, headers, timeout, self.max_reply_bytes)
        except transport.TransportError as err:
            if err.retryable:
                raise _Retryable(str(err)) from err
            raise TeacherError(str(err)) from err
        if not 200 <= reply.status < 300:
            message = f"HTTP {reply.status} from {url}: {_error_text(reply)}"
            if reply.status == 429 or reply.status >= 500:
                raise _Retryable(message, _retry_after(reply.headers.get("Retry-After")))
            if 300 <= reply.status < 400:  # a POST is not re-sent elsewhere behind the user's back
                where = safe_text(reply.headers.get("Location", "?"), 200)
                raise TeacherError(f"{message} (redirects are not followed; it points to {where}: fix the base URL)")
            raise TeacherError(message)
        try:
            response = json.loads(reply.body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
            # A cut or garbled body is a transport fault (proxy, dropped connection): asking again is the fix.
            detail = safe_text(err, 120)
            raise _Retryable(f"unreadable response body from {url} ({len(reply.body)} bytes): {detail}") from err
        if not isinstance(response, dict):
            raise _Retryable(f"response body from {url} is not a JSON object")
        return response


def _content_of(response: dict[str, Any]) -> str:
    """``choices[0].message.content``, or a TeacherError that says what came back instead."""
    try:
        choice = response["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError) as err:
        raise TeacherError(f"teacher response has no choices[0].message.content: {safe_text(response)}") from err
    if not isinstance(content, str):
        reason = choice.get("finish_reason") if isinstance(choice, dict) else None
        raise TeacherError(f"teacher reply has no text content (finish_reason={safe_text(repr(reason), 80)})")
    return content


def _error_text(reply: transport.Reply) -> str:
    """The server's error message, made safe: ``{"error": {"message": ...}}`` when it sends one, else the body."""
    raw = reply.body.decode("utf-8", errors="replace")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        return safe_text(raw.strip() or reply.reason or "(no body)")
    error = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(error, dict):
        error = error.get("message") or error
    return safe_text(error)


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (a number, or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) else None  # "nan" parses, and sleep(nan) raises
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
