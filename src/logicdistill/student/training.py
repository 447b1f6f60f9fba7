"""LoRA fine-tuning of the student on selection examples, with a loss over the K candidates only.

The loss is the cross-entropy of the gold candidate under the same constrained-decoding distribution that
``Student.select`` uses (softmax of the candidates' first-token logits when those differ), which is what made
a 135M model learn selection at all. Training is seeded (LoRA init, shuffle order per
epoch), checkpoints adapter + optimizer + step + RNG state every N steps, and resumes from its out_dir to
the same adapter an uninterrupted run gives.

A run folder holds: ``train_config.json``, ``checkpoint/`` (while or after training), ``adapter/`` (PEFT
``save_pretrained``) and ``metrics.json``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
import shutil
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import UserError
from .examples import SelectionExample
from .model import Student
from .parallel import ranks
from .scoring import candidate_log_probs

DEFAULT_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class TrainConfig:
    """LoRA training settings; a step is one optimizer update of ``batch_size * grad_accum`` examples."""

    seed: int = 0
    epochs: int = 1
    lr: float = 1e-3
    lr_decay: float = 1.0  # the learning rate of epoch e is lr * lr_decay**e (epoch 0 runs at lr)
    lora_r: int = 8
    lora_alpha: int | None = None  # None: 2 * lora_r, the scale every run of this toolkit trained with
    lora_dropout: float = 0.0
    target_modules: tuple[str, ...] = DEFAULT_TARGETS
    batch_size: int = 4
    grad_accum: int = 1
    max_examples: int | None = None
    checkpoint_every: int = 50
    # > 0: micro-batches of similar prompt length, cut from windows of this many shuffled examples (less padding)
    length_window: int = 0

    def __post_init__(self) -> None:
        if self.lora_alpha is None:
            object.__setattr__(self, "lora_alpha", 2 * self.lora_r)

    @classmethod
    def of(cls, config: Any) -> TrainConfig:
        """The training settings of a larger config (distill's), taken by field name: a field both have is one
        setting, so nothing is copied by hand and nothing can drift."""
        return cls(**{f.name: getattr(config, f.name) for f in dataclasses.fields(cls) if hasattr(config, f.name)})


@dataclass(frozen=True)
class TrainResult:
    """What a run did: optimizer steps, seconds (summed over resumes), mean loss of the last 10 steps, eval."""

    steps: int
    seconds: float
    final_loss: float
    eval_accuracy: float | None
    probes: tuple[tuple[int, float], ...] = ()  # (step, accuracy on the probe examples) every probe_every steps


def examples_digest(examples: Sequence[SelectionExample]) -> str:
    """sha256 of the training examples (a resumed run must see the same ones)."""
    rows = [[e.prefix, e.state, list(e.candidates), e.gold] for e in examples]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def schedule(n: int, config: TrainConfig, lengths: Sequence[int] | None = None) -> list[list[list[int]]]:
    """Optimizer steps, each a list of micro-batches of example indices, shuffled per epoch from the seed.

    With ``config.length_window`` and the prompts' ``lengths``, each window of that many shuffled examples
    (rounded up to whole micro-batches) is sorted by length before it is cut into micro-batches, and the
    micro-batches are shuffled again: a padded batch then wastes little on pads (random batches of curriculum
    prompts were 14% pads), and the order stays random at the scale of windows.
    """
    bs = config.batch_size
    window = -(-config.length_window // bs) * bs if config.length_window > 0 and lengths is not None else 0
    if window and len(lengths) != n:
        raise ValueError(f"{len(lengths)} lengths for {n} examples")
    steps = []
    for epoch in range(config.epochs):
        rng = np.random.default_rng([config.seed, epoch])
        order = rng.permutation(n).tolist()
        if window:
            grouped = []
            for start in range(0, n, window):
                chunk = sorted(order[start : start + window], key=lambda i: lengths[i])
                grouped += [chunk[i : i + bs] for i in range(0, len(chunk), bs)]
            micro = [grouped[i] for i in rng.permutation(len(grouped))]
        else:
            micro = [order[i : i + bs] for i in range(0, n, bs)]
        steps += [micro[i : i + config.grad_accum] for i in range(0, len(micro), config.grad_accum)]
    return steps


@contextlib.contextmanager
def _quiet_peft() -> Iterator[None]:
    """peft 0.21 calls transformers' deprecated ``is_gradient_checkpointing``; its FutureWarning is not ours."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        yield


def _attach_lora(student: Student, config: TrainConfig, init: Path | None = None) -> None:
    """A fresh LoRA adapter from the config, or (``init``) a saved adapter to train further: its own rank and
    target modules then stand, whatever the config says."""
    from peft import LoraConfig, PeftModel, get_peft_model

    if student.has_adapter:
        student.model = student.model.unload()
    if init is not None:
        torch.manual_seed(config.seed)
        try:
            with _quiet_peft():
                student.model = PeftModel.from_pretrained(student.model, str(init), is_trainable=True)
        except Exception as exc:
            raise UserError(f"cannot start from the adapter in {init}: {exc}") from exc
        student.adapter_dir = None  # it will differ from the saved one once trained
        student.clear_cache()
        return
    present = {name.rsplit(".", 1)[-1] for name, _ in student.model.named_modules()}
    targets = [t for t in config.target_modules if t in present]
    if not targets:
        raise UserError(f"none of the LoRA target modules {list(config.target_modules)} exist in {student.name}")
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=targets,
        task_type="CAUSAL_LM",
    )
    torch.manual_seed(config.seed)  # LoRA's A matrices are drawn from the global RNG
    with _quiet_peft():
        student.model = get_peft_model(student.model, lora)
    student.adapter_dir = None  # a fresh adapter, saved nowhere yet
    student.clear_cache()


