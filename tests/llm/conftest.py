"""Fixtures for the teacher tests: a factory that starts the real loopback server as a child process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SERVER = Path(__file__).with_name("loopback_server.py")


@dataclass
class Loopback:
    """A running loopback server: its base URL, log file and process."""

    url: str
    log_path: Path
    process: subprocess.Popen[str]

    def events(self, kind: str = "request") -> list[dict[str, Any]]:
        """The logged events of one kind ("request" on arrival, "reply" once answered), in order."""
        if not self.log_path.exists():
            return []
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        return [e for e in map(json.loads, lines) if e["event"] == kind]


@pytest.fixture
def loopback(tmp_path: Path) -> Iterator[Any]:
    """``loopback(entries)`` starts a server replaying ``entries``; all are stopped after the test."""
    started: list[Loopback] = []

    def start(entries: list[dict[str, Any]], tls: tuple[Path, Path] | None = None) -> Loopback:
        n = len(started)
        script, log = tmp_path / f"script{n}.json", tmp_path / f"server{n}.jsonl"
        script.write_text(json.dumps(entries), encoding="utf-8")
        cmd = [sys.executable, str(SERVER), "--port", "0", "--script", str(script), "--log", str(log)]
        cmd += ["--tls", str(tls[0]), str(tls[1])] if tls else []
        process = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
        port = int(process.stdout.readline())  # the server's first line: the bound port
        server = Loopback(f"{'https' if tls else 'http'}://127.0.0.1:{port}/v1", log, process)
        started.append(server)
        return server

    yield start
    for server in started:
        server.process.kill()
        server.process.wait()
        server.process.stdout.close()


@pytest.fixture
def tls_cert(tmp_path: Path) -> tuple[Path, Path]:
    """A fresh self-signed certificate for IP 127.0.0.1 and its key (made by the openssl command)."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key
