"""Serving throughput: ``logicdistill serve`` at 1, 8 and 64 concurrent clients against offline lockstep eval.

In one run:
1. offline: ``evaluate(..., settings=Settings(episodes_at_once=B))`` of the policy (lockstep, B episodes side
   by side), its decisions/s;
2. the states those decisions were made on (a teacher-program episode per seed, the same seeds);
3. a real server (``python -m logicdistill serve`` in a subprocess, loopback, a free port) and, for each
   client count C, C threads each sending ``--requests`` states one after another over a kept-alive
   connection: p50/p99 latency, decisions/s, the server's mean batch size, and whether every answer equals
   the one given at 1 client for the same state (the choice must not depend on who it was batched with).

The issue's bar: at 64 clients, decisions/s >= 0.8x offline lockstep. This machine's speed moves by a sixth
from minute to minute, so ``--repeat N`` measures offline and served N times, one after the other, with each
repeat's served rows set against its own offline figure, and prints the median ratio. Run it on a quiet machine:

    python benchmarks/bench_serve.py                                  # ld, the shipped adapter, pursuit
    python benchmarks/bench_serve.py --clients 64 --requests 16 --repeat 3   # the bar, three times
    python benchmarks/bench_serve.py --policy teacher-program         # no model: the serving overhead alone
    python benchmarks/bench_serve.py --smoke                          # seconds: teacher-program, few requests
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from logicdistill.client import Client, ServerError
from logicdistill.evaluation import evaluate
from logicdistill.tasks import get_task

SRC = Path(__file__).resolve().parents[1] / "src"


def collect_states(task_name: str, episodes: int, seed: int, env_kwargs: dict[str, Any]) -> list[dict[str, Any]]:
    """The states of teacher-program episodes on the benchmark's seeds (JSON, as a client sends them)."""
    from logicdistill.evaluation.runner import make_env, make_policy, play_episode

    task = get_task(task_name)
    env = make_env(task, env_kwargs)
    policy = make_policy(task, "teacher-program")
    states: list[dict[str, Any]] = []

    def on_step(t: int, action: Any, obs: Any, reward: float, info: dict[str, Any]) -> None:
        states.append(json.loads(json.dumps(task.state_json(env.unwrapped))))

    try:
        for i in range(episodes):
            play_episode(task, env, policy, seed + i, on_step=on_step)
    finally:
        policy.close()
        env.close()
    return states


