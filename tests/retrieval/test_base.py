"""Tokenizer, stopwords and query builder."""

from __future__ import annotations

import subprocess
import sys

import bm25s.stopwords
import pytest

from logicdistill.errors import UserError
from logicdistill.retrieval import STOPWORDS_EN, build_query, tokenize


def test_stopwords_match_bm25s_english():
    assert STOPWORDS_EN == frozenset(bm25s.stopwords.STOPWORDS_EN)


def test_tokenize_splits_identifiers_keeps_compound_and_folds_plurals():
    tokens = tokenize("Call shortest_path_step and moveToward for the Pursuers, x")
    assert "shortest_path_step" in tokens and {"shortest", "path", "step"} <= set(tokens)
    assert {"movetoward", "move", "toward", "pursuer", "call"} <= set(tokens)
    assert "the" not in tokens and "and" not in tokens and "x" not in tokens


def test_tokenize_plural_rules_do_not_merge_unrelated_words():
    assert tokenize("enemies boxes cells glass status") == ["enemy", "boxe", "cell", "glass", "status"]


def test_build_query_weights_stage_and_previous_and_truncates_rules():
    rules = " ".join(f"rule{i}" for i in range(100))
    query = build_query(rules, "P0 at (1,2)", "choose_target", "evader 0", rules_words=5)
    assert query.splitlines()[0] == "stage: choose target choose target choose target"
    assert query.splitlines()[1] == "previous result: evader 0 evader 0"
    assert "rule4" in query and "rule5" not in query
    assert query.index("state: P0 at (1,2)") < query.index("rules:")


def test_build_query_without_previous_or_rules():
    query = build_query("", "s", "move", None, stage_repeat=1)
    assert query == "stage: move\nstate: s"


def test_build_query_rejects_bad_weights():
    with pytest.raises(UserError):
        build_query("r", "s", "move", None, stage_repeat=0)


def test_import_does_not_load_torch_or_sentence_transformers():
    code = "import sys, logicdistill.retrieval; print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
