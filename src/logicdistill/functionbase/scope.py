"""Admission of conditions and ``replaces`` (SPEC §8), before any rollout: does the condition parse, does it
read only facts its stages can see, does ``replaces`` name functions of the base at those stages.

A stage can see the task's state facts, ``<kind>_in_force`` for every rule kind, and the yes/no facts of the
results of earlier stages of the same decision. The last are read off the base itself: the boolean fields of
the worked examples' results of the functions serving earlier stages (the examples are checked at admission,
so they are what those functions really return).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from logicdistill.functionbase.condition import ConditionError
from logicdistill.functionbase.function import Function
from logicdistill.functionbase.guard import rule_fact


def result_facts(function: Function) -> set[str]:
    """The yes/no fields the function's worked examples return."""
    names: set[str] = set()
    for example in function.manual.examples:
        if isinstance(example.expected, dict):
            names.update(k for k, v in example.expected.items() if isinstance(v, bool))
    return names


def stage_scopes(
    stages: Sequence[str], functions: Iterable[Function], state_facts: Iterable[str], kinds: Iterable[str]
) -> dict[str, tuple[str, ...]]:
    """Stage -> the fact names visible there, sorted."""
    functions = list(functions)
    seen = set(state_facts) | {rule_fact(k) for k in kinds}
    scopes = {}
    for stage in stages:
        scopes[stage] = tuple(sorted(seen))
        for f in functions:
            if stage in f.manual.stages:
                seen |= result_facts(f)
    return scopes


def condition_problems(
    function: Function, scopes: Mapping[str, Sequence[str]], functions: Mapping[str, Function]
) -> list[str]:
    """One line per problem with the function's condition or ``replaces`` (empty: sound)."""
    problems = []
    try:
        condition = function.condition()
    except ConditionError as err:
        return [f"the condition does not parse: {err}"]
    stages = [s for s in function.manual.stages if s in scopes]
    if condition is not None:
        for stage in stages:
            unknown = sorted(condition.facts() - set(scopes[stage]))
            if unknown:
                problems.append(
                    f"condition {condition.text!r} reads {', '.join(unknown)}, which stage {stage} cannot see"
                    f" (facts there: {', '.join(scopes[stage]) or 'none'})"
                )
                break
    if function.manual.replaces:
        there = sorted({n for n, f in functions.items() if n != function.name and set(f.manual.stages) & set(stages)})
        unknown = [n for n in function.manual.replaces if n not in there]
        if unknown:
            problems.append(
                f"replaces {', '.join(unknown)}, not a function of the base at stage {'/'.join(stages)}"
                f" (functions there: {', '.join(there) or 'none'})"
            )
    return problems


def checked_share(functions: Iterable[Function]) -> tuple[int, int]:
    """(checked, total): how many functions carry a condition."""
    functions = list(functions)
    return sum(f.checked for f in functions), len(functions)
