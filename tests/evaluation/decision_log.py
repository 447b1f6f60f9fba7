"""Every scored LD stage of an evaluation, keyed by (episode seed, step, stage), for comparing two runs."""

from __future__ import annotations

import math

from logicdistill.agent.ld_slot import LDSlot


def log_decisions(monkeypatch) -> dict:
    """Patch LDSlot to log {(seed, step, stage): (chosen, program's label, entropy bits)} into the returned dict."""
    log: dict = {}
    original_reset, original_score = LDSlot.reset, LDSlot._score

    def reset(self, env, seed):
        self.seed = seed
        original_reset(self, env, seed)

    def score(self, record, label, step):
        key = (self.seed, step, record.stage)
        assert key not in log, "one decision per (episode, step, stage)"
        log[key] = (record.chosen, label, record.entropy_bits)
        original_score(self, record, label, step)

    monkeypatch.setattr(LDSlot, "reset", reset)
    monkeypatch.setattr(LDSlot, "_score", score)
    return log


def assert_same_decisions(a: dict, b: dict, entropy_tol: float = 1e-4) -> None:
    """The same stages decided, each the same way; entropies equal to float rounding."""
    assert a.keys() == b.keys()
    for key in a:
        (chosen_a, label_a, bits_a), (chosen_b, label_b, bits_b) = a[key], b[key]
        assert (chosen_a, label_a) == (chosen_b, label_b), key
        assert (bits_a is None) == (bits_b is None), key
        assert bits_a is None or math.isclose(bits_a, bits_b, abs_tol=entropy_tol), (key, bits_a, bits_b)
