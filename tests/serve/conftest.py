"""Shared parts of the serve tests: one teacher-program service per module (no model: cheap), states with
the live policy's own decisions to compare against, and a real uvicorn server on a free loopback port."""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the [serve] extra is not installed")

from logicdistill.agent.teacher_program import TeacherProgramPolicy  # noqa: E402
from logicdistill.serve.app import create_app  # noqa: E402
from logicdistill.serve.service import DecisionService  # noqa: E402
from logicdistill.tasks import get_task  # noqa: E402


def live_states(
    task_name: str, seeds: list[int], base_root: Any, scenario: str | None = None, steps: int = 60
) -> list[dict[str, Any]]:
    """States of live teacher-program episodes with the action and stage choices the live policy made there."""
    task = get_task(task_name)
    policy = TeacherProgramPolicy(task, base_root=base_root)
    out = []
    try:
        for seed in seeds:
            env = task.make_env(scenario=scenario) if scenario else task.make_env()
            obs, info = env.reset(seed=seed)
            policy.reset(env.unwrapped, seed)
            for _ in range(steps):
                state = json.loads(json.dumps(task.state_json(env.unwrapped)))
                action = policy.act(obs, info)
                plain = action.tolist() if hasattr(action, "tolist") else action
                out.append({"state": state, "action": plain, "chosen": [r.chosen for r in policy.last_records]})
                obs, _, terminated, truncated, info = env.step(action)
                if terminated or truncated:
                    break
            env.close()
    finally:
        policy.close()
    return out


@pytest.fixture(scope="module")
def base_root(tmp_path_factory):
    return tmp_path_factory.mktemp("bases")


@pytest.fixture(scope="module")
def service(base_root):
    svc = DecisionService("pursuit", "teacher-program", policy_kwargs={"teacher-program": {"base_root": base_root}})
    yield svc
    svc.close()


@pytest.fixture(scope="module")
def client(service):
    from fastapi.testclient import TestClient

    with TestClient(create_app(service), raise_server_exceptions=False) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LoopbackServer:
    """uvicorn serving ``app`` on 127.0.0.1 in a thread (signals stay with the test process)."""

    def __init__(self, app: Any):
        import uvicorn

        self.service = app.state.service
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LoopbackServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the loopback server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.should_exit = True
        self.thread.join(20)


@pytest.fixture(scope="module")
def loopback(service):
    with LoopbackServer(create_app(service)) as server:
        yield server
