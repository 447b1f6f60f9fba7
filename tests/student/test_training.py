"""LoRA training on the tiny model: it learns a rule, resumes exactly, saves and reloads its adapter."""

import json

import numpy as np
import pytest
import torch

from logicdistill.errors import UserError
from logicdistill.student.examples import make_example
from logicdistill.student.scoring import candidate_log_probs
from logicdistill.student.tiny import tiny_student
from logicdistill.student.training import (
    TrainConfig,
    _attach_lora,
    load_adapter,
    schedule,
    selection_accuracy,
    train_lora,
)

from .synthetic import door_examples


def _lora_state(student) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in student.model.named_parameters() if "lora_" in k}


def test_schedule_is_seeded_and_covers_every_example():
    cfg = TrainConfig(seed=5, epochs=2, batch_size=3, grad_accum=2)
    plan = schedule(10, cfg)
    assert plan == schedule(10, cfg) != schedule(10, TrainConfig(seed=6, epochs=2, batch_size=3, grad_accum=2))
    assert len(plan) == 4  # 4 micro-batches per epoch, 2 per step
    for epoch in (plan[:2], plan[2:]):
        assert sorted(i for step in epoch for micro in step for i in micro) == list(range(10))


def test_length_window_batches_similar_lengths_and_still_covers_every_example():
    rng = np.random.default_rng(0)
    lengths = rng.integers(100, 300, size=203).tolist()
    cfg = TrainConfig(seed=1, epochs=2, batch_size=4, length_window=40)
    plan = schedule(203, cfg, lengths)
    assert plan == schedule(203, cfg, lengths)  # seeded
    per_epoch = len(plan) // 2
    for epoch in (plan[:per_epoch], plan[per_epoch:]):
        assert sorted(i for step in epoch for micro in step for i in micro) == list(range(203))

    def pad_share(plan):
        micros = [m for step in plan for m in step]
        padded = sum(max(lengths[i] for i in m) * len(m) for m in micros)
        return 1 - sum(lengths[i] for m in micros for i in m) / padded

    plain = schedule(203, TrainConfig(seed=1, epochs=2, batch_size=4), lengths)
    assert pad_share(plan) < pad_share(plain) / 3
    # windows are sorted inside, but the micro-batches are not in length order over the epoch
    firsts = [lengths[m[0]] for step in plan[:per_epoch] for m in step]
    assert firsts != sorted(firsts)
    assert schedule(203, TrainConfig(seed=1, batch_size=4), lengths) == schedule(203, TrainConfig(seed=1, batch_size=4))


def test_a_run_written_before_a_setting_existed_still_resumes(tmp_path):
    student = tiny_student(0)
    train = door_examples(16, seed=0)
    cfg = TrainConfig(batch_size=4, checkpoint_every=1)
    train_lora(student, train, cfg, tmp_path, progress=False, stop_after_steps=2)
    header = json.loads((tmp_path / "train_config.json").read_text())
    del header["config"]["length_window"]  # as an older version wrote it
    (tmp_path / "train_config.json").write_text(json.dumps(header))
    result = train_lora(tiny_student(0), train, cfg, tmp_path, progress=False)
    assert result.steps == 4
    with pytest.raises(UserError, match="other settings"):  # but not under a value it never had
        train_lora(tiny_student(0), train, TrainConfig(batch_size=4, length_window=8), tmp_path, progress=False)


def test_tiny_model_learns_the_door_rule(tmp_path):
    student = tiny_student(0)
    base_hash = student.weights_hash()
    train, held_out = door_examples(64, seed=0), door_examples(40, seed=1)
    cfg = TrainConfig(lr=5e-3, epochs=10, batch_size=8, checkpoint_every=40)
    result = train_lora(student, train, cfg, tmp_path, progress=False, eval_examples=held_out)
    assert result.steps == 80 and result.eval_accuracy >= 0.9  # chance is at most 0.5
    assert result.final_loss < 0.5
    assert student.weights_hash() == base_hash and student.adapter_hash() is not None
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["steps"] == 80 and len(metrics["losses"]) == 80
    saved = json.loads((tmp_path / "train_config.json").read_text())
    assert saved["config"]["lr"] == 5e-3 and saved["base_weights_sha256"] == base_hash

    # The saved adapter on a fresh copy of the base gives the same choices; the base weights stay the same.
    fresh = load_adapter(tiny_student(0), tmp_path / "adapter")
    assert fresh.adapter_hash() == student.adapter_hash() and fresh.weights_hash() == base_hash
    for ex in held_out[:5]:
        assert np.abs(fresh.select(ex).probs - student.select(ex).probs).max() < 1e-5
    with fresh.without_adapter():
        untuned = fresh.select(held_out[0]).probs
    assert np.abs(untuned - tiny_student(0).select(held_out[0]).probs).max() < 1e-5


