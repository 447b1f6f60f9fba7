"""Every student prompt is written here: stage decisions (training traces, synthetic and rule-override
examples, play) and raw-action decisions (student-direct, student-kd and its training examples).

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

NONE = "none"
NONE_MANUAL = "Use when: no function above fits."


def manual_line(function: Function) -> str:
    """What the student reads of a manual: its "use when" (the whole manual is what the retriever indexes)."""
    return f"Use when: {function.manual.when_to_use}"


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
    text = json.dumps(result)
    return text if len(text) <= 60 else text[:57] + "..."


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
    state = f"{state_text.strip()}\nFacts: {facts_text(state_facts)}"
    return make_example(summary, stage, manuals, state, list(results), gold)


ACT_STAGE = "act: the action to take now"


def action_example(
    summary: str, names: list[str], state_text: str, facts: dict[str, bool], gold: str | None = None
) -> SelectionExample:
    manuals = [(n, "an action") for n in names]
    return make_example(summary, ACT_STAGE, manuals, f"{state_text.strip()}\nFacts: {facts_text(facts)}", (), gold)
