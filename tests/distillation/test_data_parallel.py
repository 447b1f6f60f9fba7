"""`distill` under `accelerate launch` with 2 CPU processes trains the adapter a single process trains on the
same global batch (to float rounding), and only the first process writes the run folder."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = """from logicdistill.tasks import register_task
from tests.fakes import CountTask
register_task(CountTask())
"""
ARGS = [
    "distill", "--task", "count", "--student", "tiny", "--retriever", "bm25", "--embedder", "hashing", "--k", "3",
    "--train-episodes", "12", "--heldout-episodes", "4", "--task-examples", "24", "--synthetic-examples", "8",
    "--override-examples", "0", "--heldout-examples", "8", "--epochs", "2", "--batch-size", "8", "--lr", "5e-3",
    "--device", "cpu", "--threads", "1", "--quiet",
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(cmd: list[str], home: Path) -> None:
    env = {**os.environ, "LOGICDISTILL_HOME": str(home), "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    env.pop("WORLD_SIZE", None)
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]


def _adapter(run: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(run / "train" / "adapter" / "adapter_model.safetensors"))


def test_two_processes_train_what_one_process_trains(tmp_path, recorded):
    plugin = tmp_path / "count_plugin.py"
    plugin.write_text(PLUGIN)
    teacher = ["--teacher", f"recorded:{tmp_path / 'recorded'}"]
    cli = ["-m", "logicdistill", "--plugin", str(plugin)]
    one, two = tmp_path / "one", tmp_path / "two"
    _run([sys.executable, *cli, *ARGS, *teacher, "--out", str(one)], tmp_path / "home1")
    launch = [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2"]
    launch += ["--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no"]
    launch += ["--main_process_port", str(_free_port()), "--module"]
    _run([*launch, *cli[1:], *ARGS, *teacher, "--out", str(two)], tmp_path / "home2")

    a, b = json.loads((one / "run.json").read_text()), json.loads((two / "run.json").read_text())
    assert (a["processes"], b["processes"]) == (1, 2)
    assert a["hashes"] == b["hashes"]  # the same traces and examples in every process
    assert a["metrics"]["train_steps"] == b["metrics"]["train_steps"] == 2 * 4  # 32 examples, 8 a step
    wa, wb = _adapter(one), _adapter(two)
    assert wa.keys() == wb.keys()
    assert max(float((wa[k] - wb[k]).abs().max()) for k in wa) < 1e-4
    assert any(float(wa[k].abs().max()) > 1e-3 for k in wa if "lora_B" in k)  # it trained: B starts at zero
    la = json.loads((one / "train" / "metrics.json").read_text())["losses"]
    lb = json.loads((two / "train" / "metrics.json").read_text())["losses"]
    assert la == pytest.approx(lb, rel=1e-4, abs=1e-6)  # each process summed its half of every step
    assert sorted(p.name for p in two.iterdir()) == sorted(p.name for p in one.iterdir())
