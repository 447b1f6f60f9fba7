"""One episode's worth of decision state: a slot.

A slot holds what must never be shared between episodes played side by side: the function-base session
(the rules adopted so far, Eq. 6), the decider (a student's candidate builder, whose retrieval index follows
that session's base, or the teacher's program), the environment and the counters. The student, the sandbox
and the embedder are shared by every slot of one policy. ``act_steps`` is Algorithm 1 for one step written as
stepped code (agent/stages.py): the policy runs it to the end at once, or the lockstep evaluator interleaves
many slots' steps. Every policy that plays through the function base (``teacher-program``, ``ld`` and its
variants) plays through this one class.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from logicdistill.agent.session import FunctionBaseSession
from logicdistill.agent.stages import Calls, SlotDecider, StageRecord, Steps, stage_steps
from logicdistill.functionbase.guard import evaluate, judge, rule_kinds, with_rule_facts
from logicdistill.tasks.base import Task

# LDStats counters that merge by plain addition
SUMMED = ("stages", "agree", "invalid_calls", "decisions", "false_condition", "forced", "unchecked_stages")


@dataclass
class LDStats:
    """Counters over everything one slot played; slots are summed with ``merge`` (order does not matter)."""

    stages: int = 0
    agree: int = 0
    invalid_calls: int = 0
    decisions: int = 0
    entropies: list[float] = field(default_factory=list)
    new_functions: set[str] = field(default_factory=set)
    new_function_stages: int = 0  # stages where the teacher's program picks an emergency function
    new_function_chosen: int = 0  # ... and the student picked it too
    wrong_new_function: int = 0  # stages where an emergency function was chosen but the program picks an old one
    first_use_delays: list[int] = field(default_factory=list)
    first_use_steps: list[int] = field(default_factory=list)  # the step a new function was first chosen at
    by_stage: dict[str, list[int]] = field(default_factory=dict)  # stage -> [stages, agreeing]
    recall_stages: int = 0  # stages where the program's choice and the candidates shown are both known
    recall_hits: int = 0  # ... and the program's choice was among the candidates shown
    guarded: bool = False  # conditions filter the choices (ld-guard, manual-match): report forced/unchecked
    false_condition: int = 0  # ... and it was false: a misread, counted directly
    forced: int = 0  # stages decided by conditions alone
    unchecked_stages: int = 0  # stages with an unchecked candidate
    has_conditions: bool = False  # the base played with has a checked function

    @staticmethod
    def merge(parts: list[LDStats]) -> LDStats:
        total = LDStats()
        for p in parts:
            total.guarded |= p.guarded
            total.has_conditions |= p.has_conditions
            for name in SUMMED:
                setattr(total, name, getattr(total, name) + getattr(p, name))
            total.new_function_stages += p.new_function_stages
            total.new_function_chosen += p.new_function_chosen
            total.wrong_new_function += p.wrong_new_function
            total.entropies += p.entropies
            total.new_functions |= p.new_functions
            total.first_use_delays += p.first_use_delays
            total.first_use_steps += p.first_use_steps
            total.recall_stages += p.recall_stages
            total.recall_hits += p.recall_hits
            for stage, (n, ok) in p.by_stage.items():
                counts = total.by_stage.setdefault(stage, [0, 0])
                counts[0], counts[1] = counts[0] + n, counts[1] + ok
        return total

    def metrics(self, weights_unchanged: bool) -> dict[str, float]:
        out = {
            "selection_accuracy": self.agree / self.stages if self.stages else float("nan"),
            "invalid_calls": float(self.invalid_calls),
            "mean_entropy_bits": float(np.mean(self.entropies)) if self.entropies else float("nan"),
            "weights_unchanged": float(weights_unchanged),
        }
        for stage, (n, ok) in sorted(self.by_stage.items()):
            out[f"selection_accuracy.{stage}"] = ok / n
        if self.recall_stages:
            out["retrieval_recall"] = self.recall_hits / self.recall_stages
        if self.has_conditions:
            out["false_condition_rate"] = self.false_condition / self.stages if self.stages else float("nan")
        if self.guarded:
            out["forced_rate"] = self.forced / self.stages if self.stages else float("nan")
            out["unchecked_rate"] = self.unchecked_stages / self.stages if self.stages else float("nan")
        if self.new_functions:
            out["new_function_choice_rate"] = self.new_function_chosen / max(self.new_function_stages, 1)
            out["new_function_stages"] = float(self.new_function_stages)
            old = self.stages - self.new_function_stages
            out["wrong_new_function_rate"] = self.wrong_new_function / old if old else float("nan")
            if self.first_use_delays:
                out["steps_to_first_use"] = float(np.mean(self.first_use_delays))
                out["first_new_function_step"] = float(np.mean(self.first_use_steps))
        return out


class LDSlot:
    """``decider`` chooses at every stage; with ``score`` each stage is also compared with the teacher's program
    (what ``selection_accuracy`` and the emergency metrics count; pointless when the program is the decider)."""

    def __init__(self, task: Task, session: FunctionBaseSession, decider: SlotDecider, score: bool = True):
        self.task, self.session, self.decider, self.score = task, session, decider, score
        # a decider that filters by conditions (ld-guard, manual-match) says so: forced_rate, unchecked_rate
        self.stats = LDStats(guarded=bool(getattr(decider, "guard", False)))
        self.declared_kinds = tuple(task.rule_kinds())
        self.env: Any = None
        self.last_records: list[StageRecord] = []
        self._arrival: int | None = None

    def reset(self, env: Any, seed: int) -> None:
        self.env = env
        self.session.restart()
        self.decider.update(self.session.base)
        self._arrival = None

    def act_steps(self, observation: Any, info: dict[str, Any]) -> Steps[Any]:
        """One step: adopt arriving rules, run the stages, score them against the teacher's program."""
        step = int(info.get("step", 0))
        adoptions = self.session.on_info(self.env, info)
        if adoptions:
            self.decider.update(self.session.base)
            self.stats.new_functions.update(n for a in adoptions for n in a.new_functions)
            self._arrival = step
        runtime, env, task = self.session.runtime, self.env, self.task
        state = task.state_json(env)
        result, records = yield from stage_steps(runtime, state, task.state_facts(env), task.state_text(env))
        self.last_records = records
        self.stats.decisions += 1
        if self.score:
            yield from self._score_steps(records, step)
        if result is None:
            self.stats.invalid_calls += 1
            return task.fallback_action(env)
        return task.action_from_result(result, env)

    def _score_steps(self, records: list[StageRecord], step: int) -> Steps[None]:
        """Ask the teacher's program what it picks on each stage's facts (one sandbox round trip), and count."""
        runtime = self.session.runtime
        requests = [runtime.program_request(r.stage, r.facts) for r in records]
        asked = [q for q in requests if q is not None]
        answers = iter((yield Calls(tuple(asked))) if asked else [])
        for record, request in zip(records, requests, strict=True):
            label = runtime.program_answer(next(answers)) if request is not None else None
            self._score(record, label, step)
            self._score_conditions(record)

    def _score(self, record: StageRecord, label: str | None, step: int) -> None:
        """Count one stage against the teacher's program's choice on the same facts."""
        s, chosen = self.stats, record.chosen
        s.stages += 1
        hit = int(chosen is not None and chosen == label)
        s.agree += hit
        counts = s.by_stage.setdefault(record.stage, [0, 0])
        counts[0], counts[1] = counts[0] + 1, counts[1] + hit
        if label is not None and record.shown is not None:
            s.recall_stages += 1
            s.recall_hits += int(label in record.shown)
        if record.entropy_bits is not None:
            s.entropies.append(record.entropy_bits)
        if label in s.new_functions:
            s.new_function_stages += 1
            s.new_function_chosen += int(chosen == label)
        elif chosen in s.new_functions:
            s.wrong_new_function += 1
        if chosen in s.new_functions and self._arrival is not None:
            s.first_use_delays.append(step - self._arrival)
            s.first_use_steps.append(step)
            self._arrival = None

    def _score_conditions(self, record: StageRecord) -> None:
        """false_condition_rate, forced_rate, unchecked_rate (SPEC §8) for one stage."""
        s, functions = self.stats, self.session.base.functions
        s.has_conditions |= any(f.checked for f in functions.values())
        if not (s.has_conditions or s.guarded):
            return  # an unchecked base under ld: nothing to count
        facts = with_rule_facts(record.facts, rule_kinds(functions.values(), self.declared_kinds))
        verdicts = judge(functions, record.stage, list(record.shown or record.candidates), facts)
        chosen = functions.get(record.chosen) if record.chosen else None
        value = evaluate(chosen, facts) if chosen is not None else None
        s.false_condition += int(value is False)
        s.forced += int(record.forced)
        s.unchecked_stages += int(bool(verdicts.unchecked))

    def close(self) -> None:
        self.session.close()
