from logicdistill.agent.ld_policy import LDPolicy
from logicdistill.distillation.forms import FORMS
from logicdistill.distillation.pipeline import DistillConfig, distill
from logicdistill.evaluation import play_episode
from logicdistill.student.runs import DistilledStudent
from logicdistill.student.tiny import tiny_student
from tests.fakes import CountTask


def test_distill_learns_and_the_run_drives_the_ld_policy(tmp_path, recorded):
    task = CountTask()
    config = DistillConfig(
        student="tiny",
        seed=0,
        train_episodes=30,
        heldout_episodes=10,
        task_examples=64,
        synthetic_examples=16,
        override_examples=16,
        heldout_examples=40,
        curriculum_heldout=22,
        k=3,
        retriever="bm25",
        epochs=4,
        lr=5e-3,
        lr_decay=1.0,
        batch_size=8,
        shuffle_candidates=False,  # a tiny random model cannot learn to read shuffled manuals; the real one does
        repeat_rare=False,
        probe_every=16,
    )
    out = tmp_path / "run"
    record = distill(
        task, config, out, progress=False, student=tiny_student(0), teacher=recorded, base_root=tmp_path / "b"
    )
    saved = DistilledStudent.load(out)
    assert saved == record and len(saved.extra["hashes"]["train_traces"]) == 64
    assert saved.base_fingerprint is not None and saved.k == 3 and saved.retriever == "bm25"
    metrics = record.metrics
    assert [p["step"] for p in metrics["heldout_probes"]] == [16, 32, 48]  # 96 examples / 8 a step, 4 epochs
    assert metrics["retrieval_recall"]["act"]["recall@3"] == 1.0
    # override examples are scored apart: the held-out accuracy is over the 40 plain examples only
    assert metrics["heldout_examples"] == 40 and set(metrics["heldout_accuracy_by_stage"]) == {"act", "rule_override"}
    by_form = metrics["heldout_accuracy_by_form"]  # held-out curriculum bases: 2 per form; override: 20
    assert set(by_form) == set(FORMS) | {"rule_override"} and by_form["rule_override"]["count"] == 20
    assert all(by_form[f]["count"] == 2 and by_form[f]["accuracy"] in (0.0, 0.5, 1.0) for f in FORMS)  # of 2
    # chance is 1/3 (two functions + none); the tiny model must learn the yes/no fact
    assert metrics["heldout_accuracy"] >= 0.6
    assert metrics["heldout_accuracy"] >= metrics["heldout_accuracy_before"] + 0.15
    policy = LDPolicy(
        task, run=str(out), teacher=recorded, base_root=tmp_path / "b", student=tiny_student(0), embedder="hashing"
    )
    try:
        play_episode(task, task.make_env(), policy, seed=5)
        assert policy.metrics()["weights_unchanged"] == 1.0 and policy.metrics()["invalid_calls"] == 0.0
        played = policy.metrics()  # every function of the stage is a candidate (3 <= K): recall is 1
        assert played["retrieval_recall"] == 1.0 and played["selection_accuracy.act"] == played["selection_accuracy"]
    finally:
        policy.close()


def test_the_shipped_recipe_reads_back_as_a_config():
    from dataclasses import asdict

    from logicdistill.student.runs import shipped_run

    for task in ("pursuit", "blackjack"):
        saved = DistilledStudent.load(shipped_run(task)).config
        config = DistillConfig.from_dict(saved | {"a_key_from_a_newer_version": 1})
        fields = asdict(config)
        shared = {k: v for k, v in saved.items() if k in fields}
        assert shared and {k: fields[k] for k in shared} == shared
