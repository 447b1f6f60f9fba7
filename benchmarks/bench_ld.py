"""LD student benchmark on the real default model: distillation time, decisions per second and entropy.

Same model (with the run's adapter), same pursuit stage prompts for every mode:
- select (cached prefix): scoring the K candidates in one pass over the varying part (what `ld` does);
- select (no cache): the same scoring over the whole prompt;
- generate: greedy free generation of the function name (what `ld-generate` does; naive generation).
Entropy: mean selection entropy over the K candidates + none vs the summed full-vocabulary entropy of the
generated tokens.

    python benchmarks/bench_ld.py [--run DIR] [--states 24] [--gen-tokens 12]
"""

from __future__ import annotations

import argparse
import statistics
import time

from logicdistill.agent.candidates import CandidateBuilder
from logicdistill.agent.session import FunctionBaseSession
from logicdistill.agent.teacher_program import TeacherProgramPolicy
from logicdistill.distillation.dataset import trace_examples
from logicdistill.distillation.traces import collect_traces
from logicdistill.student.runs import resolve_run
from logicdistill.tasks import get_task


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", help="run folder (default: latest, else shipped)")
    ap.add_argument("--states", type=int, default=24, help="stage decisions to time")
    ap.add_argument("--gen-tokens", type=int, default=12)
    args = ap.parse_args()

    task = get_task("pursuit")
    record = resolve_run(task.name, args.run)
    session = FunctionBaseSession(task)
    policy = TeacherProgramPolicy(task, session=session)
    traces = collect_traces(task, policy, range(900, 904), {"map": "rooms"}, progress=False)
    policy.close()
    builder = CandidateBuilder(task, session.base, record.k, record.retriever, record.embedder)
    examples = trace_examples(builder, traces[: args.states], seed=0, shuffle=False).examples

    student = record.load_student()
    student.select_batch(examples[:2])  # warm up

    rows = []
    for label, fn in [
        ("select, cached prefix", lambda e: student.select(e, use_cache=True)),
        ("select, no cache", lambda e: student.select(e, use_cache=False)),
        ("generate the name", lambda e: student.generate_with_entropy(e, max_new_tokens=args.gen_tokens)),
    ]:
        times, outs = [], []
        for example in examples:
            start = time.perf_counter()
            outs.append(fn(example))
            times.append(time.perf_counter() - start)
        rows.append((label, statistics.mean(times), outs))

    sel_entropy = statistics.mean(o.entropy_bits for o in rows[0][2])
    gen_entropy = statistics.mean(o[1] for o in rows[2][2])
    gold_hits = sum(o.index == e.gold for o, e in zip(rows[0][2], examples, strict=True)) / len(examples)
    m = record.metrics
    print(f"run: {record.folder}")
    print(
        f"distillation: {m['train_examples']} examples, {m['train_steps']} steps, train {m['train_seconds']:.0f} s, "
        f"whole run {m['wall_seconds']:.0f} s, held-out accuracy {m['heldout_accuracy']:.3f}"
    )
    print(f"{len(examples)} pursuit stage decisions (map rooms), accuracy of select vs the teacher: {gold_hits:.3f}\n")
    base = rows[0][1]
    print(f"{'mode':<24}{'ms/decision':>12}{'decisions/s':>13}{'x slower than cached':>22}")
    for label, t, _ in rows:
        print(f"{label:<24}{t * 1000:>12.1f}{1 / t:>13.2f}{t / base:>22.2f}")
    print(f"\nmean selection entropy: {sel_entropy:.3f} bits (max log2(K+1))")
    print(f"mean free-generation entropy: {gen_entropy:.3f} bits ({gen_entropy / max(sel_entropy, 1e-9):.1f}x)")


if __name__ == "__main__":
    main()
