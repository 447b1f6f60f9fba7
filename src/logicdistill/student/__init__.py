"""The student LLM: loading, constrained candidate scoring, LoRA training.

Public names are imported lazily so that ``import logicdistill.student.examples`` (plain Python) does not pay
for importing torch and transformers.

- ``load_student(name="default", device="cpu")`` -> ``Student``; ``tiny_student(seed)`` for tests
- ``Student.select(example) -> Selection``, ``select_batch``, ``generate``, ``generation_entropy_bits``,
  ``weights_hash``, ``adapter_hash``, ``without_adapter``
- ``SelectionExample``, ``make_example``, ``build_prefix``, ``build_state``
- ``TrainConfig``, ``train_lora(...) -> TrainResult``, ``load_adapter``, ``evaluate``
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "SelectionExample": "examples",
    "make_example": "examples",
    "build_prefix": "examples",
    "build_state": "examples",
    "Selection": "scoring",
    "Student": "model",
    "load_student": "loading",
    "DistilledStudent": "runs",
    "tiny_student": "tiny",
    "TrainConfig": "training",
    "TrainResult": "training",
    "train_lora": "training",
    "load_adapter": "training",
    "evaluate": "training",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