def _save_checkpoint(student: Student, optimizer, out_dir: Path, state: dict) -> None:
    """Write checkpoint.tmp fully, then swap it in, so a crash leaves the old or the new one, never half."""
    final, tmp, old = out_dir / "checkpoint", out_dir / "checkpoint.tmp", out_dir / "checkpoint.old"
    shutil.rmtree(tmp, ignore_errors=True)
    student.model.save_pretrained(str(tmp / "adapter"))
    torch.save({**state, "optimizer": optimizer.state_dict()}, tmp / "state.pt")
    if final.exists():
        shutil.rmtree(old, ignore_errors=True)
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def _load_checkpoint(student: Student, optimizer, out_dir: Path) -> dict | None:
    from peft import set_peft_model_state_dict
    from peft.utils import load_peft_weights

    folder = out_dir / "checkpoint"
    if not folder.exists() and (out_dir / "checkpoint.old").exists():
        folder = out_dir / "checkpoint.old"  # a crash between the two renames of _save_checkpoint
    if not folder.exists():
        return None
    try:
        set_peft_model_state_dict(student.model, load_peft_weights(str(folder / "adapter"), device="cpu"))
        state = torch.load(folder / "state.pt", weights_only=True)
        optimizer.load_state_dict(state.pop("optimizer"))
    except Exception as exc:
        raise UserError(f"cannot resume from the checkpoint in {folder}: {exc}") from exc
    return state


def _run_header(
    student: Student, examples: Sequence[SelectionExample], config: TrainConfig, init: Path | None = None
) -> dict:
    start = {"init_adapter": str(init), "init_adapter_sha256": _folder_digest(init)} if init is not None else {}
    return {
        **start,
        "config": dataclasses.asdict(config),
        "examples": len(examples),
        "examples_sha256": examples_digest(examples),
        "student": student.name,
        "base_weights_sha256": student.weights_hash(),
    }


