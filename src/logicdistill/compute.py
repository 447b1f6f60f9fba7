"""Where the student runs and how much of the machine it takes: ``--device``, ``--threads``, ``--batch``.

The same three options on ``eval``, ``play``, ``demo`` and ``distill`` (SPEC §7):

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
- ``--batch B``: episodes played in lockstep (evaluation/lockstep.py); 1 plays them one after another.

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
from dataclasses import dataclass
from typing import Any

from logicdistill.errors import UserError

DEVICES = ("auto", "cpu", "cuda")
DTYPES = ("auto", "fp32", "bf16")


@dataclass(frozen=True)
class Compute:
    """A checked choice: ``device`` is ``auto``, ``cpu`` or ``cuda`` (``auto`` is resolved by ``resolve_device``
    only where a student is loaded, so that a command that needs no torch never imports it), ``threads`` >= 1,
    ``batch`` >= 1; ``precision`` is ``auto``, ``fp32`` or ``bf16``."""

    device: str = "cpu"
    threads: int = 1
    batch: int | None = None  # None: the policy's own lockstep_batch, measured for its device
    precision: str = "auto"

    @property
    def dtype(self) -> Any:
        """The precision decisions are scored in (the fast copy's, student/fast.py): as asked, else bf16 on CUDA
        and on a CPU that multiplies bf16 natively, fp32 elsewhere. The student itself always loads in fp32."""
        from logicdistill.student.fast import fast_dtype

        return fast_dtype(resolve_device(self.device), check_precision(self.precision))

    @property
    def train_dtype(self) -> Any:
        """The precision the student trains in: fp32 unless bf16 is asked for, on every device. Measured: the same
        500 pursuit examples trained with bf16 forward passes (autocast, fp32 LoRA weights) reached held-out
        selection 0.58 against 0.88 in fp32 (issue 9 notes); decisions, by contrast, check bf16 against fp32."""
        from logicdistill.student.fast import fast_dtype

        device, precision = resolve_device(self.device), check_precision(self.precision)
        return fast_dtype(device, "fp32" if precision == "auto" else precision)

    def policy_options(self) -> dict[str, Any]:
        """The options a policy that loads a student takes from this choice."""
        return {"device": self.device, "dtype": self.precision}


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


def resolve(
    device: str | None, threads: int | None, batch: int | None, precision: str | None = None, apply: bool = True
) -> Compute:
    """Check and resolve the options (and set torch's threads unless ``apply`` is False)."""
    if batch is not None and batch < 1:
        raise UserError(f"--batch must be at least 1, got {batch}")
    precision = check_precision(precision)
    if (device or "auto") not in DEVICES:
        raise UserError(f"--device must be one of {', '.join(DEVICES)}, got {device!r}")
    compute = Compute(device or "auto", plan_threads(threads), batch, precision)
    if apply:
        apply_threads(compute.threads)
    return compute


def add_options(parser: Any, batch_help: str, dtype_help: str | None = None) -> None:
    """Add ``--device``, ``--threads`` and ``--batch`` to a subcommand."""
    parser.add_argument(
        "--device",
        choices=DEVICES,
        default="auto",
        help="where the student runs (default auto: a GPU if torch sees one)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help=f"torch threads (default: the CPUs this process may use, {available_cpus()} here)",
    )
    parser.add_argument("--batch", type=int, metavar="B", help=batch_help)
    parser.add_argument(
        "--dtype",
        choices=DTYPES,
        default="auto",
        help=dtype_help
        or "precision of the decisions (default auto: bf16 on CUDA and on CPUs with native bf16, else fp32; "
        "close calls are scored again in fp32)",
    )


def from_args(args: Any) -> Compute:
    """The resolved choice of a parsed command line (threads applied)."""
    return resolve(args.device, args.threads, args.batch, getattr(args, "dtype", None))
