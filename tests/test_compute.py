"""--device, --threads, --batch: resolved on any machine (CUDA is faked: no test waits for a GPU)."""

import pytest
import torch

from logicdistill import compute
from logicdistill.cli import main
from logicdistill.errors import UserError


def test_auto_takes_a_gpu_only_when_torch_sees_one():
    assert compute.resolve_device("auto", has_cuda=lambda: True) == "cuda"
    assert compute.resolve_device("auto", has_cuda=lambda: False) == "cpu"
    assert compute.resolve_device(None, has_cuda=lambda: False) == "cpu"
    assert compute.resolve_device("cpu", has_cuda=lambda: True) == "cpu"
    assert compute.resolve_device("cuda", has_cuda=lambda: True) == "cuda"
    with pytest.raises(UserError, match="no CUDA device"):
        compute.resolve_device("cuda", has_cuda=lambda: False)
    with pytest.raises(UserError, match="auto, cpu, cuda"):
        compute.resolve_device("tpu")


def test_bf16_on_cuda_and_native_bf16_cpus_unless_asked(monkeypatch):
    from logicdistill.student import fast

    monkeypatch.setattr(fast, "cpu_has_bf16", lambda: False)
    monkeypatch.setattr(compute, "cuda_available", lambda: True)
    assert compute.Compute("auto").dtype == torch.bfloat16
    assert compute.Compute("cuda").dtype == torch.bfloat16
    assert compute.Compute("cpu").dtype == torch.float32
    assert compute.Compute("cpu", precision="bf16").dtype == torch.bfloat16
    assert compute.Compute("cuda", precision="fp32").dtype == torch.float32
    with pytest.raises(UserError, match="--dtype"):
        compute.resolve("cpu", 1, 1, "fp8")
    monkeypatch.setattr(fast, "cpu_has_bf16", lambda: True)
    assert compute.Compute("cpu").dtype == torch.bfloat16  # AMX / AVX512-BF16: the fast copy in bf16, checked
    assert compute.Compute("cpu").train_dtype == torch.float32  # training has no reference to check against
    assert compute.Compute("cuda").train_dtype == torch.float32  # bf16 training learned worse (measured on CPU)
    assert compute.Compute("cpu", precision="bf16").train_dtype == torch.bfloat16


def test_threads_never_exceed_this_process_share_of_the_cpus(monkeypatch):
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    assert compute.plan_threads(None, cpus=8) == 8
    assert compute.plan_threads(3, cpus=8) == 3
    assert compute.plan_threads(64, cpus=8) == 8
    assert compute.plan_threads(None, cpus=8, processes=2) == 4  # two data-parallel processes on one machine
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "3")
    assert compute.plan_threads(None, cpus=8) == 2
    assert compute.plan_threads(None, cpus=2) == 1
    with pytest.raises(UserError, match="at least 1"):
        compute.plan_threads(0, cpus=8)
    assert compute.available_cpus() >= 1


def test_resolve_checks_the_batch_and_sets_torch_threads():
    with pytest.raises(UserError, match="--batch must be at least 1"):
        compute.resolve("cpu", 1, 0)
    before = torch.get_num_threads()
    try:
        chosen = compute.resolve("cpu", 1, 8)
        assert chosen == compute.Compute("cpu", 1, 8) and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_the_cli_hands_the_device_to_the_policies_and_the_batch_to_evaluate(monkeypatch, capsys):
    from logicdistill.cli import eval_cmd
    from logicdistill.evaluation import EvalResult
    from logicdistill.student.runs import shipped_run

    seen = []

    def fake_evaluate(task, name, episodes, seed, env_kwargs, options, progress=True, batch=1, on_stages=None):
        seen.append((name, options, batch))
        return EvalResult(task.name, name, episodes, seed, {"capture_rate": 1.0})

    monkeypatch.setattr(eval_cmd, "evaluate", fake_evaluate)
    monkeypatch.setattr(compute, "cuda_available", lambda: True)
    argv = ["eval", "--task", "pursuit", "--policy", "ld,optimal", "--episodes", "2", "--batch", "8", "--quiet"]
    assert main(argv) == 0
    # "auto" travels as it is: only the policy that loads a student resolves it (no torch for `optimal`)
    shipped = str(shipped_run("pursuit"))  # the student is named: the shipped run unless --run says otherwise
    assert seen == [("ld", {"device": "auto", "dtype": "auto", "run": shipped}, 8), ("optimal", {}, 8)]
    seen.clear()
    assert main([*argv, "--device", "cpu", "--threads", "1", "--dtype", "bf16"]) == 0
    assert seen[0] == ("ld", {"device": "cpu", "dtype": "bf16", "run": shipped}, 8)


def test_cuda_without_a_gpu_and_a_bad_batch_are_one_clear_line(monkeypatch, capsys):
    monkeypatch.setattr(compute, "cuda_available", lambda: False)
    assert main(["eval", "--task", "pursuit", "--policy", "ld", "--device", "cuda", "--episodes", "1"]) == 2
    assert "no CUDA device" in capsys.readouterr().err
    with pytest.raises(UserError, match="--device must be one of"):
        compute.resolve("tpu", 1, 1)
    assert main(["eval", "--task", "pursuit", "--policy", "optimal", "--batch", "0"]) == 2
    assert "--batch must be at least 1" in capsys.readouterr().err