def _check_same_run(out_dir: Path, header: dict) -> None:
    path = out_dir / "train_config.json"
    if not path.exists():
        path.write_text(json.dumps(header, indent=2))
        return
    try:
        old = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise UserError(f"{path} is not readable JSON: {exc}") from exc
    if not isinstance(old, dict) or not isinstance(old.get("config", {}), dict):
        raise UserError(f"{path} is not a training header; use a new folder to start afresh")
    ignore = {"checkpoint_every"}
    # A setting added since the old run was written had its default then (the run trained without it).
    defaults = json.loads(json.dumps(dataclasses.asdict(TrainConfig())))
    old["config"] = {**{k: v for k, v in defaults.items() if k in header["config"]}, **old.get("config", {})}
    strip = lambda h: {**h, "config": {k: v for k, v in h.get("config", {}).items() if k not in ignore}}  # noqa: E731
    if strip(old) != strip(json.loads(json.dumps(header))):
        raise UserError(f"{out_dir} holds a run with other settings or examples; use a new folder to start afresh")


def train_lora(
    student: Student,
    examples: Sequence[SelectionExample],
    config: TrainConfig,
    out_dir: Path | str,
    progress: bool = True,
    eval_examples: Sequence[SelectionExample] | None = None,
    stop_after_steps: int | None = None,
    init_adapter: Path | str | None = None,
    probe_examples: Sequence[SelectionExample] | None = None,
    probe_every: int = 0,
) -> TrainResult:
    """Fine-tune a fresh LoRA adapter on ``student`` (in place) and save the run into ``out_dir``; with
    ``init_adapter``, fine-tune that saved adapter further instead (``distill --from``).

    Resumes from ``out_dir/checkpoint`` when present. ``stop_after_steps`` stops early as if interrupted (the
    checkpoint is written), for tests and for time-boxed runs; call again with the same arguments to go on.
    Under ``accelerate launch`` each process scores its share of every micro-batch (parallel.py).
    With ``probe_every`` N > 0 the ``probe_examples`` are scored every N steps, so a run that learns nothing
    shows it early (in the progress bar and in ``probes``); scoring changes neither the weights nor the RNG.
    """
    from tqdm.auto import tqdm

    examples = list(examples)[: config.max_examples]
    if not examples or any(e.gold is None for e in examples):
        raise UserError("training needs at least one example, and every example needs a gold candidate")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    job = ranks(str(student.device))
    init = Path(init_adapter) if init_adapter is not None else None
    if init is not None and not (init / "adapter_config.json").is_file():
        raise UserError(f"{init} is not a LoRA adapter folder (no adapter_config.json)")
    header = _run_header(student, examples, config, init)
    with job.main_first():  # the first process writes the header, the others check theirs against it
        _check_same_run(out_dir, header)
    _attach_lora(student, config, init)
    params = [p for p in student.model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr)
    encoded = [student.encode(e) for e in examples]
    plan = schedule(len(examples), config, [len(e.fixed) + len(e.varying) for e in encoded])
    steps_per_epoch = len(plan) // config.epochs
    state = _load_checkpoint(student, optimizer, out_dir) or {"step": 0, "losses": [], "seconds": 0.0}
    if "rng" in state:
        torch.set_rng_state(state["rng"])
    step, losses, seconds = int(state["step"]), list(state["losses"]), float(state["seconds"])
    probes = [(int(a), float(b)) for a, b in state.get("probes", [])]
    if probe_every < 0:
        raise UserError(f"probe_every must be 0 (off) or a number of steps, got {probe_every}")
    end = len(plan) if stop_after_steps is None else min(len(plan), stop_after_steps)
    bar = tqdm(total=len(plan), initial=step, disable=not (progress and job.main), desc="LoRA", unit="step")
    started = time.perf_counter()

    def checkpoint(rng: torch.Tensor) -> None:
        elapsed = seconds + time.perf_counter() - started
        if job.main:
            saved = {"step": step, "losses": losses, "seconds": elapsed, "rng": rng}
            _save_checkpoint(student, optimizer, out_dir, {**saved, "probes": [list(p) for p in probes]})
        job.barrier()

    boundary_rng = torch.get_rng_state()  # the RNG state at the last step boundary: what a resume restores
    phase = "boundary"
    student.model.train()
    try:
        while step < end:
            phase = "compute"  # weights, optimizer and boundary_rng still describe the last boundary
            total = 0.0
            for micro in plan[step]:
                mine = job.share(micro)  # all of it when alone
                if not mine:
                    continue
                prompts = [encoded[i].fixed + encoded[i].varying for i in mine]
                scores = candidate_log_probs(
                    student.model, prompts, [encoded[i].trie for i in mine], None, student.pad_id
                )
                gold = [-lp[examples[i].gold] for lp, i in zip(scores, mine, strict=True)]
                loss = torch.stack(gold).sum() / (len(micro) * len(plan[step]))  # the global micro-batch's mean
                loss.backward()
                total += float(loss.detach())
            phase = "update"  # an interrupt from here to the next boundary cannot be checkpointed consistently
            job.sum_gradients(params)
            total = job.sum(total)
            for group in optimizer.param_groups:
                group["lr"] = config.lr * config.lr_decay ** (step // steps_per_epoch)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            losses.append(total)
            boundary_rng = torch.get_rng_state()
            phase = "boundary"
            if probe_every and probe_examples and step % probe_every == 0:
                probes.append((step, _probe(student, probe_examples)))
            bar.update(1)
            bar.set_postfix(loss=f"{total:.3f}", **({"probe": f"{probes[-1][1]:.3f}"} if probes else {}))
            if step % config.checkpoint_every == 0 or step == end:
                checkpoint(boundary_rng)
    except KeyboardInterrupt:
        if phase != "update":
            optimizer.zero_grad(set_to_none=True)
            checkpoint(boundary_rng)
        raise
    finally:
        bar.close()
        student.model.eval()
        student.clear_cache()
    seconds += time.perf_counter() - started
    final_loss = float(np.mean(losses[-10:])) if losses else math.nan
    if step < len(plan):
        return TrainResult(step, seconds, final_loss, None, tuple(probes))
    accuracy = selection_accuracy(student, eval_examples) if eval_examples else None
    result = TrainResult(step, seconds, final_loss, accuracy, tuple(probes))
    if job.main:
        _save_adapter(student, out_dir / "adapter")
        (out_dir / "metrics.json").write_text(json.dumps({**dataclasses.asdict(result), "losses": losses}, indent=2))
    job.barrier()
    return result


def _probe(student: Student, examples: Sequence[SelectionExample]) -> float:
    """Held-out accuracy in the middle of training: the weights just changed, so no cached prefix may serve."""
    student.model.eval()
    student.clear_cache()
    try:
        return selection_accuracy(student, examples)
    finally:
        student.clear_cache()
        student.model.train()


def _save_adapter(student: Student, dest: Path) -> None:
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    student.model.save_pretrained(str(tmp))
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)


