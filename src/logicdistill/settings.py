"""One settings object for where and how the student runs, from the command line to the student itself.

``Settings`` travels intact from ``eval``/``play``/``demo``/``distill`` through ``evaluate`` and ``distill`` to
the policy and the student; nothing flattens it to strings or copies it field by field. Its two sizes mean
different things and have different options:

- ``episodes_at_once`` (``--batch B``): episodes played side by side in lockstep (evaluation/lockstep.py);
  each stage of all of them is scored together. 1 plays one episode after another.
- ``rows_per_pass`` (``--rows R``): prompts the student scores in one forward pass, whoever asked for them
  (lockstep episodes, distill's held-out examples, a server's batched requests).

Their per-device defaults live in one table, :data:`DEVICE_DEFAULTS`. Device and thread handling proper
(resolving ``auto``, torch's threads) is compute.py's.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from logicdistill.compute import (
    DEVICES,
    DTYPES,
    available_cpus,
    check_precision,
    fast_dtype,
    plan_threads,
    resolve_device,
)
from logicdistill.errors import UserError


@dataclass(frozen=True)
class DeviceDefaults:
    episodes_at_once: int
    rows_per_pass: int  # fp32 scoring
    rows_per_pass_bf16: int


# Measured on 2 CPU cores (pursuit, shipped adapter, benchmarks/bench_throughput.py): fp32 rows get no cheaper
# past 8 per pass (32 rows ~12% dearer per row: the activations leave the cache); bf16 on AMX wants tall
# matrices (64 rows 10.1 vs 8 rows 8.6 decisions/s at 64 episodes; 8 episodes 5.23, 32 episodes 5.42 decisions/s
# at 8 rows). A GPU wants every row it can get.
DEVICE_DEFAULTS: dict[str, DeviceDefaults] = {
    "cpu": DeviceDefaults(episodes_at_once=64, rows_per_pass=8, rows_per_pass_bf16=64),
    "cuda": DeviceDefaults(episodes_at_once=256, rows_per_pass=256, rows_per_pass_bf16=256),
}


def defaults_for(device: str) -> DeviceDefaults:
    """The table's row for a resolved device (``cuda:1`` counts as ``cuda``)."""
    return DEVICE_DEFAULTS["cuda" if str(device).startswith("cuda") else "cpu"]


def default_rows(device: str, dtype: Any = None) -> int:
    """Prompts per forward pass on ``device`` when scoring in ``dtype`` (a torch dtype, or None for fp32)."""
    row = defaults_for(device)
    return row.rows_per_pass_bf16 if "bfloat16" in str(dtype) else row.rows_per_pass


@dataclass(frozen=True)
class Settings:
    """A checked choice: ``device`` auto|cpu|cuda (``auto`` is resolved only where a student loads, so a command
    that needs no torch never imports it), ``threads`` >= 1, ``precision`` auto|fp32|bf16, and the two sizes
    (None: the device's default from DEVICE_DEFAULTS)."""

    device: str = "auto"
    threads: int = 1
    episodes_at_once: int | None = None
    rows_per_pass: int | None = None
    precision: str = "auto"

    def __post_init__(self) -> None:
        if self.device not in DEVICES:
            raise UserError(f"--device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        check_precision(self.precision)
        for option, value in (("--batch", self.episodes_at_once), ("--rows", self.rows_per_pass)):
            if value is not None and value < 1:
                raise UserError(f"{option} must be at least 1, got {value}")

    def resolved_device(self) -> str:
        return resolve_device(self.device)

    @property
    def decision_dtype(self) -> Any:
        """The precision decisions are scored in (the fast copy's, student/fast.py): as asked, else bf16 on CUDA
        and on a CPU that multiplies bf16 natively, fp32 elsewhere. The student itself always loads in fp32."""
        return fast_dtype(self.resolved_device(), self.precision)

    @property
    def train_dtype(self) -> Any:
        """The precision the student trains in: fp32 unless bf16 is asked for, on every device. Measured: the same
        500 pursuit examples trained with bf16 forward passes (autocast, fp32 LoRA weights) reached held-out
        selection 0.58 against 0.88 in fp32 (issue 9 notes); decisions, by contrast, check bf16 against fp32."""
        return fast_dtype(self.resolved_device(), "fp32" if self.precision == "auto" else self.precision)

    def episodes_for(self, device: str = "cpu") -> int:
        """Episodes to play side by side: as asked, else the default for ``device`` (resolved)."""
        return self.episodes_at_once or defaults_for(device).episodes_at_once

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def resolve(
    device: str | None = None,
    threads: int | None = None,
    episodes_at_once: int | None = None,
    rows_per_pass: int | None = None,
    precision: str | None = None,
    apply: bool = True,
) -> Settings:
    """Check the options and plan the threads (and give torch its threads unless ``apply`` is False)."""
    from logicdistill.compute import apply_threads

    settings = Settings(device or "auto", plan_threads(threads), episodes_at_once, rows_per_pass, precision or "auto")
    if apply:
        apply_threads(settings.threads)
    return settings


BATCH_HELP = (
    "episodes played at once, in lockstep: each stage of all of them scored together (policies that play in "
    "lockstep; same choices as one after another; default 64 on a CPU, 256 on a GPU; 1: one after another)"
)
ROWS_HELP = "prompts the student scores per forward pass (default: 8 on a CPU in fp32, 64 in bf16, 256 on a GPU)"


def add_options(parser: Any, batch: str | None = BATCH_HELP, dtype_help: str | None = None) -> None:
    """Add ``--device``, ``--threads``, ``--dtype``, ``--rows`` and ``--batch`` (``batch=None``: left out)."""
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
    parser.add_argument(
        "--dtype",
        choices=DTYPES,
        default="auto",
        help=dtype_help
        or "precision of the decisions (default auto: bf16 on CUDA and on CPUs with native bf16, else fp32; "
        "close calls are scored again in fp32)",
    )
    parser.add_argument("--rows", type=int, metavar="R", help=ROWS_HELP)
    if batch is not None:
        parser.add_argument("--batch", type=int, metavar="B", help=batch)


def from_args(args: Any) -> Settings:
    """The settings of a parsed command line (threads applied)."""
    return resolve(
        args.device,
        args.threads,
        getattr(args, "batch", None),
        getattr(args, "rows", None),
        getattr(args, "dtype", None),
    )