def test_resume_gives_the_same_adapter(tmp_path):
    examples = door_examples(16, seed=2)
    cfg = TrainConfig(lr=1e-2, batch_size=2, grad_accum=2, lora_dropout=0.1, checkpoint_every=3)
    straight = tiny_student(0)
    done = train_lora(straight, examples, cfg, tmp_path / "straight", progress=False)
    assert done.steps == 4

    resumed = tiny_student(0)
    part = train_lora(resumed, examples, cfg, tmp_path / "resumed", progress=False, stop_after_steps=2)
    assert part.steps == 2 and not (tmp_path / "resumed" / "adapter").exists()
    assert (tmp_path / "resumed" / "checkpoint" / "state.pt").is_file()
    again = tiny_student(0)  # a new process would start from a fresh model too
    finished = train_lora(again, examples, cfg, tmp_path / "resumed", progress=False)
    assert finished.steps == 4 and finished.final_loss == pytest.approx(done.final_loss, rel=1e-5)
    a, b = _lora_state(straight), _lora_state(again)
    assert a.keys() == b.keys() and a
    for key in a:
        assert torch.allclose(a[key], b[key], atol=1e-6), key
    assert any(float(v.abs().sum()) > 0 for k, v in a.items() if "lora_B" in k)  # training moved the weights


def test_interrupt_checkpoints_the_last_finished_step(tmp_path, monkeypatch):
    from logicdistill.student import training

    examples = door_examples(16, seed=2)
    cfg = TrainConfig(lr=1e-2, batch_size=2, grad_accum=2, lora_dropout=0.1, checkpoint_every=100)
    straight = tiny_student(0)
    train_lora(straight, examples, cfg, tmp_path / "straight", progress=False)

    real, calls = training.candidate_log_probs, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:  # the first micro-batch of step 3
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "candidate_log_probs", flaky)
    with pytest.raises(KeyboardInterrupt):
        train_lora(tiny_student(0), examples, cfg, tmp_path / "cut", progress=False)
    monkeypatch.setattr(training, "candidate_log_probs", real)
    state = torch.load(tmp_path / "cut" / "checkpoint" / "state.pt", weights_only=True)
    assert state["step"] == 2
    again = tiny_student(0)
    assert train_lora(again, examples, cfg, tmp_path / "cut", progress=False).steps == 4
    a, b = _lora_state(straight), _lora_state(again)
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)


def test_bad_runs_are_user_errors(tmp_path):
    examples = door_examples(4, seed=3)
    with pytest.raises(UserError, match="gold"):
        train_lora(tiny_student(0), [examples[0].__class__("p", "s", ["a", "b"], None)], TrainConfig(), tmp_path)
    train_lora(tiny_student(0), examples, TrainConfig(batch_size=4), tmp_path / "run", progress=False)
    with pytest.raises(UserError, match="other settings"):
        train_lora(tiny_student(0), examples, TrainConfig(batch_size=2), tmp_path / "run", progress=False)
    with pytest.raises(UserError, match="target modules"):
        train_lora(tiny_student(0), examples, TrainConfig(target_modules=("c_attn",)), tmp_path / "x", progress=False)
    with pytest.raises(UserError, match="not a LoRA adapter"):
        load_adapter(tiny_student(0), tmp_path)


