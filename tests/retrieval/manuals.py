"""A small synthetic function base for grid pursuit: 12 manuals with distinct vocabulary, and paraphrases.

Each paraphrase restates a manual's "when to use" in other words (sharing a few content words, as a real
query built from the stage and state would), so a working retriever ranks that manual first.
"""

from __future__ import annotations

MANUALS: dict[str, str] = {
    "shortest_path_step": (
        "shortest_path_step(pursuer, target) -> action. What it does: returns the first move along a shortest "
        "path from the pursuer's cell to the target cell, found by breadth-first search over free cells. "
        "When to use: a pursuer should close the distance to its target as quickly as possible. "
        "Example: shortest_path_step((0,0), (0,3)) -> 'right'."
    ),
    "nearest_evader": (
        "nearest_evader(pursuer, evaders) -> int. What it does: picks the index of the evader closest to the "
        "given pursuer by maze distance. When to use: several evaders remain and you must decide which one "
        "to chase first. Example: nearest_evader((1,1), [(5,5),(1,3)]) -> 1."
    ),
    "intercept_cell": (
        "intercept_cell(evader, pursuers) -> cell. What it does: finds the cell on the evader's escape route "
        "that a pursuer reaches before the evader does. When to use: the evader is fleeing and a pursuer "
        "should head it off instead of following behind. Example: intercept_cell((4,4), [...]) -> (4,6)."
    ),
    "avoid_danger_zone": (
        "avoid_danger_zone(moves, zone) -> moves. What it does: removes every move that would enter a "
        "forbidden danger region announced by an emergency rule. When to use: a hazardous area is off limits "
        "to pursuers. Example: avoid_danger_zone(['up','left'], {(2,3)}) -> ['left']."
    ),
    "resolve_collision": (
        "resolve_collision(moves) -> moves. What it does: detects two pursuers heading to the same square "
        "and makes the higher-indexed one wait. When to use: both pursuers would step onto one square at "
        "once. Example: resolve_collision({'p0': (2,2), 'p1': (2,2)}) -> p1 stays."
    ),
    "corner_trap": (
        "corner_trap(evader, grid) -> cell. What it does: chooses a dead end or corner toward which to "
        "herd the evader, where it has the fewest exits. When to use: the quarry keeps dodging in open "
        "ground and must be cornered. Example: corner_trap((5,5), grid) -> (0,9)."
    ),
    "wait_in_place": (
        "wait_in_place(pursuer) -> action. What it does: returns 'stay' for a pursuer that is slowed and "
        "may only move every other turn. When to use: a slowed pursuer is on its resting turn. "
        "Example: wait_in_place(1) -> 'stay'."
    ),
    "predict_sprint": (
        "predict_sprint(evader, pursuers) -> cells. What it does: lists the cells a sprinting evader can reach "
        "with two steps per turn. When to use: an evader sprint emergency is active and its double-speed "
        "reach matters. Example: predict_sprint((3,3), ...) -> [(3,5), (5,3), ...]."
    ),
    "free_neighbors": (
        "free_neighbors(cell) -> cells. What it does: lists the adjacent cells that are not walls, obstacles "
        "or outside the board. When to use: you need the legal options around a square. "
        "Example: free_neighbors((0,0)) -> [(0,1), (1,0)]."
    ),
    "manhattan_distance": (
        "manhattan_distance(a, b) -> int. What it does: sums the absolute row and column differences, ignoring "
        "obstacles. When to use: a cheap estimate of how far apart two positions are is enough. "
        "Example: manhattan_distance((0,0), (2,3)) -> 5."
    ),
    "assign_roles": (
        "assign_roles(pursuers, evader) -> roles. What it does: gives one pursuer the chaser role and the other "
        "the blocker role based on their positions. When to use: the team should split duties so that one "
        "chases while its partner guards. Example: assign_roles(...) -> {'p0': 'chaser', 'p1': 'blocker'}."
    ),
    "combine_actions": (
        "combine_actions(a0, a1) -> joint action. What it does: merges the individual moves of pursuer 0 and "
        "pursuer 1 into the joint action index the environment expects. When to use: the final stage, once "
        "every pursuer's move is known. Example: combine_actions('up', 'stay') -> 4."
    ),
}

# (query paraphrasing a manual's "when to use", gold function name)
PARAPHRASES: list[tuple[str, str]] = [
    ("reduce the distance to the target quickly, move along the shortest path", "shortest_path_step"),
    ("decide which of the remaining evaders to chase first", "nearest_evader"),
    ("the evader flees; head it off at its escape route rather than follow", "intercept_cell"),
    ("an emergency says this hazardous area is forbidden, keep pursuers out", "avoid_danger_zone"),
    ("two pursuers would land on the same square", "resolve_collision"),
    ("quarry dodging in open ground, herd it into a corner", "corner_trap"),
    ("the slowed pursuer must rest this turn", "wait_in_place"),
    ("evader sprint is active: where can the double-speed evader reach", "predict_sprint"),
    ("what are the legal adjacent options around this square", "free_neighbors"),
    ("cheap estimate of how far apart two positions are", "manhattan_distance"),
    ("split duties: one chases while the partner guards", "assign_roles"),
    ("final stage: merge each pursuer's move into the joint action", "combine_actions"),
]
