"""The LD agent (Algorithm 1): per stage, retrieve K manuals (Eq. 2), let the student select (Eq. 3), call
the function in the sandbox (Eq. 4); new rules become new functions through the teacher (Eq. 6), indexed and
selectable at once, with the student's weights untouched (checked by hash in ``metrics``).

Modes: ``select`` scores the K candidates (+ none) in one prompt pass, so the output is always a valid
candidate; ``generate`` lets the student write the name freely and parses it (the ``ld-generate`` baseline).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from logicdistill.agent.candidates import CandidateBuilder
from logicdistill.agent.session import FunctionBaseSession
from logicdistill.agent.stages import StageRecord, run_stages
from logicdistill.agent.student_decider import StudentDecider
from logicdistill.functionbase.fingerprint import base_fingerprint
from logicdistill.student.runs import resolve_run
from logicdistill.student.training import load_adapter
from logicdistill.tasks.base import Policy, Task


class LDPolicy(Policy):
    name = "ld"

    def __init__(
        self,
        task: Task,
        run: str | None = None,
        tuned: bool = True,
        mode: str = "select",
        teacher: str = "recorded",
        base_root: str | None = None,
        student: Any = None,
        k: int | None = None,
        retriever: str | None = None,
        embedder: str | None = None,
        rule_teacher: Any = None,
    ):
        from logicdistill.student.loading import load_student

        self.task, self.mode, self.tuned = task, mode, tuned
        self.run = resolve_run(task.name, run) if tuned else None
        if student is not None:
            self.student = student
            if self.run is not None:
                load_adapter(self.student, self.run.adapter_dir)
        else:
            self.student = self.run.load_student() if self.run else load_student("default")
        self.weights_hash = self.student.weights_hash()
        self.session = FunctionBaseSession(task, teacher, base_root, rule_teacher_spec=rule_teacher)
        if self.run is not None:
            self.run.check_base(base_fingerprint(self.session.base))
        self.builder = CandidateBuilder(
            task,
            self.session.base,
            k or (self.run.k if self.run else 4),
            retriever or (self.run.retriever if self.run else "fused"),
            embedder or (self.run.embedder if self.run else "minilm"),
        )
        self.env: Any = None
        self.last_records: list[StageRecord] = []
        self.stats = {"stages": 0, "agree": 0, "invalid_calls": 0, "decisions": 0}
        self.entropies: list[float] = []
        self.new_functions: set[str] = set()
        self.new_function_stages = 0  # stages where the teacher's program picks an emergency function
        self.new_function_chosen = 0  # ... and the student picked it too
        self.wrong_new_function = 0  # stages where an emergency function was chosen but the program picks an old one
        self.first_use_delays: list[int] = []
        self.decider = StudentDecider(self.builder, self.student, mode)
        self._arrival: int | None = None

    def reset(self, env: Any, seed: int) -> None:
        self.env = env
        self.session.restart()
        self.builder.update(self.session.base)
        self._arrival = None

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        adoptions = self.session.on_info(self.env, info)
        if adoptions:
            self.builder.update(self.session.base)
            self.new_functions.update(n for a in adoptions for n in a.new_functions)
            self._arrival = int(info.get("step", 0))
        runtime = self.session.runtime
        result, self.last_records = run_stages(
            runtime,
            self.task.state_json(self.env),
            self.task.state_facts(self.env),
            self.task.state_text(self.env),
            self.decider,
        )
        for record in self.last_records:
            self._score(record, runtime.program_choice(record.stage, record.facts), int(info.get("step", 0)))
        self.stats["decisions"] += 1
        if result is None:
            self.stats["invalid_calls"] += 1
            return self.task.fallback_action(self.env)
        return self.task.action_from_result(result, self.env)

    def _score(self, record: StageRecord, label: str | None, step: int) -> None:
        """Count one stage against the teacher's program's choice on the same facts."""
        chosen = record.chosen
        self.stats["stages"] += 1
        self.stats["agree"] += int(chosen is not None and chosen == label)
        if record.entropy_bits is not None:
            self.entropies.append(record.entropy_bits)
        if label in self.new_functions:
            self.new_function_stages += 1
            self.new_function_chosen += int(chosen == label)
        elif chosen in self.new_functions:
            self.wrong_new_function += 1
        if chosen in self.new_functions and self._arrival is not None:
            self.first_use_delays.append(step - self._arrival)
            self._arrival = None

    @property
    def last_trace(self) -> str:
        return "\n".join(r.line() for r in self.last_records)

    def metrics(self) -> dict[str, float]:
        s = self.stats
        out = {
            "selection_accuracy": s["agree"] / s["stages"] if s["stages"] else float("nan"),
            "invalid_calls": float(s["invalid_calls"]),
            "mean_entropy_bits": float(np.mean(self.entropies)) if self.entropies else float("nan"),
            "weights_unchanged": float(self.student.weights_hash() == self.weights_hash),
        }
        if self.new_functions:
            out["new_function_choice_rate"] = self.new_function_chosen / max(self.new_function_stages, 1)
            out["new_function_stages"] = float(self.new_function_stages)
            old = self.stats["stages"] - self.new_function_stages
            out["wrong_new_function_rate"] = self.wrong_new_function / old if old else float("nan")
            if self.first_use_delays:
                out["steps_to_first_use"] = float(np.mean(self.first_use_delays))
        return out

    def close(self) -> None:
        self.session.close()
