"""Prompt assembly, chat format and the candidate trie."""

import copy

import pytest

from logicdistill.student.examples import (
    PLAIN_TAIL,
    CandidateTrie,
    ChatFormat,
    SelectionExample,
    build_prefix,
    make_example,
    prompt_ids,
    text_ids,
)
from logicdistill.student.tiny import tiny_tokenizer


def test_example_validation():
    with pytest.raises(ValueError):
        SelectionExample("p", "s", [], None)
    with pytest.raises(ValueError):
        SelectionExample("p", "s", ["a", "a"], None)
    with pytest.raises(ValueError):
        SelectionExample("p", "s", ["a", "b"], 2)
    with pytest.raises(ValueError):
        make_example("rules", "stage", [("a", "m")], "state", gold="b")


def test_make_example_layout():
    ex = make_example(
        "R1", "stage one", [("b_fn", "does b"), ("a_fn", "does\n  a")], "door: yes", [("s1", "r1")], "a_fn"
    )
    assert ex.candidates == ["b_fn", "a_fn"] and ex.gold == 1
    assert ex.prefix == build_prefix("R1", "stage one", [("b_fn", "does b"), ("a_fn", "does\n  a")])
    assert ex.prefix.index("- b_fn: does b") < ex.prefix.index("- a_fn: does a")
    assert "door: yes" in ex.state and "s1: r1" in ex.state and "door" not in ex.prefix


def test_chat_format_from_template_and_plain():
    tok = tiny_tokenizer()
    fmt = ChatFormat.for_tokenizer(tok)
    assert fmt.head == "<|im_start|>user\n"
    assert fmt.tail == "<|im_end|>\n<|im_start|>assistant\n"
    assert fmt.end_id == tok.convert_tokens_to_ids("<|im_end|>")
    bare = copy.deepcopy(tok)
    bare.chat_template = None
    plain = ChatFormat.for_tokenizer(bare)
    assert (plain.head, plain.tail, plain.end_id) == ("", PLAIN_TAIL, tok.eos_token_id)


def test_prompt_ids_split_fixed_and_varying():
    tok = tiny_tokenizer()
    fmt = ChatFormat.for_tokenizer(tok)
    ex = make_example("rules", "stage", [("wait", "m")], "door: no")
    fixed, varying = prompt_ids(tok, fmt, ex)
    assert tok.decode(fixed + varying) == fmt.head + ex.prefix + ex.state + fmt.tail
    other = make_example("rules", "stage", [("wait", "m")], "door: yes")
    assert prompt_ids(tok, fmt, other)[0] == fixed  # the fixed part does not depend on the state


def test_fast_tokenizer_backend_gives_the_wrapper_ids():
    tok = tiny_tokenizer()
    fmt = ChatFormat.for_tokenizer(tok)
    texts = [fmt.head + "Rules: x\n", "Step 7 of 60. P0 at (1,2).\nFacts: none" + fmt.tail, "", "ünïcode ✓ \t tabs"]
    for text in texts:
        assert text_ids(tok, text) == tok(text, add_special_tokens=False)["input_ids"]


def test_trie_distinct_first_tokens_needs_one_step():
    trie = CandidateTrie.build([(1, 9), (2, 3, 9), (4, 9)])
    assert trie.root_children == (1, 2, 4)
    assert trie.deep_nodes == [] and trie.extension_rows() == []
    assert trie.paths == ((((), 1),), (((), 2),), (((), 4),))


def test_trie_shared_first_tokens_and_prefix_names():
    # "move_up" / "move_down" share two tokens; "mo" is a token-prefix of both (the end token 9 separates it).
    trie = CandidateTrie.build([(5, 6, 7, 9), (5, 6, 8, 9), (5, 9), (1, 9)])
    assert set(trie.branches) == {(), (5,), (5, 6)}
    assert trie.branches[(5,)] == (6, 9) and trie.branches[(5, 6)] == (7, 8)
    assert trie.extension_rows() == [(5, 6)]
    assert trie.paths[0] == (((), 5), ((5,), 6), ((5, 6), 7))
    assert trie.paths[3] == (((), 1),)
    with pytest.raises(ValueError):
        CandidateTrie.build([(1, 9), (1, 9)])


def test_candidate_ids_match_in_context_tokenization():
    from logicdistill.student.examples import candidate_token_ids

    tok = tiny_tokenizer()
    fmt = ChatFormat.for_tokenizer(tok)
    tail = tok(fmt.tail, add_special_tokens=False)["input_ids"]
    for name in ["chase_nearest", "none", "move_up", "Stay", "42go"]:
        in_context = tok(fmt.tail + name + "<|im_end|>", add_special_tokens=False)["input_ids"]
        assert in_context == tail + list(candidate_token_ids(tok, name, fmt.end_id))
