"""The selection curriculum: made-up function bases whose manuals must be *read* to choose, form by form.

One adapter should serve any task and any new rule without retraining, so the student must learn what a
"use when" means rather than which of a few names a task calls. Each example is a made-up stage whose 2-5
candidates' manuals state conditions over yes/no facts in one of the condition forms of forms.py, named
from a vocabulary that says nothing (vocab.py), worded in the spellings teachers use (phrasing.py), and
labelled by the one evaluator (conditions.py). Every example carries its ``form``, so held-out scoring
reports accuracy per form. ``bases="heldout"`` draws names and facts from the other half of every word pool:
held-out bases share no function, fact, rule or stage name with training bases. Examples are spread evenly
over the forms asked for, and reproducible from the seed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from logicdistill.agent.prompting import facts_text, stage_example, stage_label
from logicdistill.distillation.draft import MadeUpBase, Problem
from logicdistill.distillation.forms import FORMS
from logicdistill.distillation.vocab import VOCABULARIES, Vocabulary
from logicdistill.student.examples import SelectionExample

BASES = tuple(VOCABULARIES)  # "train", "heldout"
SETTINGS = (
    "A made-up task: {verb} the {noun} while the {noun2} stays {quality}.",
    "Units {verb} a {noun} across a grid of {noun2}s.",
    "A game of turns: {verb} or wait, one {noun} at a time.",
    "Keep every {noun} {quality}; {verb} the {noun2} when told.",
)


@dataclass(frozen=True)
class Curriculum:
    """Labelled selection examples over made-up bases; ``forms`` are those drawn unless a call names others."""

    forms: tuple[str, ...] = tuple(FORMS)
    noise_facts: int = 2  # at most this many irrelevant facts beside the deciding ones

    def __post_init__(self) -> None:
        unknown = [f for f in self.forms if f not in FORMS]
        if unknown:
            raise ValueError(f"unknown condition forms {unknown}; known: {', '.join(FORMS)}")

    def problems(self, n: int, seed: int, forms: Sequence[str] | None = None, bases: str = "train") -> list[Problem]:
        """``n`` problems, the forms in equal shares (the first ``n % len(forms)`` one more), order shuffled."""
        forms = tuple(forms) if forms is not None else self.forms
        if bases not in VOCABULARIES:
            raise ValueError(f"bases must be one of {BASES}, got {bases!r}")
        if not forms or any(f not in FORMS for f in forms):
            raise ValueError(f"forms must be a non-empty subset of: {', '.join(FORMS)}")
        rng = np.random.default_rng([seed, 23, BASES.index(bases)])
        schedule = [forms[i % len(forms)] for i in range(n)]
        order = rng.permutation(n)
        return [self._problem(rng, VOCABULARIES[bases], schedule[i]) for i in order]

    def examples(
        self, n: int, seed: int, forms: Sequence[str] | None = None, bases: str = "train"
    ) -> list[SelectionExample]:
        """``n`` student prompts with their label and form (see :meth:`problems`)."""
        problems = self.problems(n, seed, forms, bases)
        rng = np.random.default_rng([seed, 29, BASES.index(bases)])
        return [render(p, rng) for p in problems]

    def _problem(self, rng: np.random.Generator, vocab: Vocabulary, form: str) -> Problem:
        d = MadeUpBase(rng, vocab)
        deciding = FORMS[form](d)
        noise = {d.fact(): d.coin() for _ in range(int(rng.integers(0, self.noise_facts + 1)))}
        stated = {k: v for k, v in deciding.items() if v or not k.endswith("_in_force") or d.coin(0.4)}
        state, result = (noise, stated) if d.in_results else ({**stated, **noise}, {})
        if not d.in_results and d.coin(0.2):  # an earlier result that decides nothing
            result = {d.fact(): d.coin()}
        words = {
            "verb": rng.choice(vocab.verbs),
            "noun": rng.choice(vocab.nouns),
            "noun2": rng.choice(vocab.nouns),
            "quality": rng.choice(vocab.qualities),
        }
        summary = str(rng.choice(SETTINGS)).format(**words)
        return Problem(
            form=form,
            summary=summary,
            stage=d.stage,
            produces=f"the {words['noun']} to {words['verb']}",
            conditions=d.conditions,
            manuals=d.manuals,
            state_facts=state,
            result_facts=result,
            earlier_stage=d.other_stage() if result else "",
            state_text=f"Step {int(rng.integers(0, 40))}. {words['noun2']} at ({rng.integers(9)}, {rng.integers(9)}).",
        )


def render(problem: Problem, rng: np.random.Generator) -> SelectionExample:
    """The student prompt of a problem, candidates in random order, labelled by the evaluator."""
    names = [str(n) for n in rng.permutation(list(problem.manuals))]
    results = [(problem.earlier_stage, facts_text(problem.result_facts))] if problem.result_facts else []
    example = stage_example(
        problem.summary,
        stage_label(problem.stage, problem.produces),
        [(n, problem.manuals[n]) for n in names],
        problem.state_text,
        problem.state_facts,
        results,
        problem.gold or "none",
    )
    return dataclasses.replace(example, form=problem.form)
