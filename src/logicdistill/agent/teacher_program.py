"""The ``teacher-program`` policy: the function base driven by the teacher's own usage program.

LD's upper bound: the same stages, functions and sandbox as the student, but the teacher's
``select_function(stage, facts)`` chooses at every stage. New rules are adopted through Eq. 6.
"""

from __future__ import annotations

from typing import Any

from logicdistill.agent.session import FunctionBaseSession
from logicdistill.agent.stages import ProgramDecider, StageRecord, run_stages
from logicdistill.tasks.base import Policy, Task


class TeacherProgramPolicy(Policy):
    name = "teacher-program"

    def __init__(
        self,
        task: Task,
        teacher: Any = "recorded",
        base_root: str | None = None,
        session: Any = None,
        rule_teacher: Any = None,
    ):
        self.task = task
        self.session = session or FunctionBaseSession(task, teacher, base_root, rule_teacher_spec=rule_teacher)
        self.env: Any = None
        self.failed_stages = 0
        self.decisions = 0
        self.last_records: list[StageRecord] = []

    def reset(self, env: Any, seed: int) -> None:
        self.env = env
        self.session.restart()

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        self.session.on_info(self.env, info)
        runtime = self.session.runtime
        state_facts = self.task.state_facts(self.env)
        decider = ProgramDecider(runtime)
        result, self.last_records = run_stages(runtime, self.task.state_json(self.env), state_facts, "", decider)
        self.decisions += 1
        if result is None:
            self.failed_stages += 1
            return self.task.fallback_action(self.env)
        return self.task.action_from_result(result, self.env)

    @property
    def last_trace(self) -> str:
        return "\n".join(r.line() for r in self.last_records)

    def metrics(self) -> dict[str, float]:
        adoptions = self.session.adoptions
        out = {"failed_decisions": float(self.failed_stages)}
        if adoptions:
            out["adoption_s"] = sum(a.seconds for a in adoptions) / len(adoptions)
        return out

    def close(self) -> None:
        self.session.close()
