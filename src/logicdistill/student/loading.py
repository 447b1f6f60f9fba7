"""Loading a student by name: the embedded default, the tiny test model, or any Hugging Face id / folder."""

from __future__ import annotations

import torch

from ..errors import UserError
from .model import Student


def load_student(name: str = "default", device: str = "cpu", dtype: torch.dtype | None = None) -> Student:
    """Load a student: ``"default"`` (embedded SmolLM2-135M-Instruct), ``"tiny"`` (random test model), or a
    Hugging Face id / local folder. Raises UserError when it cannot be loaded."""
    if name == "tiny":
        from .tiny import tiny_student

        student = tiny_student(0)
        if device != "cpu" or dtype is not None:
            student.model = student.model.to(device=device, dtype=dtype)
            student.device = device
        return student
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if name == "default":
        from .default import converted_dir

        source, label = str(converted_dir()), "default"
    else:
        source, label = name, name
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype or torch.float32)
    except UserError:
        raise
    except Exception as exc:  # transformers raises OSError, ValueError, KeyError, ... for a bad name or folder
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"cannot load student model {name!r}: {first}") from exc
    try:
        return Student(model, tokenizer, name=label, device=device)
    except (RuntimeError, AssertionError) as exc:
        raise UserError(f"cannot put student model {name!r} on device {device!r}: {exc}") from exc
