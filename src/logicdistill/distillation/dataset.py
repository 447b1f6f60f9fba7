"""Traces -> selection examples: retrieve the stage's top-K, keep the gold among them, shuffle, balance."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from logicdistill.agent.candidates import CandidateBuilder
from logicdistill.distillation.traces import StageTrace
from logicdistill.student.examples import SelectionExample


@dataclass
class ExampleSet:
    examples: list[SelectionExample]
    traces: list[StageTrace]
    gold_ranks: list[int | None]  # the gold's rank in the retrieved top-K (None: not retrieved)


def retrieved_with_gold(builder: CandidateBuilder, trace: StageTrace) -> tuple[list[str], int | None]:
    """The trace stage's top-K names and the gold's rank among them; a gold the retriever missed replaces the
    last candidate (or joins a short list), so every training prompt holds its label."""
    stage = builder.stage_of(trace.stage)
    names = builder.retrieve(stage, trace.state_text, trace.state_facts, trace.results)
    if trace.gold in names:
        return names, names.index(trace.gold) + 1
    return ([*names[:-1], trace.gold] if len(names) >= builder.k else [*names, trace.gold]), None


def trace_examples(builder: CandidateBuilder, traces: list[StageTrace], seed: int, shuffle: bool = True) -> ExampleSet:
    """One example per trace; a gold the retriever missed counts as a miss in ``gold_ranks``."""
    rng = np.random.default_rng([seed, 11])
    examples, ranks = [], []
    for trace in traces:
        stage = builder.stage_of(trace.stage)
        names, rank = retrieved_with_gold(builder, trace)
        ranks.append(rank)
        examples.append(
            builder.example(
                stage, names, trace.state_text, trace.state_facts, trace.results, trace.gold, rng if shuffle else None
            )
        )
    return ExampleSet(examples, list(traces), ranks)


def balanced_sample(traces: list[StageTrace], n: int, seed: int, repeat_rare: bool = False) -> list[StageTrace]:
    """Up to ``n`` traces, spread evenly over (stage, gold) labels so rare choices are learned too.

    With ``repeat_rare`` a label with few traces is repeated (each repeat gets its own candidate order when the
    examples are built) until every label has its share, instead of leaving its share to the common labels.
    """
    groups: dict[tuple[str, str], list[StageTrace]] = defaultdict(list)
    for t in traces:
        groups[(t.stage, t.gold)].append(t)
    rng = np.random.default_rng([seed, 13])
    for items in groups.values():
        rng.shuffle(items)
    keys = sorted(groups)
    out: list[StageTrace] = []
    taken = dict.fromkeys(keys, 0)
    while len(out) < n:
        progressed = False
        for k in keys:
            if len(out) >= n:
                break
            if taken[k] < len(groups[k]) or repeat_rare:
                out.append(groups[k][taken[k] % len(groups[k])])
                taken[k] += 1
                progressed = True
        if not progressed:
            break
    return out
