"""Synthetic selection examples for the student tests: the state says door yes/no, the manuals say which to pick."""

from __future__ import annotations

import random

from logicdistill.student.examples import SelectionExample, make_example

RULES = "Pursuers move first, then the evader moves."
MANUALS = {
    "open_door": "use when the door is yes.",
    "wait": "use when the door is no.",
    "chase_nearest": "move each pursuer one step along a shortest path to the nearest evader.",
}


def door_examples(n: int, seed: int, shuffle: bool = False) -> list[SelectionExample]:
    """``n`` examples with noise facts; gold is open_door iff the door is yes. The candidate order is fixed
    (as at inference with a cached prefix) unless ``shuffle``: a random 2-layer model does not learn through
    shuffled manuals in a few seconds, a pretrained one does."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        door = rng.choice(["yes", "no"])
        names = list(MANUALS)
        if shuffle:
            rng.shuffle(names)
        state = f"door: {door}. light: {rng.choice(['on', 'off'])}. step {rng.randint(1, 60)}"
        gold = "open_door" if door == "yes" else "wait"
        out.append(make_example(RULES, "choose the move", [(k, MANUALS[k]) for k in names], state, gold=gold))
    return out
