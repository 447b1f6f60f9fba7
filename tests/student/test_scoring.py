"""Candidate scoring on the tiny model: cached == uncached, batched == single, trie == brute force."""

import math

import numpy as np
import pytest
import torch

from logicdistill.student.examples import SelectionExample, make_example
from logicdistill.student.scoring import entropy_bits
from logicdistill.student.tiny import tiny_student

MANUALS = [
    ("open_door", "use when the door is yes."),
    ("wait", "use when the door is no."),
    ("move_up", "move every pursuer up."),
    ("move_down", "move every pursuer down."),
    ("move", "move toward the evader."),
    ("none", "when no function applies."),
]


@pytest.fixture(scope="module")
def student():
    return tiny_student(seed=3)


def _examples(manuals, n=5):
    states = ["door: yes", "door: no. light: on", "evader trapped: yes. step 7", "pursuer 0 at (1, 2)", "x"]
    return [
        make_example("Rules text.", "stage one", manuals, s, [("earlier", "r")] * (i % 2))
        for i, s in enumerate(states[:n])
    ]


def _reference_probs(student, ex: SelectionExample) -> np.ndarray:
    """Constrained decoding by brute force: one uncached full forward per trie node, renormalised per node."""
    enc = student.encode(ex)
    prompt = enc.fixed + enc.varying
    logp = []
    for path in enc.trie.paths:
        total = 0.0
        for node, token in path:
            with torch.no_grad():
                logits = student.model(input_ids=torch.tensor([prompt + list(node)])).logits[0, -1]
            children = list(enc.trie.branches[node])
            total += float(torch.log_softmax(logits[children].double(), -1)[children.index(token)])
        logp.append(total)
    p = np.exp(np.array(logp))
    return p / p.sum()


@pytest.mark.parametrize("manuals", [MANUALS[:2] + MANUALS[5:], MANUALS])
def test_cached_batched_and_uncached_agree(student, manuals):
    examples = _examples(manuals)
    uncached = [student.select(e, use_cache=False) for e in examples]
    student.clear_cache()
    cached = [student.select(e) for e in examples]  # first call fills the prefix cache, later ones reuse it
    batched = student.select_batch(examples, batch_size=3)
    for a, b, c in zip(uncached, cached, batched, strict=True):
        assert np.abs(a.probs - b.probs).max() < 1e-4
        assert np.abs(a.probs - c.probs).max() < 1e-4
        assert a.index == b.index == c.index
    assert len(student._prefixes) == 1 and student._prefixes[examples[0].prefix] is not None


def test_probabilities_match_brute_force_with_shared_first_tokens(student):
    ex = _examples(MANUALS, n=1)[0]
    trie = student.encode(ex).trie
    assert trie.deep_nodes, "the tiny tokenizer should split move/move_up/move_down on shared tokens"
    for use_cache in (False, True):
        got = student.select(ex, use_cache=use_cache).probs
        assert np.abs(got - _reference_probs(student, ex)).max() < 1e-4


def test_distinct_first_tokens_is_first_token_softmax(student):
    ex = _examples(MANUALS[:2] + MANUALS[5:], n=1)[0]
    enc = student.encode(ex)
    assert not enc.trie.deep_nodes
    with torch.no_grad():
        logits = student.model(input_ids=torch.tensor([enc.fixed + enc.varying])).logits[0, -1]
    expected = torch.softmax(logits[[s[0] for s in enc.trie.seqs]].double(), -1).numpy()
    assert np.abs(student.select(ex).probs - expected).max() < 1e-5


def test_selection_is_always_a_candidate(student):
    for seed in range(3):
        for ex in _examples(MANUALS[seed:], n=5):
            sel = student.select(ex)
            assert ex.candidates[sel.index] == sel.name
            assert sel.probs.shape == (len(ex.candidates),) and abs(sel.probs.sum() - 1) < 1e-9
            assert sel.index == int(np.argmax(sel.probs))
            assert 0 <= sel.entropy_bits <= math.log2(len(ex.candidates)) + 1e-9


def test_single_candidate_is_certain(student):
    sel = student.select(make_example("r", "s", [("wait", "m")], "door: no"))
    assert sel.index == 0 and sel.probs.tolist() == [1.0] and sel.entropy_bits == 0.0


def test_cache_is_keyed_by_prefix_and_bounded(student):
    student.clear_cache()
    student.prefix_cache_size = 2
    try:
        for rules in ("one", "two", "three"):
            student.select(make_example(rules, "s", MANUALS[:2], "door: no"))
        assert list(student._prefixes) == [make_example(r, "s", MANUALS[:2], "x").prefix for r in ("two", "three")]
    finally:
        student.prefix_cache_size = 8


def test_generation_and_its_entropy(student):
    ex = _examples(MANUALS, n=1)[0]
    text, bits = student.generate_with_entropy(ex, max_new_tokens=3)
    assert student.generate(ex, 3) == text
    assert bits > 0 and student.generation_entropy_bits(ex, 3) == pytest.approx(bits)
    ids = student.prompt_token_ids(ex)
    with torch.no_grad():
        first = student.model(input_ids=torch.tensor([ids])).logits[0, -1]
    assert student.generation_entropy_bits(ex, 1) == pytest.approx(entropy_bits(first), rel=1e-6)
    assert entropy_bits(torch.zeros(8)) == pytest.approx(3.0)
    assert student.generate("hello", 2) == student.generate("hello", 2)  # greedy: a plain prompt decodes the same


def test_generation_with_cached_prefix_matches(student):
    ex = _examples(MANUALS, n=2)[1]
    plain = student.generate_with_entropy(ex, 4)
    cached = student.generate_with_entropy(ex, 4, use_cache=True)
    assert cached[0] == plain[0] and cached[1] == pytest.approx(plain[1], rel=1e-5)
