"""Every student prompt is written here: stage decisions (training traces, synthetic and rule-override
examples, play) and raw-action decisions (student-direct, student-kd and its training examples), and the
retrieval query built from the same state. Nothing else writes prompt text, so what the student is trained on
is what it reads in play (tests/agent/test_prompting.py checks one state both ways).

Prompt = a one-line task summary, the stage, the candidate manuals (name + "does" + "use when"), then the
varying part: the state text, the yes/no facts, and the earlier stage results as facts. Short on purpose
(measured: halving the prompt halves training time; yes/no facts are what a small model learns).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from logicdistill.agent.stages import facts_of
from logicdistill.functionbase.function import Function
from logicdistill.student.examples import SelectionExample, make_example
from logicdistill.text import shorten

NONE = "none"
NONE_MANUAL = "Use when: no function above fits."  # = use_when("no function above fits.")


def use_when(condition_text: str) -> str:
    """A candidate's line in the prompt: its "use when" text."""
    return f"Use when: {condition_text}"


def manual_line(function: Function) -> str:
    """What the student reads of a manual: its "use when" (the whole manual is what the retriever indexes)."""
    return use_when(function.manual.when_to_use)


def stage_label(name: str, produces: str) -> str:
    """How a prompt names the stage being decided."""
    return f"{name}: {produces}"


def state_block(state_text: str, facts: dict[str, bool]) -> str:
    """The state as a prompt shows it: its text, then its yes/no facts."""
    return f"{state_text.strip()}\nFacts: {facts_text(facts)}"


def query_state(state_text: str, facts: dict[str, bool]) -> str:
    """The state as the retrieval query holds it (the student never reads it; the shipped runs were trained
    with retrieval over exactly this text, lowercase ``facts:`` included, so it stays as it is)."""
    return f"{state_text}\nfacts: {facts_text(facts)}"


def facts_text(facts: dict[str, bool]) -> str:
    return "; ".join(f"{k}: {'yes' if v else 'no'}" for k, v in sorted(facts.items())) or "none"


def parse_facts(text: str) -> dict[str, bool]:
    """The facts of a :func:`facts_text` line (an earlier result as the prompt shows it); {} for other text."""
    facts = {}
    for part in text.split("; "):
        name, sep, value = part.rpartition(": ")
        if sep and value in ("yes", "no") and name:
            facts[name] = value == "yes"
    return facts


def result_text(result: Any) -> str:
    """An earlier stage's result as the student reads it: its yes/no facts, else a short JSON."""
    facts = facts_of(result)
    if facts:
        return facts_text(facts)
    return shorten(json.dumps(result), 60)


def stage_example(
    summary: str,
    stage: str,
    candidates: Sequence[tuple[str, str]],
    state_text: str,
    state_facts: dict[str, bool],
    results: Sequence[tuple[str, str]],
    gold: str | None = None,
) -> SelectionExample:
    """A SelectionExample for one stage; ``candidates`` are ``(name, manual line)`` in prompt order, plus none.

    ``results`` are earlier stages as ``(stage, result_text(result))``.
    """
    manuals = [*candidates, (NONE, NONE_MANUAL)]
    return make_example(summary, stage, manuals, state_block(state_text, state_facts), list(results), gold)


ACT_STAGE = "act: the action to take now"


def action_example(
    summary: str, names: list[str], state_text: str, facts: dict[str, bool], gold: str | None = None
) -> SelectionExample:
    manuals = [(n, "an action") for n in names]
    return make_example(summary, ACT_STAGE, manuals, state_block(state_text, facts), (), gold)
