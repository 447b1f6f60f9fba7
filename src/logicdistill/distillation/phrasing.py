"""How teachers write a condition in a "use when": several surface forms of the same meaning.

The recorded teachers write ``Stage choose, when a: no and b: yes.``, ``a: no (a gloss).``, ``Stage moves,
when r_in_force: yes and a: no (whether or not b).``, ``r_in_force: yes (whatever a and b say: ...)``,
``Stage target, every step, whether ... or ...``. A live teacher will also write ``a is no``, ``not a``,
``only if``. The curriculum draws among these at random, so the student learns the meaning, not one spelling.
Only the wording is random here; what a text means is fixed by its :class:`Condition` (conditions.py).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from logicdistill.agent.prompting import use_when
from logicdistill.distillation.conditions import Condition

GLOSSES = ("(see the facts)", "(as the facts state it)", "(as stated)", "")


def _one(rng: np.random.Generator, options: Sequence[str]) -> str:
    return str(options[int(rng.integers(len(options)))])


def literal(rng: np.random.Generator, fact: str, value: bool) -> str:
    """``fact: yes``, ``fact is yes``, ``fact`` / ``fact: no``, ``fact is no``, ``not fact``."""
    if value:
        return _one(rng, (f"{fact}: yes", f"{fact}: yes", f"{fact} is yes", fact))
    return _one(rng, (f"{fact}: no", f"{fact}: no", f"{fact} is no", f"not {fact}"))


def conjunction(rng: np.random.Generator, literals: Sequence[tuple[str, bool]]) -> str:
    """The literals joined by "and" (one spelling per text, as a writer keeps one)."""
    if not literals:
        return _one(rng, ("every step", "always", "in every case"))
    joiner = _one(rng, (" and ", " and ", ", and ", " and also "))
    return joiner.join(literal(rng, f, v) for f, v in literals)


def phrase_condition(
    rng: np.random.Generator,
    condition: Condition,
    lead: str = "",
    tail: str = "",
    stage_named: bool | None = None,
) -> str:
    """The whole "use when" line: ``Use when: [lead][Stage S, when ]<conjunction>[ tail].``

    ``lead`` (a priority, say) and ``tail`` (``whether or not x``, ``whatever x says``) carry what the
    literals do not; ``stage_named`` None names the stage most of the time, as teachers do."""
    body = conjunction(rng, condition.literals)
    if condition.literals and rng.random() < 0.3:
        body = _one(rng, ("only if ", "if ", "when ")) + body
    if tail:
        body += f" ({tail})" if rng.random() < 0.6 else f", {tail}"
    gloss = _one(rng, GLOSSES) if rng.random() < 0.25 else ""
    if gloss:
        body += f" {gloss}"
    named = rng.random() < 0.85 if stage_named is None else stage_named
    if condition.stage is not None and named:
        when = "" if body.startswith(("only if", "if ", "when ")) or not condition.literals else "when "
        body = _one(rng, (f"Stage {condition.stage}, {when}", f"At stage {condition.stage}, {when}")) + body
    return use_when(f"{lead}{body}.")


def whether_or_not(rng: np.random.Generator, facts: Sequence[str]) -> str:
    """A tail saying the facts do not matter to this function."""
    names = " and ".join(facts)
    if len(facts) == 1:
        return _one(rng, (f"whether or not {names}", f"whatever {names} says", f"{names} does not matter"))
    return _one(rng, (f"whatever {names} say", f"whether or not {names}"))
