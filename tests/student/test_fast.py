"""Fast scoring (student/fast.py) checked against the student itself: the slow path is the reference."""

import pytest
import torch

from logicdistill import compute
from logicdistill.compute import fast_dtype
from logicdistill.student.examples import make_example
from logicdistill.student.fast import close_call
from logicdistill.student.tiny import tiny_student
from logicdistill.student.training import TrainConfig, _attach_lora

MANUALS = [("open_door", "use when door: yes."), ("wait", "use when door: no."), ("none", "nothing fits.")]
STATES = ["door: yes", "door: no. light: on", "step 7", "pursuer 0 at (1, 2)", "x", "door: maybe"]


def _student_with_adapter(seed: int = 5):
    """A tiny student with a LoRA adapter whose B matrices are not zero (a fresh adapter changes nothing)."""
    student = tiny_student(seed)
    _attach_lora(student, TrainConfig(seed=seed, lora_r=4))
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in student.model.named_parameters():
            if "lora_B" in name:
                param.copy_(torch.randn(param.shape, generator=gen) * 0.2)
    student.model.eval()
    return student


def _examples():
    return [make_example("Rules.", "stage one", MANUALS, s, []) for s in STATES]


def _scores(selections):
    return [s.probs for s in selections]


def test_the_folded_copy_decides_as_the_student_and_leaves_it_untouched():
    student = _student_with_adapter()
    examples = _examples()
    before = (student.weights_hash(), student.adapter_hash())
    reference = student.select_batch(examples)
    student.score_fast(torch.float32)
    folded = student.select_batch(examples)
    assert student.fast is not None and student.fast.rows_scored == len(examples) and student.fast.checked == 0
    assert [s.name for s in folded] == [s.name for s in reference]
    for a, b in zip(_scores(folded), _scores(reference), strict=True):
        assert a == pytest.approx(b, abs=1e-4)
    assert (student.weights_hash(), student.adapter_hash()) == before
    assert not hasattr(student.fast.model, "peft_config")  # the adapter is folded in, not wrapped


def test_the_adapter_matters_so_the_comparison_can_fail():
    student = _student_with_adapter()
    examples = _examples()
    with_adapter = _scores(student.select_batch(examples))
    with student.without_adapter():
        bare = _scores(student.select_batch(examples))
    assert any(abs(a - b).max() > 1e-3 for a, b in zip(with_adapter, bare, strict=True))


def test_close_bf16_rows_are_scored_again_by_the_student(monkeypatch):
    student = _student_with_adapter()
    examples = _examples()
    reference = _scores(student.select_batch(examples))
    student.score_fast(torch.bfloat16)
    monkeypatch.setattr("logicdistill.student.model.close_call", lambda lp: True)  # every row is a close call
    checked = _scores(student.select_batch(examples))
    assert student.fast.checked == len(examples)
    for a, b in zip(checked, reference, strict=True):
        assert a == pytest.approx(b, abs=1e-12)  # the student's own fp32 scores, not bf16 ones
    monkeypatch.setattr("logicdistill.student.model.close_call", lambda lp: False)
    unchecked = _scores(student.select_batch(examples))
    assert any(abs(a - b).max() > 1e-6 for a, b in zip(unchecked, reference, strict=True))  # bf16 moved them


def test_close_call_is_about_the_two_best():
    assert close_call(torch.tensor([-0.1, -0.5, -9.0]))
    assert not close_call(torch.tensor([-0.1, -3.0, -0.1 - 1.5]))
    assert not close_call(torch.tensor([0.0]))
    assert close_call(torch.tensor([-2.0, -0.2]), margin=2.0)


def test_bare_model_training_and_weight_changes_never_use_a_stale_copy():
    student = _student_with_adapter()
    examples = _examples()
    student.score_fast(torch.float32)
    student.select_batch(examples)
    first = student.fast
    with student.without_adapter():
        student.select_batch(examples)
        assert student.fast is None  # the bare model is scored by the student itself
    student.select_batch(examples)
    assert student.fast is not None and student.fast is not first  # made again after the adapter came back
    student.clear_cache()  # what training calls after changing weights
    assert student.fast is None
    student.model.train()
    student.select_batch(examples)
    assert student.fast is None
    student.model.eval()
    student.score_fast(None)
    student.select_batch(examples)
    assert student.fast is None


def test_the_fast_precision(monkeypatch):
    assert fast_dtype("cpu", "fp32") == torch.float32
    assert fast_dtype("cpu", "bf16") == torch.bfloat16
    assert fast_dtype("cuda", "auto") == torch.bfloat16
    monkeypatch.setattr(compute, "cpu_has_bf16", lambda: False)
    assert fast_dtype("cpu", "auto") == torch.float32
    monkeypatch.setattr(compute, "cpu_has_bf16", lambda: True)
    assert fast_dtype("cpu", "auto") == torch.bfloat16


def test_a_bf16_copy_on_a_cpu_takes_taller_batches_unless_told():
    student = tiny_student(0)
    assert student.rows == 8
    student.score_fast(torch.bfloat16)
    assert student.rows == 64
    student.score_fast(torch.float32)
    assert student.rows == 8
    from logicdistill.student.model import Student

    fixed = Student(student.model, student.tokenizer, rows=5)
    fixed.score_fast(torch.bfloat16)
    assert fixed.rows == 5
