"""What conditions say at one stage: which candidates hold, are false, are unchecked or replaced (SPEC §8).

Shared by admission (the scope a condition may read, agreement with the teacher's program) and by the
policies that use conditions (``ld-guard``, ``manual-match``) and the ``false_condition_rate`` metric.

Facts a stage sees: the task's state facts, the yes/no fields of earlier stages' results, and
``<kind>_in_force`` for every rule kind, false until that rule arrives (``with_rule_facts`` fills those in,
since a task's state names only the rules in force).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from logicdistill.functionbase.condition import ConditionError
from logicdistill.functionbase.function import Function


def rule_fact(kind: str) -> str:
    return f"{kind}_in_force"


def rule_kinds(functions: Iterable[Function], declared: Iterable[str] = ()) -> tuple[str, ...]:
    """Every rule kind known here: the task's declared ones and those the base's functions were written for."""
    kinds = dict.fromkeys(declared)
    kinds.update(dict.fromkeys(f.manual.rule for f in functions if f.manual.rule))
    return tuple(kinds)


def with_rule_facts(facts: Mapping[str, bool], kinds: Iterable[str]) -> dict[str, bool]:
    """``facts`` plus ``<kind>_in_force: False`` for every rule kind not in force."""
    return {rule_fact(k): False for k in kinds} | dict(facts)


def replaced_at(functions: Mapping[str, Function], stage: str, facts: Mapping[str, bool]) -> dict[str, str]:
    """Function -> the function that replaces it at ``stage`` now (its rule is in force and it serves the stage)."""
    out: dict[str, str] = {}
    for f in functions.values():
        if f.manual.replaces and f.manual.rule and stage in f.manual.stages and facts.get(rule_fact(f.manual.rule)):
            for name in f.manual.replaces:
                out.setdefault(name, f.name)
    return out


def evaluate(function: Function, facts: Mapping[str, bool]) -> bool | None:
    """The function's condition on these facts: None when unchecked (no condition, a fact missing, or a
    condition that does not parse: admission refuses those, so one only reaches here from an old base)."""
    try:
        condition = function.condition()
    except ConditionError:
        return None
    return None if condition is None else condition.evaluate(facts)


@dataclass(frozen=True)
class Verdicts:
    """The candidates of one stage sorted by what their conditions say, each list in the order given."""

    holds: tuple[str, ...]  # checked, and the condition is true
    unchecked: tuple[str, ...]  # no condition, or one whose facts are not all known here
    false: tuple[str, ...]  # checked, and the condition is false
    replaced: tuple[str, ...]  # taken out by a new rule's function in force

    @property
    def allowed(self) -> tuple[str, ...]:
        """The candidates a guarded choice may take: those that hold or are unchecked."""
        return tuple(n for n in self.order if n in self.holds or n in self.unchecked)

    @property
    def none_allowed(self) -> bool:
        """``none`` is a fair answer only when no checked condition holds."""
        return not self.holds

    order: tuple[str, ...] = ()


def judge(functions: Mapping[str, Function], stage: str, names: Sequence[str], facts: Mapping[str, bool]) -> Verdicts:
    """Sort ``names`` (candidates at ``stage``) by their conditions on ``facts`` (rule facts filled in)."""
    gone = replaced_at(functions, stage, facts)
    holds, unchecked, false, replaced = [], [], [], []
    for name in names:
        function = functions.get(name)
        if function is None:
            continue
        if name in gone:
            replaced.append(name)
            continue
        value = evaluate(function, facts)
        (unchecked if value is None else holds if value else false).append(name)
    return Verdicts(tuple(holds), tuple(unchecked), tuple(false), tuple(replaced), tuple(names))


def judge_stage(
    functions: Mapping[str, Function],
    stage: str,
    names: Sequence[str],
    facts: Mapping[str, bool],
    declared: Iterable[str] = (),
) -> Verdicts:
    """``judge`` on a stage's facts as the state gives them: every known rule kind's fact filled in (the task's
    ``declared`` kinds and those the base's functions were written for)."""
    return judge(functions, stage, names, with_rule_facts(facts, rule_kinds(functions.values(), declared)))
