"""One HTTP(S) POST under one deadline and a size cap (standard library only), and escape-safe server text.

``post`` bounds a request by wall-clock time, not by idle time: the deadline covers the connect, the TLS
handshake, sending, the status line, the headers and the whole body (not the name lookup, which the OS does with
its own timeouts). Every socket operation first sets the socket timeout to the time left, so a server that sends
a byte every few seconds is cut off at the deadline just like one that sends nothing. The body is read in chunks
and abandoned as soon as it passes ``max_bytes``, so an endless reply never fills the memory. ``safe_text`` is
applied to everything the server wrote before it reaches an exception message or a log line, so a hostile or
broken server cannot drive the user's terminal.
"""

from __future__ import annotations

import http.client
import io
import selectors
import socket
import ssl
import time
import unicodedata
from dataclasses import dataclass
from email.message import Message
from urllib.parse import urlsplit

CHUNK = 64 * 1024
# An error reply only needs its first lines for the message; the rest is not worth waiting or storing for.
ERROR_BODY_BYTES = 64 * 1024
_ESCAPED = {"Cc", "Cf", "Cs"}  # control (C0, DEL, C1 incl. CSI), format (bidi overrides, zero-width), surrogates


def safe_text(text: object, limit: int = 300) -> str:
    """``text`` as one printable line: whitespace runs (newlines, CR, tabs) become one space, any other control or
    format character (ESC, BEL, C1, bidi overrides) becomes a visible ``\\xNN``/``\\uNNNN`` escape, and the result
    is cut to about ``limit`` characters with a note of the full length."""
    raw = str(text)
    head = " ".join(raw[: 4 * limit + 16].split())  # only the head can be shown, so only the head is scanned
    out = "".join(_escape(ch) if unicodedata.category(ch) in _ESCAPED else ch for ch in head)
    if len(out) > limit or len(raw) > 4 * limit + 16:
        return f"{out[:limit]}... [{len(raw)} characters in all]"
    return out


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


class TransportError(Exception):
    """A request that got no usable HTTP reply; ``retryable`` is False when asking again cannot help."""

    def __init__(self, message: str, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Reply:
    """A complete HTTP reply (an error reply's body may be cut at ``ERROR_BODY_BYTES``)."""

    status: int
    reason: str
    headers: Message
    body: bytes


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left; a TimeoutError once none are, so every caller stops at the same instant."""
        left = self.end - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no complete reply within {self.seconds:.3g} s")
        return left


class _DeadlineSocket:
    """The socket as http.client sees it: each send and receive first sets the timeout to the time left.

    ``close`` does nothing because http.client closes its socket early (``Connection: close``) while the reply is
    still being read through ``makefile``; ``post`` closes the real socket when it is done.
    """

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self.sock = sock
        self.deadline = deadline

    def sendall(self, data: bytes) -> None:
        self.sock.settimeout(self.deadline.left())  # sendall's timeout bounds the whole call, not each chunk
        self.sock.sendall(data)

    def recv_into(self, buffer: memoryview, nbytes: int = 0) -> int:
        self.sock.settimeout(self.deadline.left())
        return self.sock.recv_into(buffer, nbytes)

    def makefile(self, mode: str = "rb", *args: object, **kwargs: object) -> io.BufferedReader:
        return io.BufferedReader(_Reader(self))

    def close(self) -> None:
        pass


class _Reader(io.RawIOBase):
    """A raw stream over a ``_DeadlineSocket`` (socket.SocketIO would bypass the per-read deadline)."""

    def __init__(self, sock: _DeadlineSocket) -> None:
        self.sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return self.sock.recv_into(buffer)


def _connect(host: str, port: int, context: ssl.SSLContext | None, deadline: _Deadline) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=deadline.left())
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # the request goes out in one go
        if context is None:
            return sock
        return _handshake(context.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False), deadline)
    except BaseException:
        sock.close()
        raise


def _handshake(tls: ssl.SSLSocket, deadline: _Deadline) -> ssl.SSLSocket:
    """A non-blocking handshake, so that the deadline bounds it as a whole (a blocking one waits per record)."""
    tls.setblocking(False)
    with selectors.DefaultSelector() as selector:
        selector.register(tls, selectors.EVENT_READ)
        while True:
            try:
                tls.do_handshake()
                return tls
            except ssl.SSLWantReadError:
                selector.modify(tls, selectors.EVENT_READ)
            except ssl.SSLWantWriteError:
                selector.modify(tls, selectors.EVENT_WRITE)
            selector.select(deadline.left())


def _read_body(response: http.client.HTTPResponse, limit: int) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of the body, and whether that was all of it."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = response.read(min(CHUNK, limit + 1 - size))
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], False


def post(url: str, data: bytes, headers: dict[str, str], timeout: float, max_bytes: int) -> Reply:
    """POST ``data`` to an http(s) ``url`` and return the reply, all within ``timeout`` seconds.

    A 2xx body over ``max_bytes`` is refused (not retryable: the same question gets the same answer); an error
    reply's body is read best effort. TLS uses the default SSL context (system CAs, hostname checked).
    """
    parts = urlsplit(url)
    https = parts.scheme == "https"
    host, port = parts.hostname or "", parts.port or (443 if https else 80)
    deadline = _Deadline(timeout)
    context = ssl.create_default_context() if https else None
    # Made before connecting: HTTPSConnection sets the context's ALPN protocol, which the handshake must carry.
    if context is not None:
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(host, port, context=context)
    else:
        connection = http.client.HTTPConnection(host, port)
    try:
        sock = _connect(host, port, context, deadline)
    except ssl.SSLCertVerificationError as err:
        message = f"TLS certificate of {host} not accepted: {safe_text(err.verify_message or err)}"
        raise TransportError(message, retryable=False) from err
    except TimeoutError as err:
        raise TransportError(f"could not reach {url}: no connection within {timeout:.3g} s") from err
    except OSError as err:  # refused, unreachable, name not found, TLS failure
        raise TransportError(f"could not reach {url}: {safe_text(err)}") from err
    connection.sock = _DeadlineSocket(sock, deadline)  # type: ignore[assignment]
    try:
        connection.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), data, headers)
        response = connection.getresponse()
        ok = 200 <= response.status < 300
        declared = response.getheader("Content-Length", "")
        # isascii: "²".isdigit() is True, and a server may send any Latin-1 text in a header.
        if ok and declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
            raise _too_large(url, max_bytes, f"it announces {int(declared)} bytes")
        if ok:
            body, complete = _read_body(response, max_bytes)
            if not complete:
                raise _too_large(url, max_bytes, "reading stopped there")
        else:
            try:
                body, _ = _read_body(response, ERROR_BODY_BYTES)
            except (OSError, http.client.HTTPException):
                body = b""  # the status says enough on its own
        return Reply(response.status, safe_text(response.reason, 100), response.headers, body)
    except TimeoutError as err:
        raise TransportError(f"timed out: no complete reply from {url} within {timeout:.3g} s") from err
    except (OSError, http.client.HTTPException) as err:  # reset, cut body, bad status line, TLS record error
        raise TransportError(f"{type(err).__name__} from {url}: {safe_text(err)}") from err
    finally:
        connection.close()
        sock.close()


def _too_large(url: str, max_bytes: int, detail: str) -> TransportError:
    return TransportError(
        f"reply from {url} is larger than max_reply_bytes={max_bytes} ({detail}); raise it if replies are really "
        "this long",
        retryable=False,
    )
