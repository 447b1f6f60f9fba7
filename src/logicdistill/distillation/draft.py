"""A made-up function base being written for one curriculum example, and the labelled problem it becomes.

A :class:`MadeUpBase` hands out names that say nothing (one vocabulary, never twice), adds functions with a
:class:`Condition` and a "use when" written from it, and finally *settles* the facts: it lists every yes/no
assignment of the facts the conditions name, labels each with the evaluator, and draws a label first, then an
assignment with that label. So every branch of a form is drawn as often as any other (a rare branch, such as
"the rule's function needs a: no but a is yes", gets its share), and no label is ever written by hand.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from logicdistill.distillation.conditions import Ambiguous, Condition, gold
from logicdistill.distillation.phrasing import phrase_condition
from logicdistill.distillation.vocab import Vocabulary

Facts = dict[str, bool]


@dataclass
class Problem:
    """One stage decision over a made-up base: everything the prompt shows, and the form it exercises."""

    form: str
    summary: str
    stage: str
    produces: str
    conditions: dict[str, Condition]
    manuals: dict[str, str]  # name -> "Use when: ..." written from its condition
    state_facts: Facts = field(default_factory=dict)
    result_facts: Facts = field(default_factory=dict)  # facts of an earlier stage's result
    earlier_stage: str = ""
    state_text: str = ""

    @property
    def facts(self) -> Facts:
        return {**self.state_facts, **self.result_facts}

    @property
    def gold(self) -> str | None:
        """The evaluator's label on the facts the prompt states (None: no function fits)."""
        return gold(self.conditions, self.stage, self.facts)


class MadeUpBase:
    def __init__(self, rng: np.random.Generator, vocab: Vocabulary):
        self.rng, self.vocab = rng, vocab
        self.used: set[str] = set()
        self.stage = self.unique(vocab.stage)
        self.conditions: dict[str, Condition] = {}
        self.manuals: dict[str, str] = {}
        self.name_stage: bool | None = None  # True: every manual names its stage (forms that mix stages)
        self.in_results = False  # the deciding facts come from an earlier stage's result

    def unique(self, make: Callable[[np.random.Generator], str]) -> str:
        while True:
            name = make(self.rng)
            if name not in self.used:
                self.used.add(name)
                return name

    def fact(self) -> str:
        return self.unique(self.vocab.fact_name)

    def rule(self) -> str:
        return self.unique(self.vocab.rule_fact)

    def other_stage(self) -> str:
        return self.unique(self.vocab.stage)

    def coin(self, p: float = 0.5) -> bool:
        return bool(self.rng.random() < p)

    def add(
        self,
        literals: list[tuple[str, bool]],
        rank: int = 0,
        lead: str = "",
        tail: str = "",
        stage: str | None = None,
    ) -> str:
        """A new function for ``stage`` (default: this stage) that fits when the literals hold."""
        stage = stage or self.stage
        name = self.unique(self.vocab.function_name)
        condition = Condition(tuple(literals), stage, rank)
        named = True if stage != self.stage else self.name_stage  # another stage's function always says so
        self.conditions[name] = condition
        self.manuals[name] = phrase_condition(self.rng, condition, lead, tail, stage_named=named)
        return name

    def settle(
        self, facts: list[str], keep: Callable[[Facts], bool] | None = None, fit: bool = True
    ) -> tuple[Facts, str | None]:
        """An assignment of ``facts`` drawn label first: labels with a function (``fit``) or none (not ``fit``),
        among assignments that ``keep`` accepts and that have one right answer."""
        by_label: dict[str | None, list[Facts]] = {}
        for bits in itertools.product((False, True), repeat=len(facts)):
            assignment = dict(zip(facts, bits, strict=True))
            if keep is not None and not keep(assignment):
                continue
            try:
                label = gold(self.conditions, self.stage, assignment)
            except Ambiguous:
                continue
            if (label is not None) == fit:
                by_label.setdefault(label, []).append(assignment)
        if not by_label:
            raise ValueError(f"no assignment of {facts} gives {'a fit' if fit else 'no fit'}")
        labels = sorted(by_label, key=str)
        label = labels[int(self.rng.integers(len(labels)))]
        options = by_label[label]
        return options[int(self.rng.integers(len(options)))], label
