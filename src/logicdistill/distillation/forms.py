"""The condition forms of the curriculum: each writes a made-up base that exercises one way manuals decide.

Every function here returns the facts it settled on (``MadeUpBase.settle``: the label comes from the evaluator).
The forms are those a teacher's manuals use, and those a small student was measured to get wrong (it
ignored "a: no" in a rule function's manual, and picked a plain function over the rule in force).
"""

from __future__ import annotations

from collections.abc import Callable

from logicdistill.distillation.draft import Facts, MadeUpBase
from logicdistill.distillation.phrasing import whether_or_not

ORDINALS = ("first", "second", "third", "fourth")


def single(d: MadeUpBase) -> Facts:
    """``a: yes`` / ``a: no`` (maybe beside a function on a fact that is no)."""
    a = d.fact()
    d.add([(a, True)])
    d.add([(a, False)])
    if d.coin():
        b = d.fact()
        d.add([(b, True)], rank=1)
        return d.settle([a, b], keep=lambda f: not f[b])[0]
    return d.settle([a])[0]


def negation(d: MadeUpBase) -> Facts:
    """``when a: no`` in its spellings; mostly the trap: a rule's function needs ``a: no`` and a is yes."""
    a, b = d.fact(), d.fact()
    if d.coin(0.65):
        rule = d.rule()
        d.add([(a, True)])
        d.add([(a, False), (b, True)])
        d.add([(a, False), (b, False)])
        d.add([(rule, True), (a, False)], rank=1, tail=whether_or_not(d.rng, [b]))
        return d.settle([rule, a, b], keep=lambda f: f[rule])[0]
    d.add([(a, False)])
    d.add([(a, True), (b, True)])
    d.add([(a, True), (b, False)])
    return d.settle([a, b])[0]


def conjunction(d: MadeUpBase) -> Facts:
    """``a: yes and b: no`` beside its near misses; sometimes three literals."""
    a, b = d.fact(), d.fact()
    facts = [a, b]
    if d.coin():
        c = d.fact()
        facts.append(c)
        d.add([(a, True), (b, False), (c, True)])
        d.add([(a, True), (b, False), (c, False)])
    else:
        d.add([(a, True), (b, False)])
    d.add([(a, True), (b, True)])
    d.add([(a, False)])
    return d.settle(facts)[0]


def chain(d: MadeUpBase) -> Facts:
    """A priority order: the first check that fits wins, several may fit; maybe a last resort."""
    facts = [d.fact() for _ in range(int(d.rng.integers(2, 4)))]
    style = int(d.rng.integers(3))
    for i, fact in enumerate(facts):
        lead = (f"{ORDINALS[i].capitalize()} choice: ", f"Priority {i + 1} (1 is checked first): ")[style % 2]
        if style == 2:
            lead = "Checked first: " if i == 0 else f"Checked {ORDINALS[i]}, if no earlier check fits: "
        d.add([(fact, d.coin(0.75))], rank=len(facts) - i, lead=lead)
    if d.coin(0.7):
        d.add([], rank=0, lead=("Last resort: ", f"Priority {len(facts) + 1}, the default: ", "Checked last: ")[style])
    return d.settle(facts)[0]


def override(d: MadeUpBase) -> Facts:
    """A function that takes precedence "whatever a says" over plain functions on a."""
    a, b, o = d.fact(), d.fact(), d.fact()
    d.add([(a, True)])
    d.add([(a, False), (b, True)])
    d.add([(a, False), (b, False)])
    named = [a] if d.coin() else [a, b]
    d.add([(o, True)], rank=1, tail=f"{whether_or_not(d.rng, named)}: it takes precedence")
    return d.settle([a, b, o])[0]


def exclusive(d: MadeUpBase) -> Facts:
    """Exactly one of the alternatives is yes; the last may be written as "the others: no"."""
    alts = [d.fact() for _ in range(int(d.rng.integers(3, 5)))]
    note = f"exactly one of {', '.join(alts)} is yes"
    for i, fact in enumerate(alts[:-1]):
        d.add([(fact, True)], tail=note if i == 0 else "")
    if d.coin():
        d.add([(f, False) for f in alts[:-1]])
    else:
        d.add([(alts[-1], True)])
    return d.settle(alts, keep=lambda f: sum(f.values()) == 1)[0]


def rule_in_force(d: MadeUpBase) -> Facts:
    """A new rule's function (``<kind>_in_force: yes``, maybe with more literals) beats the plain ones, which may
    be one function "unless a rule in force replaces it" (a move list) or a split over facts."""
    rule = d.rule()
    if d.coin(0.3):
        d.add([], tail="unless a rule in force replaces it: the plain rules")
        d.add([(rule, True)], rank=1, tail="for as long as the rule lasts" if d.coin() else "")
        facts = [rule]
    else:
        a, b = d.fact(), d.fact()
        d.add([(a, True)])
        d.add([(a, False), (b, True)])
        d.add([(a, False), (b, False)])
        shape = int(d.rng.integers(4))
        literals = [[(rule, True)], [(rule, True), (a, False)], [(rule, True), (a, True)], [(rule, True)]][shape]
        tails = ["for as long as the rule lasts", whether_or_not(d.rng, [b]), "", whether_or_not(d.rng, [a, b])]
        d.add(literals, rank=1, tail=tails[shape])
        facts = [rule, a, b]
    if d.coin(0.3):  # a rule that is not in force
        other = d.rule()
        d.add([(other, True)], rank=1)
        return d.settle([*facts, other], keep=lambda f: not f[other])[0]
    return d.settle(facts)[0]


def earlier_result(d: MadeUpBase) -> Facts:
    """The deciding facts are an earlier stage's result, not the state's."""
    d.in_results = True
    return (conjunction if d.coin() else single)(d)


def multi_stage(d: MadeUpBase) -> Facts:
    """Functions of other stages with the same conditions: only this stage's may be called."""
    d.name_stage = True
    a = d.fact()
    other = d.other_stage()
    d.add([(a, True)])
    d.add([(a, False)])
    d.add([(a, True)], stage=other)
    d.add([(a, False)] if d.coin() else [], stage=other)
    return d.settle([a])[0]


def distractor(d: MadeUpBase) -> Facts:
    """Functions of another task among the candidates: its stage, or facts this state never states."""
    a = d.fact()
    d.add([(a, True)])
    d.add([(a, False)])
    for _ in range(int(d.rng.integers(1, 3))):
        if d.coin():
            d.add([(d.fact(), True)], stage=d.other_stage())
        else:
            d.add([(d.fact(), True)], rank=1)  # a fact of another task: not stated, so no
    return d.settle([a])[0]


def no_fit(d: MadeUpBase) -> Facts:
    """No candidate fits: the answer is ``none``."""
    a, b = d.fact(), d.fact()
    d.add([(a, True)])
    d.add([(a, False), (b, True)])
    if d.coin():
        d.add([(d.rule(), True)], rank=1)
    return d.settle([a, b], fit=False)[0]


FORMS: dict[str, Callable[[MadeUpBase], Facts]] = {
    f.__name__: f
    for f in (
        single,
        negation,
        conjunction,
        chain,
        override,
        exclusive,
        rule_in_force,
        earlier_result,
        multi_stage,
        distractor,
        no_fit,
    )
}