def test_probes_score_held_out_examples_without_changing_the_run(tmp_path):
    """Probing every N steps reports accuracy as training goes, survives a resume, and leaves the adapter as a
    run without probes makes it (scoring uses no RNG and no stale prefix cache)."""
    train, held_out = door_examples(32, seed=0), door_examples(16, seed=1)
    cfg = TrainConfig(lr=5e-3, epochs=4, batch_size=8, checkpoint_every=3)
    plain = tiny_student(0)
    train_lora(plain, train, cfg, tmp_path / "plain", progress=False)
    probed = tiny_student(0)
    first = train_lora(
        probed,
        train,
        cfg,
        tmp_path / "probed",
        progress=False,
        stop_after_steps=6,
        probe_examples=held_out,
        probe_every=4,
    )
    assert [s for s, _ in first.probes] == [4]
    result = train_lora(
        tiny_student(0), train, cfg, tmp_path / "probed", progress=False, probe_examples=held_out, probe_every=4
    )
    assert [s for s, _ in result.probes] == [4, 8, 12, 16]
    assert all(a * len(held_out) == pytest.approx(round(a * len(held_out))) for _, a in result.probes)  # hits / n
    a, b = _lora_state(plain), _lora_state(load_adapter(tiny_student(0), tmp_path / "probed" / "adapter"))
    assert all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    metrics = json.loads((tmp_path / "probed" / "metrics.json").read_text())
    assert [p[0] for p in metrics["probes"]] == [4, 8, 12, 16]
    assert result.probes[-1][1] == pytest.approx(
        selection_accuracy(load_adapter(tiny_student(0), tmp_path / "probed" / "adapter"), held_out)
    )
    with pytest.raises(UserError, match="probe_every"):
        train_lora(tiny_student(0), train, cfg, tmp_path / "bad", progress=False, probe_every=-1)


def test_loss_through_shared_first_tokens_has_the_brute_force_gradient():
    """The batched, cached multi-token path gives the same loss and LoRA gradients as one full forward per node."""
    manuals = [("move_up", "use when the door is yes."), ("move_down", "use when the door is no."), ("move", "no")]
    examples = [make_example("r", "s", manuals, f"door: {d}", gold=g) for d, g in [("yes", "move_up"), ("no", "move")]]
    student = tiny_student(0)
    _attach_lora(student, TrainConfig())
    with torch.no_grad():  # lora_B starts at zero; make it non-zero so that every LoRA matrix gets a gradient
        for name, param in student.model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.05)
    student.model.train()
    encoded = [student.encode(e) for e in examples]
    assert all(enc.trie.deep_nodes for enc in encoded)
    params = [p for p in student.model.parameters() if p.requires_grad]

    brute = torch.zeros(())
    for ex, enc in zip(examples, encoded, strict=True):
        for node, token in enc.trie.paths[ex.gold]:
            logits = student.model(input_ids=torch.tensor([enc.fixed + enc.varying + list(node)])).logits[0, -1]
            children = list(enc.trie.branches[node])
            brute = brute - torch.log_softmax(logits[children], -1)[children.index(token)]
    prompts = [enc.fixed + enc.varying for enc in encoded]
    scores = candidate_log_probs(student.model, prompts, [enc.trie for enc in encoded], None, student.pad_id)
    fast = sum(-lp[ex.gold] for lp, ex in zip(scores, examples, strict=True))
    assert float(fast.detach()) == pytest.approx(float(brute.detach()), rel=1e-5)
    for a, b in zip(torch.autograd.grad(brute, params), torch.autograd.grad(fast, params), strict=True):
        assert torch.allclose(a, b, atol=1e-5)


def test_lr_decay_leaves_the_first_epoch_alone_and_slows_the_next(tmp_path):
    examples = door_examples(8, seed=4)

    def lora_after(tmp, epochs: int, decay: float, stop: int | None = None) -> dict[str, torch.Tensor]:
        student = tiny_student(0)
        cfg = TrainConfig(lr=1e-2, lr_decay=decay, epochs=epochs, batch_size=4, checkpoint_every=100)
        train_lora(student, examples, cfg, tmp, progress=False, stop_after_steps=stop)
        return _lora_state(student)

    one_epoch = lora_after(tmp_path / "a", 1, 1.0)
    decayed_first = lora_after(tmp_path / "b", 2, 0.5, stop=2)  # 2 steps = the first epoch
    constant, decayed = lora_after(tmp_path / "c", 2, 1.0), lora_after(tmp_path / "d", 2, 0.5)
    for key in one_epoch:  # epoch 0 runs at lr whatever the decay: a 1-epoch run's checkpoint is a valid start
        assert torch.allclose(one_epoch[key], decayed_first[key], atol=1e-7), key
    moved = lambda state: sum(float((state[k] - one_epoch[k]).abs().sum()) for k in state)  # noqa: E731
    assert 0 < moved(decayed) < moved(constant)  # the second epoch moved the weights less at half the lr
