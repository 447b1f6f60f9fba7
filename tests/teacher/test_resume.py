"""A process killed mid-run resumes from the cache: no answered request is ever asked again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

from logicdistill.teacher import RequestCache

# The child asks six questions one after another and prints each answer.
CHILD = """
import sys
from logicdistill.teacher import TeacherClient
client = TeacherClient(sys.argv[1], "test-model", cache_dir=sys.argv[2], timeout=120, max_retries=0)
for i in range(1, 7):
    print(i, client.chat([{"role": "user", "content": f"question {i}"}]), flush=True)
"""


def wait_for(predicate, timeout: float = 20.0) -> None:
    """Poll until ``predicate()`` holds (the child's progress shows in the server log)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "the child made no progress"
        time.sleep(0.02)


def test_kill_and_rerun_asks_nothing_twice(loopback, tmp_path):
    # Question 4 first hangs (the child is killed while waiting for it), then answers normally on the rerun.
    entries = [{"match": "question 4", "delay": 60, "content": "never delivered"}]
    entries += [{"match": f"question {i}", "content": f"answer {i}"} for i in range(1, 7)]
    server = loopback(entries)
    cache = tmp_path / "cache"
    command = [sys.executable, "-c", CHILD, server.url, str(cache)]

    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    # Question 4 arrives only after answer 3 is in the cache: the kill lands with 3 answered, 1 in flight.
    wait_for(lambda: any(e["last_user"] == "question 4" for e in server.events()))
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    first_output = child.stdout.read().splitlines()
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL
    assert first_output == ["1 answer 1", "2 answer 2", "3 answer 3"]
    assert len(RequestCache(cache)) == 3
    asked_before = len(server.events())

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.splitlines() == [f"{i} answer {i}" for i in range(1, 7)]

    requests = server.events("request")
    answered = Counter(e["sha256"] for e in server.events("reply"))
    # Each of the six distinct requests was answered exactly once over both runs.
    assert len(answered) == 6 and set(answered.values()) == {1}
    # The rerun asked only what had no answer: the in-flight question 4, then 5 and 6.
    assert [e["last_user"] for e in requests[asked_before:]] == ["question 4", "question 5", "question 6"]
    asked = Counter(e["last_user"] for e in requests)
    assert asked == {f"question {i}": 2 if i == 4 else 1 for i in range(1, 7)}
    assert len(RequestCache(cache)) == 6
