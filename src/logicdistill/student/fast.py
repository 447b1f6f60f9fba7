"""Fast scoring for decisions: a copy of the student with its LoRA adapter folded into the weights, in the
precision the device runs fastest, checked against the student itself wherever the choice is close.

Why a copy: the student itself must stay as it is, because its hashes prove that emergencies changed no
weights, training goes on updating its adapter, and it is the reference the fast copy is checked against.

Why it pays (pursuit, shipped adapter, its 200 held-out examples at 64 rows per pass, 2 cores with AMX, one
run of benchmarks/bench_precision.py): the student itself 102.8 ms per example; folded in fp32 79.6 (1.29x,
log-probabilities moved by less than 5e-4); folded in bf16 30.8 (3.3x), log-probabilities moved by up to
0.21 and no choice changed. Because bf16 moves scores, a bf16 row whose two best candidates are closer than
``CHECK_MARGIN`` is scored again by the student in fp32 and that score is the answer: a choice can only
differ from the fp32 one if bf16 moved a score by more than half the margin (measured: under a quarter).
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import torch

CHECK_MARGIN = 1.0  # nats between the two best candidates under which a low-precision row is scored again


@dataclass
class FastCopy:
    """The folded copy, its own prefix caches (its keys and values differ from the student's), and counters."""

    model: Any
    dtype: torch.dtype
    prefixes: OrderedDict = field(default_factory=OrderedDict)
    rows_scored: int = 0  # prompts this copy scored (a counter; rows per pass are Student.rows)
    checked: int = 0

    @property
    def needs_check(self) -> bool:
        return self.dtype != torch.float32


def folded_copy(model: Any, dtype: torch.dtype) -> FastCopy:
    """A copy of ``model`` with any PEFT LoRA adapter merged into its weights, cast to ``dtype``."""
    clone = copy.deepcopy(model)
    if hasattr(clone, "peft_config"):
        clone = clone.merge_and_unload()
    return FastCopy(clone.to(dtype).eval(), dtype)


def close_call(log_probs: torch.Tensor, margin: float = CHECK_MARGIN) -> bool:
    """Whether the two best candidates are within ``margin`` nats (a choice bf16 rounding might flip)."""
    if log_probs.numel() < 2:
        return False
    top = torch.topk(log_probs.detach().float(), 2).values
    return bool(top[0] - top[1] < margin)


def describe(fast: FastCopy | None) -> dict[str, Any]:
    """What the fast path did, for reports: precision, rows scored, rows checked in fp32."""
    if fast is None:
        return {"fast_scoring": "off"}
    return {
        "fast_scoring": str(fast.dtype).removeprefix("torch."),
        "rows_scored": fast.rows_scored,
        "checked": fast.checked,
    }
