"""Student speed and entropy on the real default model: scoring (uncached / cached prefix) vs greedy generation.

Fixed pursuit-like prompts of about 250 tokens with K = 4 candidates sharing one fixed prefix (rules, stage,
manuals) and differing states. Prints ms per decision with ratios to uncached scoring, and the selection
entropy over the K candidates vs the free-generation entropy of the same decision.

    python benchmarks/bench_student.py [--prompts 8] [--gen-tokens 12] [--threads N]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time

import torch

from logicdistill.student.examples import make_example
from logicdistill.student.model import load_student

RULES = (
    "The grid is 10 by 10 with obstacle cells. You control two pursuers; one evader runs away. Each step every "
    "pursuer moves up, down, left, right or stays; pursuers move first, simultaneously, then the evader moves, "
    "seeing the pursuers' new cells. A move into a wall or an obstacle is a stay. When two pursuers would end on "
    "the same cell, the lower-indexed one gets it and the other stays. The evader is captured when a pursuer ends "
    "on its cell or it steps onto a pursuer. Capture it within 60 steps."
)
MANUALS = [
    (
        "chase_nearest",
        "Moves each pursuer one step along a shortest path toward the evader. Use when the evader "
        "is not cornered and no pursuer is adjacent to it.",
    ),
    (
        "cut_off",
        "Sends the pursuer farther from the evader to the cell that blocks the evader's best escape "
        "route. Use when one pursuer is adjacent to the evader and the evader has two or more free moves.",
    ),
    ("corner_trap", "Closes the last free cell next to a cornered evader. Use when the evader is cornered: yes."),
    ("hold_position", "Keeps both pursuers still. Use when the evader is trapped: yes and any move would open a gap."),
]
STATES = [
    f"pursuer 0 at ({a}, {b}); pursuer 1 at ({b}, {c}); evader at ({c}, {a}); step {s} of 60\n"
    f"evader cornered: {x}. pursuer adjacent: {y}. evader trapped: no. free moves of the evader: {m}"
    for a, b, c, s, x, y, m in [
        (1, 2, 7, 3, "no", "no", 4), (4, 5, 8, 9, "yes", "no", 1), (0, 9, 3, 12, "no", "yes", 3),
        (6, 6, 2, 20, "no", "no", 2), (2, 8, 5, 31, "yes", "yes", 1), (7, 1, 9, 40, "no", "yes", 2),
        (3, 3, 0, 47, "no", "no", 4), (9, 4, 6, 55, "yes", "no", 0),
    ]
]  # fmt: skip


def timed(fn, repeats: int) -> float:
    """Median wall time in ms of ``fn()`` over ``repeats`` runs (after one warm-up run)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=8, help="distinct states (at most 8)")
    parser.add_argument("--gen-tokens", type=int, default=12, help="tokens generated for the free-generation call")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--model", default="default")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    start = time.perf_counter()
    student = load_student(args.model)
    load_s = time.perf_counter() - start
    examples = [make_example(RULES, "stage 1: choose the plan", MANUALS, s) for s in STATES[: args.prompts]]
    n_tokens = statistics.mean(len(student.prompt_token_ids(e)) for e in examples)
    n = len(examples)

    uncached = timed(lambda: [student.select(e, use_cache=False) for e in examples], args.repeats) / n
    student.select(examples[0])  # fill the prefix cache once; reuse is what is timed
    cached1 = timed(lambda: [student.select(e) for e in examples], args.repeats) / n
    cached8 = timed(lambda: student.select_batch(examples, batch_size=8), args.repeats) / n
    gen_ms = timed(lambda: student.generate(examples[0], args.gen_tokens), max(1, args.repeats - 1))

    selections = [student.select(e) for e in examples]
    generations = [student.generate_with_entropy(e, args.gen_tokens) for e in examples]
    sel_bits = statistics.mean(s.entropy_bits for s in selections)
    gen_bits = statistics.mean(bits for _, bits in generations)
    gen_len = statistics.mean(len(student.tokenizer(text)["input_ids"]) for text, _ in generations)

    print(f"model {student.name}: loaded in {load_s:.1f} s; {n} prompts of {n_tokens:.0f} tokens, K = {len(MANUALS)}")
    print(f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}\n")
    print("| mode | ms per decision | vs uncached scoring |\n|---|---:|---:|")
    for label, ms in [
        ("scoring, no cache, batch 1", uncached),
        ("scoring, cached prefix, batch 1", cached1),
        ("scoring, cached prefix, batch 8", cached8),
        (f"greedy generation, {args.gen_tokens} new tokens", gen_ms),
    ]:
        print(f"| {label} | {ms:,.0f} | {ms / uncached:.2f}x |")
    vocab = len(student.tokenizer)
    print("\n| entropy (bits, mean over prompts) | measured | upper bound |\n|---|---:|---:|")
    print(f"| selection over K = {len(MANUALS)} candidates | {sel_bits:.2f} | {math.log2(len(MANUALS)):.2f} |")
    print(
        f"| free generation, {args.gen_tokens} tokens (mean answer {gen_len:.1f} tokens) | {gen_bits:.2f} | "
        f"{args.gen_tokens * math.log2(vocab):.0f} |"
    )
    print(f"\nfree generation / selection entropy: {gen_bits / max(sel_bits, 1e-9):.1f}x")
    print("sample generation:", repr(generations[0][0]))


if __name__ == "__main__":
    main()
