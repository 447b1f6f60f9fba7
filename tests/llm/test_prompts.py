"""Prompt templates: strict $placeholder substitution from a folder."""

from __future__ import annotations

import pytest

from logicdistill.llm.prompts import PROMPTS_DIR
from logicdistill.teacher import load_prompt, render_prompt


def test_render_fills_every_placeholder(tmp_path):
    (tmp_path / "greet.txt").write_text("Rules: $rules\nState: ${state}; cost $$5; folder=$folder\n", encoding="utf-8")
    text = render_prompt("greet", tmp_path, rules="catch it", state=3, folder="f", unused="ignored")
    assert text == "Rules: catch it\nState: 3; cost $5; folder=f\n"


def test_missing_value_raises_key_error_naming_it(tmp_path):
    (tmp_path / "greet.txt").write_text("Rules: $rules, stage $stage", encoding="utf-8")
    with pytest.raises(KeyError, match=r"\$stage"):
        render_prompt("greet", tmp_path, rules="catch it")


def test_unknown_or_unsafe_names(tmp_path):
    (tmp_path / "one.txt").write_text("x", encoding="utf-8")
    with pytest.raises(FileNotFoundError, match=r"available: one"):
        load_prompt("two", tmp_path)
    with pytest.raises(ValueError, match="plain file stem"):
        load_prompt("../one", tmp_path)
    assert (PROMPTS_DIR / "README.md").is_file()