def selection_accuracy(student: Student, examples: Sequence[SelectionExample]) -> float:
    """Fraction of labelled examples where the student selects the gold candidate."""
    labelled = [e for e in examples if e.gold is not None]
    if not labelled:
        return math.nan
    picks = student.select_batch(labelled)
    return sum(p.index == e.gold for p, e in zip(picks, labelled, strict=True)) / len(labelled)


def load_adapter(student: Student, adapter_dir: Path | str) -> Student:
    """Attach a saved LoRA adapter to ``student`` (in place, replacing any adapter) and return it."""
    from peft import PeftModel

    adapter_dir = Path(adapter_dir)
    if not (adapter_dir / "adapter_config.json").is_file():
        raise UserError(f"{adapter_dir} is not a LoRA adapter folder (no adapter_config.json)")
    base = student.model.unload() if student.has_adapter else student.model
    try:
        with _quiet_peft():
            student.model = PeftModel.from_pretrained(base, str(adapter_dir)).eval()
        student.adapter_dir = adapter_dir.resolve()
    except Exception as exc:
        student.model = base
        student.adapter_dir = None
        raise UserError(f"cannot load the adapter in {adapter_dir} onto {student.name}: {exc}") from exc
    finally:
        student.clear_cache()
    return student


def _folder_digest(folder: Path) -> str:
    """sha256 over a folder's files (names and bytes): the adapter a run started from, for the resume check."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
