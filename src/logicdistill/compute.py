"""Where the student runs and how much of the machine it takes: resolving ``--device``, planning ``--threads``.

The options themselves, and the one object they make, are settings.py's (SPEC §7):

- ``--device auto|cpu|cuda``: ``auto`` takes a GPU when torch sees one.
- ``--dtype auto|fp32|bf16``: the precision decisions are scored in. The student always loads in fp32; the
  LD and student policies decide with a copy that has the LoRA adapter folded in (student/fast.py), in this
  precision. ``auto`` is bf16 on CUDA and on a CPU that multiplies bf16 in hardware (AMX, AVX512-BF16), else
  fp32. A bf16 row whose two best candidates are within 1 nat is scored again by the fp32 student, so the
  choices are the fp32 ones (benchmarks/bench_throughput.py compares them decision by decision).
- ``--threads N``: torch's intra-op threads. Default: the CPUs this process may use
  (``os.sched_getaffinity``), shared out among the processes ``accelerate launch`` starts on this machine.
  The sandbox worker does not count against it: every sandbox call blocks the caller, so the worker
  and the torch threads never run at the same time (at most N busy threads at any moment).

Why threads need care: torch's OpenMP threads meet at a barrier after every operator. When another
process holds a core, the thread that waits used to spin through its time slice while its partner was
descheduled: measured here, 2 threads beside other jobs took 5.1 s per forward, 1 thread 1.5 s, and 2
threads with ``OMP_WAIT_POLICY=PASSIVE`` 1.0 s. The package therefore sets PASSIVE (unless the user set a
policy) before torch is first imported (``logicdistill/__init__.py``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

from logicdistill.errors import UserError

DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "fp32", "bf16")


def check_precision(precision: str | None) -> str:
    """``precision`` (None: ``auto``) if it is one of DTYPES, else the user's error."""
    if (precision or "auto") not in DTYPES:
        raise UserError(f"--dtype must be one of {', '.join(DTYPES)}, got {precision!r}")
    return precision or "auto"


def cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def resolve_device(choice: str | None, has_cuda: Callable[[], bool] | None = None) -> str:
    """``auto`` (or None) -> ``cuda`` when available, else ``cpu``; ``cuda`` without a GPU is the user's error."""
    has_cuda = has_cuda or cuda_available  # looked up now, so a test can stand in for the GPU
    choice = choice or "auto"
    if choice not in DEVICES:
        raise UserError(f"--device must be one of {', '.join(DEVICES)}, got {choice!r}")
    if choice == "auto":
        return "cuda" if has_cuda() else "cpu"
    if choice == "cuda" and not has_cuda():
        raise UserError("--device cuda: torch sees no CUDA device here (use --device cpu or auto)")
    return choice


def fast_dtype(device: str, precision: str) -> Any:
    """The fast copy's precision: as asked (``fp32``/``bf16``); ``auto`` is bf16 on CUDA and on a CPU that
    multiplies bf16 natively (AMX or AVX512-BF16), else fp32 (emulated bf16 is slower than fp32)."""
    import torch

    if precision == "fp32":
        return torch.float32
    if precision == "bf16" or device == "cuda":
        return torch.bfloat16
    return torch.bfloat16 if cpu_has_bf16() else torch.float32


def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bf16 matrices in hardware (the probes are private to torch: absent means no)."""
    import torch

    cpu = getattr(torch, "cpu", None)
    probes = [getattr(cpu, name, None) for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported")]
    try:
        return any(bool(probe()) for probe in probes if callable(probe))
    except Exception:  # a probe that fails says nothing; fp32 is always right
        return False


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, which containers and taskset narrow)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def local_processes() -> int:
    """Processes of one data-parallel job on this machine (``accelerate launch`` / torchrun set it), else 1."""
    try:
        return max(1, int(os.environ.get("LOCAL_WORLD_SIZE", "1")))
    except ValueError:
        return 1


def plan_threads(requested: int | None, cpus: int | None = None, processes: int | None = None) -> int:
    """Torch threads for this process: ``requested``, or its share of the CPUs; never more than that share."""
    cpus = available_cpus() if cpus is None else cpus
    share = max(1, cpus // (local_processes() if processes is None else processes))
    if requested is None:
        return share
    if requested < 1:
        raise UserError(f"--threads must be at least 1, got {requested}")
    return min(requested, share)


def apply_threads(threads: int) -> None:
    """Give torch ``threads`` intra-op threads and one inter-op thread (the model runs one operator at a time).

    Torch is not imported for this (``eval --policy optimal`` never needs it): before it is loaded, the
    OpenMP and MKL variables it reads when it starts its pools say the same."""
    if sys.modules.get("torch") is not None:  # None: blocked (as a test without the [ml] extra does)
        import torch

        torch.set_num_threads(threads)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:  # only settable before the first inter-op work; then it stays as it was
            pass
    else:
        os.environ["OMP_NUM_THREADS"] = os.environ["MKL_NUM_THREADS"] = str(threads)
    os.environ.setdefault("RAYON_NUM_THREADS", str(threads))  # the tokenizers' pool, if not started yet
