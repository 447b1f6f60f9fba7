"""Data-parallel training: ``distill`` unchanged under ``accelerate launch`` (or torchrun), any number of processes.

The launcher starts one process per device and sets ``WORLD_SIZE``/``RANK``/``LOCAL_RANK``. Every process
runs the whole ``distill`` (the traces and examples are seeded, so they are the same everywhere) and the same
optimizer steps; within a step each process scores its share of the micro-batch (examples ``rank::world``)
and the gradients are summed across processes before the update. The loss is divided by the global
micro-batch size, so the summed gradient is the single-process gradient of the same global batch (to float
rounding) and the weights stay identical on every process. Only the first process writes files.

Without a launcher (``WORLD_SIZE`` unset or 1) every call here is a no-op.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import torch

T = TypeVar("T")


@dataclass(frozen=True)
class Ranks:
    """This process's place in a data-parallel job (rank 0 of 1 when alone)."""

    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def share(self, items: Sequence[T]) -> list[T]:
        """This process's part of a micro-batch."""
        return list(items[self.rank :: self.world])

    def sum_gradients(self, params: Sequence[torch.nn.Parameter]) -> None:
        """Sum every parameter's gradient across processes (one flat all-reduce; a process that scored nothing
        in this step contributes zeros)."""
        if self.world == 1:
            return
        import torch.distributed as dist

        grads = [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        at = 0
        for p in params:
            n = p.numel()
            p.grad = flat[at : at + n].view_as(p).clone()
            at += n

    def sum(self, value: float) -> float:
        """A number summed across processes (a step's loss)."""
        if self.world == 1:
            return value
        import torch.distributed as dist

        device = "cuda" if dist.get_backend() == "nccl" else "cpu"  # NCCL reduces GPU tensors only
        t = torch.tensor([value], dtype=torch.float64, device=device)
        dist.all_reduce(t)
        return float(t[0])

    def first_says(self, value: T) -> T:
        """The first process's ``value`` on every process (a run folder named after the clock, say)."""
        if self.world == 1:
            return value
        import torch.distributed as dist

        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def barrier(self) -> None:
        if self.world > 1:
            import torch.distributed as dist

            dist.barrier()

    @contextlib.contextmanager
    def main_first(self) -> Iterator[None]:
        """The first process runs the block before the others (it builds what they then find on disk)."""
        if not self.main:
            self.barrier()
        yield
        if self.main:
            self.barrier()


def ranks(device: str = "cpu") -> Ranks:
    """This process's ranks, joining the launcher's process group on first use (NCCL for a student on a GPU,
    gloo on a CPU)."""
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    if world <= 1:
        return Ranks()
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if str(device).startswith("cuda") else "gloo")
    return Ranks(dist.get_rank(), dist.get_world_size())


def local_device(device: str) -> str:
    """``cuda`` means this process's own GPU (``LOCAL_RANK``) when several processes share a machine."""
    if device == "cuda" and "LOCAL_RANK" in os.environ and int(os.environ.get("WORLD_SIZE", "1") or 1) > 1:
        return f"cuda:{int(os.environ['LOCAL_RANK'])}"
    return device
