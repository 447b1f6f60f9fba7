"""``logicdistill serve``: the agent behind an HTTP API (POST /v1/decide), with the live viewer at /.

SIGTERM drains: the server stops accepting, finishes the requests in flight, stops the decision threads and
the sandbox workers, and exits 0 (a load balancer's rolling restart is a success, not a crash).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import ipaddress
import os
import signal
import socket
import sys
from collections.abc import Iterator
from typing import Any

from logicdistill import settings as settings_options
from logicdistill.cli import checks
from logicdistill.errors import UserError
from logicdistill.tasks import task_names

API_KEY_ENV = "LOGICDISTILL_API_KEY"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve decisions over HTTP (POST /v1/decide) with a live viewer at / (needs the [serve] extra)",
        description='Serve a task\'s policy: POST /v1/decide with {"state": ...} answers the action and every '
        "stage; GET /v1/health; GET /v1/tasks/{task} gives the state's JSON schema; / is the viewer, /docs the "
        "OpenAPI docs. Requests arriving within --window-ms share one scoring pass (ld policies).",
    )
    p.add_argument("--task", required=True, help=f"one of: {', '.join(task_names())}")
    p.add_argument("--policy", default="ld", help="the served policy: ld (default), teacher-program, ld-generate, ...")
    p.add_argument("--run", help="ld: a distilled run folder (default: the latest, else the shipped one)")
    p.add_argument("--teacher", help="recorded (default), recorded:DIR or openai:MODEL[@URL]")
    p.add_argument("--rule-teacher", metavar="SPEC", help="the teacher that answers new rules (default: --teacher)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=_port, default=8000, help="port (default 8000; 0: any free port)")
    p.add_argument(
        "--api-key",
        help=f"require Authorization: Bearer KEY on /v1/* (default: ${API_KEY_ENV}, else no key)",
    )
    p.add_argument("--window-ms", type=_window, default=4.0, help="batching window in ms (default 4)")
    p.add_argument("--deadline", type=_positive, default=30.0, help="seconds a request may take (default 30)")
    p.add_argument("--max-body", type=int, default=1 << 20, help="largest request body in bytes (default 1 MiB)")
    settings_options.add_options(p, batch="the most requests decided in one scoring pass (default 64)")
    p.set_defaults(func=run)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--port wants an integer, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"--port must be in 0..65535, got {text}")
    return value


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"wants a number, got {text!r}") from None


def _window(text: str) -> float:
    value = _float(text)
    if not 0 <= value <= 1000:
        raise argparse.ArgumentTypeError(f"--window-ms must be in 0..1000, got {text}")
    return value


def _positive(text: str) -> float:
    value = _float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, api_key: str | None) -> str | None:
    """The loud warning for a server anyone on the network may call (None on loopback or with a key)."""
    if is_loopback(host) or api_key:
        return None
    bar = "!" * 78
    return (
        f"{bar}\nWARNING: serving on {host} WITHOUT an API key. Anyone who can reach this port can make this\n"
        "machine run teacher-written code and may make it call a paid teacher (new rules in a state).\n"
        f"Pass --api-key KEY (or set {API_KEY_ENV}), or bind --host 127.0.0.1.\n{bar}"
    )


def run(args: argparse.Namespace) -> int:
    from logicdistill.extras import SERVE_HINT, SERVE_MODULES, missing_modules

    missing = missing_modules(SERVE_MODULES)
    if missing:
        raise UserError(f"serve needs the serve extra (missing: {', '.join(missing)}): {SERVE_HINT}")
    from logicdistill.tasks import get_task

    checks.require_ml_for(get_task(args.task), [args.policy])  # the cheap checks before fastapi loads
    checks.check_run_dir(args.run)
    if args.max_body < 1024:
        raise UserError(f"--max-body must be at least 1024 bytes, got {args.max_body}")
    import uvicorn

    from logicdistill.serve.app import create_app
    from logicdistill.serve.service import DecisionService, RequestError

    settings = settings_options.from_args(args)
    options = {"teacher": args.teacher, "rule_teacher": args.rule_teacher, "run": args.run}
    api_key = args.api_key or os.environ.get(API_KEY_ENV) or None
    listening = bind_socket(args.host, args.port)  # a taken port fails here, before any model loads (or warning)
    with listening:  # closed however this ends: a failed start, a drained stop
        warning = exposure_warning(args.host, api_key)
        if warning:
            print(warning, file=sys.stderr, flush=True)
        try:
            service = DecisionService(
                args.task,
                args.policy,
                options,
                args.window_ms / 1000,
                settings.episodes_at_once or 64,
                args.deadline,
                settings=settings,
            )
        except RequestError as err:
            raise UserError(err.message) from None
        app = create_app(service, api_key, args.max_body)
        app.router.on_shutdown.append(service.close)  # after the requests in flight: decision threads, sandboxes
        config = uvicorn.Config(
            app, host=args.host, port=args.port, log_level="info", access_log=False, timeout_graceful_shutdown=30
        )
        port = listening.getsockname()[1]  # the one the system gave for --port 0
        print(
            f"serving {args.task}/{args.policy} at http://{args.host}:{port} (viewer /, API docs /docs); "
            "SIGTERM or Ctrl-C stops it",
            flush=True,
        )
        try:
            DrainingServer(config).run(sockets=[listening])
        finally:
            service.close()
    return 0


def bind_socket(host: str, port: int) -> socket.socket:
    """The server's socket, bound before ``serving ... at`` is printed: a port already taken (another server)
    or a host this machine does not have is one line, not uvicorn's log and exit 3."""
    # As uvicorn binds: IPv6 for a host with a colon, else IPv4 ("localhost" is 127.0.0.1, never ::1 alone).
    listening = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart reuses the port at once
    try:
        listening.bind((host, port))
    except OSError as err:
        listening.close()
        if err.errno == errno.EADDRINUSE:
            raise UserError(
                f"cannot serve on {host}:{port}: already in use (another server?); choose another with --port"
            ) from None
        raise UserError(f"cannot serve on --host {host} --port {port}: {err.strerror or err}") from None
    return listening


class DrainingServer:
    """uvicorn's Server whose SIGTERM ends the process with 0 once drained (uvicorn re-raises the signal)."""

    def __new__(cls, config: Any) -> Any:
        import uvicorn

        class _Server(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:
                with super().capture_signals():
                    yield
                    captured = getattr(self, "_captured_signals", None)
                    if isinstance(captured, list):  # drained on SIGTERM: a clean exit, not a re-raised signal
                        captured[:] = [s for s in captured if s != signal.SIGTERM]

        return _Server(config)
