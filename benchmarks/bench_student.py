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
from logicdistill.student.loading import load_student

RULES = (
    "Two pursuers chase one evader on a 10 by 10 grid. Each step every pursuer moves up, down, left, right or "
    "stays; then the evader moves. The evader is captured when a pursuer ends on its cell."
)
MANUALS = [
    ("chase_nearest", "Moves each pursuer one step toward the evader. Use when the evader is not cornered."),
    ("cut_off", "Blocks the evader's best escape route. Use when a pursuer is adjacent: yes."),
    ("corner_trap", "Closes the last free cell next to the evader. Use when the evader is cornered: yes."),
    ("hold_position", "Keeps both pursuers still. Use when the evader is trapped: yes."),
]
STATES = [
    f"pursuer 0 at ({a}, {b}); pursuer 1 at ({b}, {c}); evader at ({c}, {a}); step {s}\n"
    f"evader cornered: {x}. pursuer adjacent: {y}. evader trapped: no."
    for a, b, c, s, x, y, m in [
        (1, 2, 7, 3, "no", "no", 4), (4, 5, 8, 9, "yes", "no", 1), (0, 9, 3, 12, "no", "yes", 3),
        (6, 6, 2, 20, "no", "no", 2), (2, 8, 5, 31, "yes", "yes", 1), (7, 1, 9, 40, "no", "yes", 2),
        (3, 3, 0, 47, "no", "no", 4), (9, 4, 6, 55, "yes", "no", 0),
    ]
]  # fmt: skip


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

    student.select(examples[0])  # fill the prefix cache once; its reuse is what "cached" times
    modes = {
        "scoring, no cache, batch 1": lambda: [student.select(e, use_cache=False) for e in examples],
        "scoring, cached prefix, batch 1": lambda: [student.select(e) for e in examples],
        "scoring, cached prefix, batch 8": lambda: student.select_batch(examples, batch_size=8),
        f"greedy generation, {args.gen_tokens} new tokens, no cache": lambda: [
            student.generate(e, args.gen_tokens) for e in examples[:2]
        ],
        f"greedy generation, {args.gen_tokens} new tokens, cached prefix": lambda: [
            student.generate(e, args.gen_tokens, use_cache=True) for e in examples[:2]
        ],
    }
    per_call = {label: (n if "scoring" in label else 2) for label in modes}
    # Round-robin over the modes so that a busy shared machine slows them all alike; report medians.
    times: dict[str, list[float]] = {label: [] for label in modes}
    for _ in range(args.repeats):
        for label, fn in modes.items():
            start = time.perf_counter()
            fn()
            times[label].append((time.perf_counter() - start) * 1000 / per_call[label])
    ms = {label: statistics.median(values) for label, values in times.items()}

    selections = [student.select(e) for e in examples]
    generations = [student.generate_with_entropy(e, args.gen_tokens) for e in examples]
    sel_bits = statistics.mean(s.entropy_bits for s in selections)
    gen_bits = statistics.mean(bits for _, bits in generations)
    gen_len = statistics.mean(len(student.tokenizer(text)["input_ids"]) for text, _ in generations)

    print(f"model {student.name}: loaded in {load_s:.1f} s; {n} prompts of {n_tokens:.0f} tokens, K = {len(MANUALS)}")
    print(f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}\n")
    print("| mode | ms per decision | vs uncached scoring |\n|---|---:|---:|")
    base = ms["scoring, no cache, batch 1"]
    for label, value in ms.items():
        print(f"| {label} | {value:,.0f} | {value / base:.2f}x |")
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