def start_server(args: argparse.Namespace, port: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    argv = [sys.executable, "-m", "logicdistill", "serve", "--task", args.task, "--policy", args.policy]
    argv += ["--port", str(port), "--window-ms", str(args.window_ms), "--batch", str(args.max_batch)]
    for flag in ("run", "device", "threads"):
        if getattr(args, flag):
            argv += [f"--{flag}", str(getattr(args, flag))]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    client = Client(f"http://127.0.0.1:{port}", timeout=5)
    deadline = time.monotonic() + 600  # loading the student takes a while on a busy CPU
    while True:
        try:
            client.health()
            return proc
        except ServerError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the server did not start: {proc.stderr.read() if proc.stderr else ''}") from None
            time.sleep(0.5)


def batching(url: str) -> dict[str, float]:
    """The served policy's batch statistics so far (GET /v1/stats)."""
    with Client(url, timeout=30) as client:
        stats = list(client.stats()["batching"].values())
    return stats[0] if stats else {"batches": 0, "decisions": 0, "busy_s": 0.0}


def load(url: str, states: list[dict[str, Any]], clients: int, per_client: int) -> dict[str, Any]:
    """``clients`` threads, each sending ``per_client`` states; latencies, errors, answers by state index, and
    the server's batches meanwhile (how many, their mean size, the share of the time its decision thread was
    busy)."""
    latencies: list[float] = []
    answers: dict[int, Any] = {}
    errors: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)

    def run(c: int) -> None:
        client = Client(url, timeout=300)
        client.health()  # connect before the clock starts
        barrier.wait()
        for i in range(per_client):
            index = (c * per_client + i) % len(states)
            start = time.perf_counter()
            try:
                answer = client.decide(states[index])
            except Exception as err:
                with lock:
                    errors.append(str(err))
                continue
            with lock:
                latencies.append(time.perf_counter() - start)
                answers.setdefault(index, json.dumps([answer["action"], [s["chosen"] for s in answer["stages"]]]))
        client.close()

    threads = [threading.Thread(target=run, args=(c,)) for c in range(clients)]
    for t in threads:
        t.start()
    before = batching(url)
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    after = batching(url)
    batches = after["batches"] - before["batches"]
    decided = after["decisions"] - before["decisions"]
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")

    return {
        "clients": clients,
        "requests": clients * per_client,
        "answered": len(latencies),
        "errors": len(errors),
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "decisions_per_s": len(latencies) / wall,
        "batches": batches,
        "mean_batch": decided / batches if batches else 0.0,
        "busy": (after["busy_s"] - before["busy_s"]) / wall,
        "answers": answers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="pursuit")
    parser.add_argument("--policy", default="ld")
    parser.add_argument("--run", help="ld: a run folder (default: the latest, else the shipped one)")
    parser.add_argument("--device", help="auto|cpu|cuda (server and offline)")
    parser.add_argument("--threads", type=int, help="torch threads (server and offline)")
    parser.add_argument("--clients", default="1,8,64", help="client counts (default 1,8,64)")
    parser.add_argument("--requests", type=int, default=8, help="requests per client (default 8)")
    parser.add_argument("--episodes", type=int, default=64, help="offline episodes, and the states' seeds")
    parser.add_argument("--batch", type=int, default=64, help="offline lockstep batch (default 64)")
    parser.add_argument("--max-batch", type=int, default=64, help="the server's largest batch (default 64)")
    parser.add_argument("--window-ms", type=float, default=4.0, help="the server's batching window")
    parser.add_argument("--repeat", type=int, default=1, help="offline + served rows this many times (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scenario", help="pursuit: an emergency scenario (rules inside the states)")
    parser.add_argument("--smoke", action="store_true", help="a few seconds: teacher-program, 4 episodes, 2 requests")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    if args.smoke:
        args.policy, args.episodes, args.requests, args.batch = "teacher-program", 4, 2, 4
    env_kwargs = {"scenario": args.scenario} if args.scenario else {}
    options: dict[str, Any] = {}
    if args.policy.startswith("ld") and args.run:
        options = {"run": args.run}
    from logicdistill.settings import resolve

    settings = resolve(args.device or "auto", args.threads, args.batch)

    task = get_task(args.task)

    def offline_rate() -> float:
        result = evaluate(
            task, args.policy, args.episodes, args.seed, env_kwargs, options, progress=False, settings=settings
        )
        return result.metrics["decisions_per_s"]

    states = collect_states(args.task, args.episodes, args.seed, env_kwargs)
    with socket.socket() as probe:  # a free loopback port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = start_server(args, port)
    rows = []
    try:
        url = f"http://127.0.0.1:{port}"
        load(url, states[: min(8, len(states))], 1, 1)  # warm up: first calls build caches
        for repeat in range(1, args.repeat + 1):
            offline = offline_rate()  # the server idles meanwhile: each repeat compares like with like
            for clients in (int(c) for c in args.clients.split(",")):
                row = load(url, states, clients, args.requests)
                row.update(repeat=repeat, offline_decisions_per_s=offline, x_offline=row["decisions_per_s"] / offline)
                rows.append(row)
    finally:
        server.terminate()
        server.wait(60)
    print(f"task={args.task} policy={args.policy} states={len(states)} server exit={server.returncode}")
    print(f"offline: lockstep eval, batch {args.batch}, {args.episodes} episodes, before each repeat's rows")
    print(
        f"{'repeat':>6} {'offline':>7} {'clients':>7} {'requests':>8} {'errors':>6} {'p50 ms':>9} {'p99 ms':>9} "
        f"{'dec/s':>8} {'x offline':>9} {'batches':>7} {'mean':>5} {'busy':>5} same"
    )
    reference: dict[int, Any] = {}
    for row in rows:  # the first answer seen for a state is the reference (1 client, first repeat)
        for i, a in row["answers"].items():
            reference.setdefault(i, a)
    for row in rows:
        row["same_as_1_client"] = all(reference[i] == a for i, a in row["answers"].items())
        print(
            f"{row['repeat']:>6} {row['offline_decisions_per_s']:>7.2f} {row['clients']:>7} {row['requests']:>8} "
            f"{row['errors']:>6} {row['p50_ms']:>9.1f} {row['p99_ms']:>9.1f} {row['decisions_per_s']:>8.2f} "
            f"{row['x_offline']:>9.2f} {row['batches']:>7} {row['mean_batch']:>5.1f} {row['busy']:>5.2f} "
            f"{'yes' if row['same_as_1_client'] else 'NO'}"
        )
    most = max(int(c) for c in args.clients.split(","))
    ratios = [r["x_offline"] for r in rows if r["clients"] == most]
    print(
        f"at {most} clients, x offline lockstep: {', '.join(f'{r:.2f}' for r in ratios)} "
        f"(median {statistics.median(ratios):.2f}, {len(ratios)} repeat{'s' if len(ratios) > 1 else ''})"
    )
    lost = sum(r["requests"] - r["answered"] - r["errors"] for r in rows)
    print(f"lost requests: {lost}")
    if args.json:
        for row in rows:
            row.pop("answers")
        out = {"task": args.task, "policy": args.policy, "median_x_offline_at_most_clients": statistics.median(ratios)}
        Path(args.json).write_text(json.dumps(out | {"rows": rows}, indent=2))


if __name__ == "__main__":
    main()
