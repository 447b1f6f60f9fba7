"""--device, --threads, --dtype, --batch, --rows: one Settings object, resolved on any machine (CUDA is faked: no
test waits for a GPU)."""

import pytest
import torch

from logicdistill import compute, settings
from logicdistill.cli import main
from logicdistill.errors import UserError
from logicdistill.settings import Settings


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
    monkeypatch.setattr(compute, "cpu_has_bf16", lambda: False)
    monkeypatch.setattr(compute, "cuda_available", lambda: True)
    assert Settings("auto").decision_dtype == torch.bfloat16
    assert Settings("cuda").decision_dtype == torch.bfloat16
    assert Settings("cpu").decision_dtype == torch.float32
    assert Settings("cpu", precision="bf16").decision_dtype == torch.bfloat16
    assert Settings("cuda", precision="fp32").decision_dtype == torch.float32
    with pytest.raises(UserError, match="--dtype"):
        settings.resolve("cpu", 1, precision="fp8")
    monkeypatch.setattr(compute, "cpu_has_bf16", lambda: True)
    assert Settings("cpu").decision_dtype == torch.bfloat16  # AMX / AVX512-BF16: the fast copy in bf16, checked
    assert Settings("cpu").train_dtype == torch.float32  # training has no reference to check against
    assert Settings("cuda").train_dtype == torch.float32  # bf16 training learned worse (measured on CPU)
    assert Settings("cpu", precision="bf16").train_dtype == torch.bfloat16


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


def test_resolve_checks_both_sizes_and_sets_torch_threads():
    with pytest.raises(UserError, match="--batch must be at least 1"):
        settings.resolve("cpu", 1, episodes_at_once=0)
    with pytest.raises(UserError, match="--rows must be at least 1"):
        settings.resolve("cpu", 1, rows_per_pass=0)
    before = torch.get_num_threads()
    try:
        chosen = settings.resolve("cpu", 1, episodes_at_once=8, rows_per_pass=16)
        assert chosen == Settings("cpu", 1, 8, 16) and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_per_device_defaults_come_from_one_table():
    assert Settings().episodes_for("cpu") == settings.DEVICE_DEFAULTS["cpu"].episodes_at_once == 64
    assert Settings().episodes_for("cuda:1") == settings.DEVICE_DEFAULTS["cuda"].episodes_at_once == 256
    assert Settings(episodes_at_once=3).episodes_for("cuda") == 3
    assert settings.default_rows("cpu") == 8 and settings.default_rows("cpu", torch.bfloat16) == 64
    assert settings.default_rows("cuda", torch.float32) == 256


def test_rows_reach_the_student_whatever_its_precision():
    from logicdistill.student.deciding import decision_student
    from logicdistill.student.tiny import tiny_student

    student = decision_student(None, Settings("cpu", rows_per_pass=5), tiny_student(0))
    student.score_fast(torch.bfloat16)  # a precision change resizes only rows that nobody asked for
    assert student.rows == 5
    assert decision_student(None, Settings("cpu"), tiny_student(0)).rows == settings.default_rows("cpu")


def test_the_cli_hands_one_settings_object_to_evaluate(monkeypatch, capsys):
    from logicdistill.cli import eval_cmd
    from logicdistill.evaluation import EvalResult

    seen = []

    def fake_evaluate(task, name, episodes, seed, env_kwargs, options, progress=True, settings=None):
        seen.append((name, options, settings))
        return EvalResult(task.name, name, episodes, seed, {"capture_rate": 1.0})

    monkeypatch.setattr(eval_cmd, "evaluate", fake_evaluate)
    monkeypatch.setattr(compute, "cuda_available", lambda: True)
    argv = ["eval", "--task", "pursuit", "--policy", "ld,optimal", "--episodes", "2", "--batch", "8", "--quiet"]
    assert main(argv) == 0
    # "auto" travels as it is: only the policy that loads a student resolves it (no torch for `optimal`)
    threads = compute.plan_threads(None)
    plain = Settings("auto", threads, 8, None, "auto")
    assert seen == [("ld", {}, plain), ("optimal", {}, plain)]
    seen.clear()
    from logicdistill.student.runs import shipped_run

    run = str(shipped_run("pursuit"))
    assert main([*argv, "--device", "cpu", "--threads", "1", "--dtype", "bf16", "--rows", "32", "--run", run]) == 0
    chosen = Settings("cpu", 1, 8, 32, "bf16")
    assert seen == [("ld", {"run": run}, chosen), ("optimal", {}, chosen)]  # only ld takes --run (its entry says)


def test_cuda_without_a_gpu_and_bad_sizes_are_one_clear_line(monkeypatch, capsys):
    monkeypatch.setattr(compute, "cuda_available", lambda: False)
    assert main(["eval", "--task", "pursuit", "--policy", "ld", "--device", "cuda", "--episodes", "1"]) == 2
    assert "no CUDA device" in capsys.readouterr().err
    with pytest.raises(UserError, match="--device must be one of"):
        settings.resolve("tpu", 1)
    assert main(["eval", "--task", "pursuit", "--policy", "optimal", "--batch", "0"]) == 2
    assert "--batch must be at least 1" in capsys.readouterr().err
    assert main(["eval", "--task", "pursuit", "--policy", "optimal", "--rows", "0"]) == 2
    assert "--rows must be at least 1" in capsys.readouterr().err
