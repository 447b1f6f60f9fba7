"""Rule-override examples on real task states: the shape of an emergency, without any real emergency.

An emergency adds a function whose manual says "use me while rule R is in force" beside the plain function
the student was trained to pick, and states ``R_in_force: yes`` among the facts. Synthetic tasks teach that
pattern in made-up settings, but a student trained only on plain task traces also learns "at this stage, in
this task, the answer is always the plain function". These examples put a made-up override function (a
made-up name, a made-up rule, a manual in one of several phrasings) among the real candidates of a real
trace, with the rule in force or not, and label them by reading the manual's condition. No rule or function
of the task's real emergencies is used (tests check the pools), so an emergency at play time stays unseen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from logicdistill.agent.candidates import CandidateBuilder
from logicdistill.agent.prompting import manual_line, parse_facts, stage_example, stage_label, use_when
from logicdistill.distillation.dataset import retrieved_with_gold
from logicdistill.distillation.traces import StageTrace
from logicdistill.student.examples import SelectionExample

# Made-up rules: none of them is an emergency of a shipped task.
RULES = (
    "flood_warning curfew speed_limit quiet_hours toll_road fog_alert no_fly_area convoy_priority frozen_cells "
    "one_way_rows short_clock blind_spot low_battery storm_warning locked_doors narrow_bridge"
).split()
VERBS = "avoid bypass respect skirt obey hold heed guard yield route steer honour".split()
NOUNS = "flood curfew limit hours toll fog airspace convoy ice lanes clock spot battery storm doors bridge".split()

Facts = dict[str, bool]


@dataclass(frozen=True)
class Override:
    """A manual phrasing: ``use when`` text for rule ``{r}`` over facts ``{a}``, ``{b}`` known at the stage (drawn
    from the trace itself, so no task's fact names are written here), and when it applies given the facts."""

    when: str
    applies: Callable[[str, Facts, str, str], bool]
    needs: int = 0  # how many known facts the phrasing names


def _in_force(rule: str, facts: Facts) -> bool:
    return facts.get(f"{rule}_in_force", False)


# The phrasings teachers use for a rule-specific function; stage names are filled in from the task.
OVERRIDES = (
    Override("{r}_in_force: yes.", lambda r, f, a, b: _in_force(r, f)),
    Override("{r}_in_force: yes, for as long as the rule lasts.", lambda r, f, a, b: _in_force(r, f)),
    Override(
        "{r}_in_force: yes and {a}: no (whether or not {b}).",
        lambda r, f, a, b: _in_force(r, f) and not f.get(a, False),
        2,
    ),
    Override("{r}_in_force: yes and {a}: no.", lambda r, f, a, b: _in_force(r, f) and not f.get(a, False), 1),
    Override(
        "{r}_in_force: yes (whatever the other facts say: it handles them under the new rule).",
        lambda r, f, a, b: _in_force(r, f),
    ),
    Override("{r}_in_force: yes and {a}: yes.", lambda r, f, a, b: _in_force(r, f) and f.get(a, False), 1),
)


def override_examples(builder: CandidateBuilder, traces: list[StageTrace], n: int, seed: int) -> list[SelectionExample]:
    """``n`` examples: a real trace's candidates plus one made-up override function, the rule in force or not."""
    rng = np.random.default_rng([seed, 19])
    if not traces:
        return []
    return [_one(builder, traces[int(rng.integers(len(traces)))], rng) for _ in range(n)]


def _one(builder: CandidateBuilder, trace: StageTrace, rng: np.random.Generator) -> SelectionExample:
    stage = builder.stage_of(trace.stage)
    names, _ = retrieved_with_gold(builder, trace)
    rule = str(rng.choice(RULES))
    roll = rng.random()
    with_override = roll < 0.85  # the rest: the rule is in force but no candidate is about it
    in_force = roll < 0.55 or not with_override
    facts = dict(trace.state_facts) | ({f"{rule}_in_force": True} if in_force else {})
    candidates = [(n, manual_line(builder.functions[n])) for n in names]
    gold = trace.gold
    if with_override:
        seen = dict(facts)
        for _, text in trace.results:
            seen |= parse_facts(text)
        known = sorted(k for k in seen if not k.endswith("_in_force"))
        fitting = [o for o in OVERRIDES if o.needs <= len(known)]
        override = fitting[int(rng.integers(len(fitting)))]
        a, b = ([str(x) for x in rng.permutation(known)[:2]] + ["", ""])[:2]
        name = f"{rng.choice(VERBS)}_{rng.choice(NOUNS)}"
        while name in names:
            name += "_rule"
        if override.applies(rule, seen, a, b):
            gold = name
        if len(candidates) >= builder.k:  # keep K candidates, as retrieval would
            drop = [i for i, (n, _) in enumerate(candidates) if n != trace.gold]
            candidates.pop(int(rng.choice(drop)))
        when = f"Stage {stage.name}, when " + override.when.format(r=rule, a=a, b=b)
        candidates.append((name, use_when(when)))
    order = rng.permutation(len(candidates))
    candidates = [candidates[i] for i in order]
    return stage_example(
        builder.summary,
        stage_label(stage.name, stage.produces),
        candidates,
        trace.state_text,
        facts,
        trace.results,
        gold,
    )
