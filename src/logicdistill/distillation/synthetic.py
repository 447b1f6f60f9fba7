"""Varied synthetic stage decisions, so the student learns to *read manuals*, not this task's few names.

Each example is a made-up stage with 2-4 made-up functions whose "use when" states conditions over yes/no
facts, in the phrasings teachers use: one fact split, a priority chain over two facts, a default function
plus a rule-specific override (the shape of an emergency), and, rarely, no fitting function (``none``).
The deciding facts sit in the state's Facts line or in an earlier stage's result, among irrelevant facts.
"""

from __future__ import annotations

import numpy as np

from logicdistill.agent.prompting import stage_example
from logicdistill.student.examples import SelectionExample

VERBS = (
    "advance assemble balance block bridge capture chase circle climb collect cover cross defend detour dodge "
    "escort explore fetch flank follow gather guard herd hold hunt intercept jump launch lead load mark measure "
    "merge patrol pivot probe pursue push rally reach refuel repair rescue retreat return route scan scout seal "
    "search shadow shield signal sort sprint steer sweep swap trace track trap unload vault wait wander"
).split()
NOUNS = (
    "target route zone corridor gate unit cargo signal perimeter flank exit bridge tower beacon convoy patrol".split()
)
FACTS = (
    "door_open enemy_adjacent fuel_low path_blocked target_visible ally_nearby gate_locked alarm_raised "
    "cargo_loaded bridge_up exit_reachable tower_lit road_icy signal_lost battery_full cell_occupied "
    "corner_reached queue_empty valve_open light_green lane_clear goal_in_reach move_repeated trap_ready "
    "wall_ahead hand_soft dealer_weak stack_high score_tied timer_low"
).split()
RULES = "flood_zone curfew speed_limit quiet_hours toll_road fog_alert no_fly_area convoy_priority".split()
TASKS = (
    "Robots move parcels in a warehouse grid.",
    "Two drones track a boat along a coast.",
    "A card game: draw or stop before passing a total.",
    "Guards patrol a museum with locked rooms.",
    "Trains are routed through a junction network.",
)
STAGES = (
    "plan: the moves allowed now",
    "act: the action to take",
    "assess: facts about the position",
    "decide: the move",
)


def synthetic_examples(n: int, seed: int) -> list[SelectionExample]:
    """``n`` labelled examples, reproducible from ``seed``."""
    rng = np.random.default_rng([seed, 7])
    makers = (_one_fact, _chain, _override, _chain_override, _no_fit)
    weights = np.array([0.2, 0.25, 0.25, 0.25, 0.05])
    return [makers[rng.choice(len(makers), p=weights)](rng) for _ in range(n)]


def _pick(rng: np.random.Generator, pool, k: int) -> list[str]:
    return [str(x) for x in rng.choice(pool, size=k, replace=False)]


def _functions(rng: np.random.Generator, k: int) -> list[tuple[str, str]]:
    """k (name, summary) pairs with distinct first words."""
    verbs, nouns = _pick(rng, VERBS, k), _pick(rng, NOUNS, k)
    return [(f"{v}_{n}", "") for v, n in zip(verbs, nouns, strict=True)]


def _yn(value: bool) -> str:
    return "yes" if value else "no"


def _example(
    rng: np.random.Generator, conditions: list[str], facts: dict[str, bool], gold: int | None
) -> SelectionExample:
    functions = _functions(rng, len(conditions))
    full_stage = str(rng.choice(STAGES))
    stage = full_stage.split(":")[0]
    candidates = [
        (name, f"Use when: Stage {stage}, when {cond}.") for (name, _), cond in zip(functions, conditions, strict=True)
    ]
    order = rng.permutation(len(candidates))
    candidates = [candidates[i] for i in order]
    gold_name = functions[gold][0] if gold is not None else "none"
    for noise in _pick(rng, [f for f in FACTS if f not in facts], int(rng.integers(0, 3))):
        facts[noise] = bool(rng.integers(2))
    # The deciding facts come from the state or from an earlier stage, as in real tasks.
    state_facts, result_facts = {}, {}
    for key, value in facts.items():
        (result_facts if key.endswith("_in_force") is False and rng.random() < 0.5 else state_facts)[key] = value
    results = []
    if result_facts:
        text = "; ".join(f"{k}: {_yn(v)}" for k, v in sorted(result_facts.items()))
        results.append((str(rng.choice(["moves", "assess", "plan", "check"])), text))
    a, b = rng.integers(0, 10, size=2)
    state = f"Step {int(rng.integers(0, 40))}. Unit at ({a},{b})."
    return stage_example(str(rng.choice(TASKS)), full_stage, candidates, state, state_facts, results, gold_name)


def _one_fact(rng: np.random.Generator) -> SelectionExample:
    (a,) = _pick(rng, FACTS, 1)
    value = bool(rng.integers(2))
    return _example(rng, [f"{a}: yes", f"{a}: no"], {a: value}, 0 if value else 1)


def _chain(rng: np.random.Generator) -> SelectionExample:
    a, b = _pick(rng, FACTS, 2)
    va, vb = bool(rng.integers(2)), bool(rng.integers(2))
    conditions = [f"{a}: yes", f"{a}: no and {b}: yes", f"{a}: no and {b}: no"]
    return _example(rng, conditions, {a: va, b: vb}, 0 if va else (1 if vb else 2))


def _override(rng: np.random.Generator) -> SelectionExample:
    (rule,) = _pick(rng, RULES, 1)
    active = bool(rng.integers(2))
    conditions = ["no emergency rule in force restricts which moves may be made", f"{rule}_in_force: yes"]
    facts = {f"{rule}_in_force": True} if active else {}
    return _example(rng, conditions, facts, 1 if active else 0)


def _chain_override(rng: np.random.Generator) -> SelectionExample:
    a, b = _pick(rng, FACTS, 2)
    (rule,) = _pick(rng, RULES, 1)
    va, vb, active = bool(rng.integers(2)), bool(rng.integers(2)), bool(rng.integers(2))
    conditions = [f"{a}: yes", f"{a}: no and {b}: yes", f"{a}: no and {b}: no", f"{rule}_in_force: yes and {a}: no"]
    facts = {a: va, b: vb} | ({f"{rule}_in_force": True} if active else {})
    gold = 0 if va else (3 if active else (1 if vb else 2))
    return _example(rng, conditions, facts, gold)


def _no_fit(rng: np.random.Generator) -> SelectionExample:
    a, b = _pick(rng, FACTS, 2)
    return _example(rng, [f"{a}: yes", f"{a}: no and {b}: yes"], {a: False, b: False}, None)
