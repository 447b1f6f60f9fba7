"""A real uvicorn server on 127.0.0.1: 64 concurrent clients (every answer equal to the live policy's choice,
none lost, no error), a client that disconnects mid-body, eval with remote:URL against the local policy on
paired seeds, and SIGTERM draining to exit 0. Bounded: a few hundred requests, seconds each."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from logicdistill.client import Client, ServerError
from logicdistill.evaluation import evaluate
from logicdistill.tasks import get_task
from tests.serve.conftest import free_port, live_states

CLIENTS = 64
PER_CLIENT = 4


def test_64_concurrent_clients_get_the_offline_choice(loopback, base_root):
    cases = live_states("pursuit", [0, 1], base_root, scenario="danger_zone", steps=12)
    answers: dict[tuple[int, int], object] = {}
    errors: list[str] = []
    barrier = threading.Barrier(CLIENTS)

    def run(c: int) -> None:
        client = Client(loopback.url, timeout=60)
        barrier.wait()
        for i in range(PER_CLIENT):
            case = cases[(c * PER_CLIENT + i) % len(cases)]
            try:
                answers[(c, i)] = client.decide(case["state"])
            except Exception as err:  # counted, not raised: the test reports every failure
                errors.append(f"{type(err).__name__}: {err}")
        client.close()

    start = time.perf_counter()
    threads = [threading.Thread(target=run, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    wall = time.perf_counter() - start
    assert errors == []
    assert len(answers) == CLIENTS * PER_CLIENT  # none lost
    for (c, i), answer in answers.items():
        case = cases[(c * PER_CLIENT + i) % len(cases)]
        assert answer["action"] == case["action"]
        assert [s["chosen"] for s in answer["stages"]] == case["chosen"]
    assert wall < 60
    assert max(loopback.service.served(None, None).batcher.batches) > 1  # requests shared sandbox round trips


def test_a_client_that_disconnects_mid_body_leaves_the_server_serving(loopback):
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", loopback.port)) as s:
            s.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n")
            s.sendall(b'Content-Length: 5000\r\n\r\n{"state": {"hei')
        # and one that leaves while its decision is being made
        with socket.create_connection(("127.0.0.1", loopback.port)) as s:
            s.sendall(b"POST /v1/decide HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    client = Client(loopback.url)
    assert client.health()["status"] == "ok"
    try:
        client.decide({"height": 3})
    except ServerError as err:
        assert err.status == 422 and "missing field" in err.message
    else:
        raise AssertionError("a bad state must be refused")


def test_eval_remote_equals_the_local_policy_on_paired_seeds(loopback, base_root):
    task = get_task("pursuit")
    env = {"scenario": "danger_zone"}
    remote = evaluate(task, f"remote:{loopback.url}", 3, 5, env, progress=False)
    local = evaluate(task, "teacher-program", 3, 5, env, {"base_root": base_root}, progress=False)
    assert [r.stats for r in remote.records] == [r.stats for r in local.records]
    assert remote.metrics["capture_rate"] == local.metrics["capture_rate"]
    assert remote.metrics["failed_decisions"] == 0 and remote.metrics["remote_p50_s"] > 0


def test_sigterm_drains_and_exits_0(tmp_path):
    port = free_port()
    src = Path(__file__).resolve().parents[2] / "src"
    env = dict(
        os.environ, LOGICDISTILL_HOME=str(tmp_path), PYTHONPATH=f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    )
    argv = [sys.executable, "-m", "logicdistill", "serve", "--task", "blackjack", "--policy", "teacher-program"]
    proc = subprocess.Popen(
        [*argv, "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        client = Client(f"http://127.0.0.1:{port}", timeout=5)
        deadline = time.monotonic() + 60
        while True:
            try:
                client.health()
                break
            except ServerError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read() if proc.stdout else ""
                time.sleep(0.2)
        answer = client.decide({"player_sum": 20, "dealer_card": 10, "usable_ace": False})
        assert answer["action"] == 0  # stick on 20
        client.close()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "Application shutdown complete" in out and "Traceback" not in out
