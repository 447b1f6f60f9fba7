"""Can the student learn to *read* manuals? Train on curriculum bases in one prompt layout, probe held-out bases.

The universal-student issue needs a student that picks by reading "use when" conditions over yes/no facts,
not by remembering a task's names. This trains a fresh LoRA adapter on ``--examples`` curriculum examples of
``--forms`` (train vocabulary) and scores held-out bases (disjoint vocabulary) every ``--probe-every`` steps,
for each prompt layout asked for, one after the other (time them alone: two torch jobs on 2 cores do not
share). Prints one table: held-out accuracy per probe step and seconds per step, per layout.

Layouts (only ``plain`` is what the toolkit uses; the others are experiments, built here from its prompts):
- ``plain``: rules, stage, manuals, then state facts; the answer is a candidate's name.
- ``facts_first``: the state and its facts come before the manuals, so a manual's tokens can attend to them.
- ``echo``: like ``facts_first``, and every manual line ends with the current value of each fact it names.
- ``fit``: the ``plain`` prompt up to the question, then one row per candidate, "Does NAME fit?"; the score
  is yes-logit minus no-logit, trained listwise (cross-entropy over the K candidates). No name is copied.

    python benchmarks/bench_reading.py [--layouts plain,fit] [--forms single] [--examples 600] [--lr 1e-3]
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import tempfile
import time

import numpy as np
import torch

from logicdistill.agent.prompting import parse_facts
from logicdistill.distillation.curriculum import Curriculum
from logicdistill.student import TrainConfig, load_student, train_lora
from logicdistill.student.examples import SelectionExample, text_ids
from logicdistill.student.scoring import _pad, compute_prefix_kv, model_device
from logicdistill.student.training import _attach_lora

QUESTION = "Which function?"
FUNCTIONS = "Functions (answer"


def stated_facts(example: SelectionExample) -> dict[str, bool]:
    """The yes/no facts a prompt states: its ``Facts:`` line and its earlier results."""
    facts: dict[str, bool] = {}
    for line in example.state.splitlines():
        if line.startswith("Facts: "):
            facts.update(parse_facts(line.removeprefix("Facts: ")))
        elif ": " in line and not line.startswith(("State", "Step", QUESTION)):
            facts.update(parse_facts(line.split(": ", 1)[1]))
    return facts


def facts_first(example: SelectionExample, echo: bool = False) -> SelectionExample:
    head, sep, functions = example.prefix.partition(FUNCTIONS)
    lines = functions.rstrip("\n").splitlines()
    if echo:
        facts = stated_facts(example)
        for i, line in enumerate(lines):
            named = sorted((f for f in facts if re.search(rf"\b{re.escape(f)}\b", line)), key=line.find)
            if line.startswith("- ") and named:
                lines[i] = line + " [now: " + "; ".join(f"{f}: {'yes' if facts[f] else 'no'}" for f in named) + "]"
    state = example.state.removesuffix(QUESTION) + "\n" + sep + "\n".join(lines) + "\n" + QUESTION
    return dataclasses.replace(example, prefix=head, state=state)


class FitScorer:
    """The ``fit`` layout: shared prompt once, then K "Does NAME fit?" rows over its KV; scores yes - no."""

    def __init__(self, student):
        self.student, self.tok, self.fmt = student, student.tokenizer, student.format
        self.yes, self.no = text_ids(self.tok, "yes")[0], text_ids(self.tok, "no")[0]

    def scores(self, example: SelectionExample) -> torch.Tensor:
        model = self.student.model
        shared = text_ids(self.tok, self.fmt.head + example.prefix) + text_ids(
            self.tok, example.state.removesuffix(QUESTION)
        )
        rows = [text_ids(self.tok, f"Does {c} fit? Answer yes or no." + self.fmt.tail) for c in example.candidates]
        prefix = compute_prefix_kv(model, shared)  # differentiable when gradients are on
        # Right padding: a real token never attends to the pads after it.
        x = _pad(rows, self.student.pad_id, model_device(model))
        logits = model(input_ids=x, cache=prefix.cache(model, len(rows))).logits
        last = logits[torch.arange(len(rows)), torch.tensor([len(r) - 1 for r in rows])]
        return last[:, self.yes] - last[:, self.no]

    def accuracy(self, examples: list[SelectionExample]) -> float:
        self.student.model.eval()
        with torch.no_grad():
            right = sum(int(self.scores(e).argmax()) == e.gold for e in examples)
        self.student.model.train()
        return right / len(examples)


def run_fit(student, train, held, config: TrainConfig, probe_every: int) -> tuple[list, float]:
    _attach_lora(student, config)
    scorer = FitScorer(student)
    params = [p for p in student.model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr)
    order = np.random.default_rng([config.seed, 0]).permutation(len(train))
    probes, spent, step = [], 0.0, 0
    student.model.train()
    for start in range(0, len(train), config.batch_size):
        began = time.perf_counter()
        for i in order[start : start + config.batch_size]:
            target = torch.tensor([train[i].gold])
            loss = torch.nn.functional.cross_entropy(scorer.scores(train[i])[None], target) / config.batch_size
            loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        spent += time.perf_counter() - began
        step += 1
        if step % probe_every == 0:
            probes.append((step, scorer.accuracy(held)))
            print(f"  fit step {step}: held-out {probes[-1][1]:.3f}", flush=True)
    return probes, spent / step


def run_layout(student, layout, train, held, config: TrainConfig, probe_every: int) -> tuple[list, float]:
    if layout == "fit":
        return run_fit(student, train, held, config, probe_every)
    if layout != "plain":
        train = [facts_first(e, echo=layout == "echo") for e in train]
        held = [facts_first(e, echo=layout == "echo") for e in held]
    with tempfile.TemporaryDirectory() as out:
        began = time.perf_counter()
        result = train_lora(student, train, config, out, probe_examples=held, probe_every=probe_every)
        seconds = time.perf_counter() - began
    return list(result.probes), seconds / result.steps  # includes the probes' scoring time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layouts", default="plain,facts_first,echo,fit")
    parser.add_argument("--forms", default="single", help="curriculum condition forms, comma-separated")
    parser.add_argument("--examples", type=int, default=600)
    parser.add_argument("--heldout", type=int, default=120)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--probe-every", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default="default")
    args = parser.parse_args()
    layouts = args.layouts.split(",")
    unknown = set(layouts) - {"plain", "facts_first", "echo", "fit"}
    if unknown:
        parser.error(f"unknown layouts {sorted(unknown)}")
    forms = args.forms.split(",")
    curriculum = Curriculum()
    train = curriculum.examples(args.examples, seed=args.seed, forms=forms, bases="train")
    held = curriculum.examples(args.heldout, seed=args.seed + 1, forms=forms, bases="heldout")
    config = TrainConfig(lr=args.lr, seed=args.seed)
    rows = []
    for layout in layouts:
        student = load_student(args.model)
        probes, per_step = run_layout(student, layout, train, held, config, args.probe_every)
        rows.append((layout, probes, per_step))
    chance = float(np.mean([1 / len(e.candidates) for e in held]))
    print(f"\nforms {forms}, {args.examples} examples, lr {args.lr}, held-out {len(held)} (chance {chance:.2f})")
    steps = sorted({s for _, probes, _ in rows for s, _ in probes})
    print("| layout | s/step | " + " | ".join(f"step {s}" for s in steps) + " |")
    print("|---|---|" + "---|" * len(steps))
    for layout, probes, per_step in rows:
        got = dict(probes)
        cells = " | ".join(f"{got[s]:.3f}" if s in got else "-" for s in steps)
        print(f"| {layout} | {per_step:.1f} | {cells} |")


if __name__ == "__main__":
    main()
