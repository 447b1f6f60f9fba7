"""One adapter over several tasks, and `--from`: training continues from an existing run's adapter (tiny model)."""

import dataclasses
import json
import shutil

import pytest
import torch

from logicdistill.cli import build_parser
from logicdistill.cli.distill_cmd import _tasks
from logicdistill.distillation.pipeline import DistillConfig, distill
from logicdistill.errors import UserError
from logicdistill.student.tiny import tiny_student
from tests.fakes import CountTask

SMALL = {
    "student": "tiny",
    "train_episodes": 8,
    "heldout_episodes": 4,
    "task_examples": 16,
    "synthetic_examples": 11,
    "override_examples": 0,
    "heldout_examples": 8,
    "curriculum_heldout": 11,
    "k": 3,
    "retriever": "bm25",
    "epochs": 1,
    "lr": 5e-3,
    "lr_decay": 1.0,
    "batch_size": 8,
    "shuffle_candidates": False,
}


class CountTwin(CountTask):
    name = "count2"


def _adapter(folder):
    from safetensors.torch import load_file

    return load_file(str(folder / "train" / "adapter" / "adapter_model.safetensors"))


def _distill(tasks, config, out, recorded, tmp_path):
    return distill(
        tasks, config, out, progress=False, student=tiny_student(0), teacher=recorded, base_root=tmp_path / "bases"
    )


def test_from_run_starts_from_its_adapter_and_trains_it_further(tmp_path, recorded):
    config = DistillConfig(**SMALL)
    first = _distill(CountTask(), config, tmp_path / "a", recorded, tmp_path)
    start = dataclasses.replace(config, from_run=str(tmp_path / "a"))
    untrained = _distill(
        CountTask(), dataclasses.replace(start, stop_after_steps=0), tmp_path / "z", recorded, tmp_path
    )
    assert untrained.extra["adapter_hash"] == first.extra["adapter_hash"]  # the adapter it starts from, unchanged
    second = _distill(CountTask(), start, tmp_path / "c", recorded, tmp_path)
    m1, m2 = first.metrics, second.metrics
    assert m2["heldout_accuracy_before"] == m1["heldout_accuracy"]  # scored with the first run's adapter
    assert m2["heldout_accuracy_by_form_before"] == m1["heldout_accuracy_by_form"]
    assert second.extra["from_run"] == str(tmp_path / "a") and second.config["from_run"] == str(tmp_path / "a")
    header = json.loads((tmp_path / "c" / "train" / "train_config.json").read_text())
    assert header["init_adapter"] == str(first.adapter_dir)
    a, c = _adapter(tmp_path / "a"), _adapter(tmp_path / "c")
    assert a.keys() == c.keys() and any(not torch.equal(a[k], c[k]) for k in a)
    assert second.extra["adapter_hash"] != first.extra["adapter_hash"]


def test_from_refuses_a_missing_run_and_another_student(tmp_path, recorded):
    from logicdistill.student.runs import DistilledStudent

    missing = DistillConfig(**SMALL, from_run=str(tmp_path / "nothing"))
    with pytest.raises(UserError, match="not a finished run folder"):
        _distill(CountTask(), missing, tmp_path / "x", recorded, tmp_path)
    DistilledStudent("count", "ld", "tiny", 3, "bm25", "hashing", None).save(tmp_path / "tiny_run")
    other = DistillConfig(**(SMALL | {"student": "default"}), from_run=str(tmp_path / "tiny_run"))
    with pytest.raises(UserError, match="pass --student"):  # refused before any model loads
        distill(CountTask(), other, tmp_path / "y", progress=False, teacher=recorded, base_root=tmp_path / "bases")


def test_several_tasks_train_one_adapter(tmp_path, recorded):
    twin = tmp_path / "recorded" / "count2"
    shutil.copytree(tmp_path / "recorded" / "count", twin)
    out = tmp_path / "run"
    record = _distill([CountTask(), CountTwin()], DistillConfig(**SMALL), out, recorded, tmp_path)
    assert record.task == "count,count2" and record.config["tasks"] == ["count", "count2"]
    assert record.base_fingerprint is None and set(record.extra["base_fingerprints"]) == {"count", "count2"}
    m = record.metrics
    assert set(m["heldout_accuracy_by_stage"]) == set(m["retrieval_recall"]) == {"count/act", "count2/act"}
    assert m["train_examples"] == 2 * 16 + 11 and m["heldout_examples"] == 2 * 8
    assert sum(v["count"] for v in m["heldout_accuracy_by_form"].values()) == 11
    assert {"count/train_traces", "count2/heldout_traces", "examples"} <= set(record.extra["hashes"])
    assert (out / "traces" / "count2" / "train.jsonl").is_file()
    with pytest.raises(UserError, match="one task at a time"):
        _distill([CountTask(), CountTwin()], DistillConfig(**SMALL, kind="kd"), tmp_path / "kd", recorded, tmp_path)


def test_the_command_line_names_several_tasks_and_a_start():
    argv = ["distill", "--task", "pursuit,blackjack", "--from", "universal", "--curriculum-forms", "negation,chain"]
    args = build_parser().parse_args(argv)
    config = DistillConfig.from_dict(vars(args) | {"tasks": [t.name for t in _tasks(args.task)]})
    assert config.tasks == ["pursuit", "blackjack"] and config.from_run == "universal"
    assert config.curriculum_forms == ["negation", "chain"]
    assert DistillConfig.from_dict(dataclasses.asdict(config)) == config
    with pytest.raises(UserError):
        _tasks("pursuit,pursuit")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["distill", "--task", "pursuit", "--curriculum-forms", "telepathy"])
