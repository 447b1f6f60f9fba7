"""The LD agent (Algorithm 1): per stage, retrieve K manuals (Eq. 2), let the student select (Eq. 3), call
the function in the sandbox (Eq. 4); new rules become new functions through the teacher (Eq. 6), indexed and
selectable at once, with the student's weights untouched (checked by hash in ``metrics``).

Modes: ``select`` scores the K candidates (+ none) in one prompt pass, so the output is always a valid
candidate; ``generate`` lets the student write the name freely and parses it (the ``ld-generate`` baseline).

The policy loads what every episode shares (the student, the run, the sandbox, the embedder) and keeps one
:class:`LDSlot` for the episode it plays. ``slots(n)`` gives n slots sharing those parts, for episodes
played in lockstep (evaluation/lockstep.py); ``choose_many`` answers many slots' stage views with one
scoring call; ``metrics`` sums every slot.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from logicdistill.agent.ld_slot import LDSlot, LDStats
from logicdistill.agent.session import FunctionBaseSession
from logicdistill.agent.stages import Choice, StageRecord, StageView, drive
from logicdistill.agent.student_decider import choose_many
from logicdistill.functionbase.fingerprint import base_fingerprint
from logicdistill.retrieval import make_embedder
from logicdistill.sandbox.pool import CallRequest, CallResult
from logicdistill.student.runs import resolve_run
from logicdistill.student.training import load_adapter
from logicdistill.tasks.base import Policy, Task

# Episodes played side by side when the caller does not say (--batch). Measured on 2 CPU cores, pursuit,
# shipped adapter, bf16 fast copy: at 8 rows per forward pass 5.23 decisions/s at 8 episodes, 5.42 at 32
# (benchmarks/bench_throughput.py, one run); 64 episodes at 64 rows per pass 10.1 vs 8.6 at 8 rows (another
# run): AMX wants tall matrices. A GPU wants every row it can get.
LOCKSTEP_BATCH = {"cpu": 64, "cuda": 256}


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
        device: str = "cpu",
        dtype: str = "auto",
        guard: bool = False,
    ):
        from logicdistill.compute import Compute, resolve_device
        from logicdistill.student.loading import load_student

        self.task, self.mode, self.tuned, self.guard = task, mode, tuned, guard
        self.name = "ld-guard" if guard else self.name
        self.run = resolve_run(task.name, run) if tuned else None
        torch_dtype = Compute(device, precision=dtype).dtype
        device = resolve_device(device)
        if student is not None:
            self.student = student
            # a student shared by several policies keeps the adapter it already carries
            if self.run is not None and getattr(student, "adapter_dir", None) != self.run.adapter_dir.resolve():
                load_adapter(self.student, self.run.adapter_dir)
        else:
            run = self.run
            load = run.load_student if run else lambda d, t: load_student("default", d, t)
            self.student = load(device, None)  # the reference, in fp32; decisions go through its fast copy
            self.student.score_fast(torch_dtype)
        self.weights_hash = self.student.weights_hash()
        self._session_args = (teacher, base_root, rule_teacher)
        session = FunctionBaseSession(task, teacher, base_root, rule_teacher_spec=rule_teacher)
        if self.run is not None:
            self.run.check_base(base_fingerprint(session.base))
        self.k = k or (self.run.k if self.run else 4)
        self.retriever = retriever or (self.run.retriever if self.run else "fused")
        name = embedder or (self.run.embedder if self.run else "minilm")
        self.embedder = make_embedder(name) if self.retriever != "bm25" else name  # one for every slot
        self.slot = self._slot(session)
        self._slots = [self.slot]

    def _slot(self, session: FunctionBaseSession) -> LDSlot:
        args = (self.task, session, self.student, self.mode, self.k, self.retriever, self.embedder)
        return LDSlot(*args, guard=self.guard)

    @property
    def session(self) -> FunctionBaseSession:
        return self.slot.session

    @property
    def lockstep_batch(self) -> int:
        """Episodes to play side by side by default, for the device the student runs on."""
        return LOCKSTEP_BATCH["cuda" if str(self.student.device).startswith("cuda") else "cpu"]

    def slots(self, n: int) -> list[LDSlot]:
        """``n`` slots for episodes played side by side: this policy's own and n-1 more sharing its student,
        sandbox and embedder, each with its own session, retrieval index and counters."""
        teacher, base_root, rule_teacher = self._session_args
        while len(self._slots) < n:
            session = FunctionBaseSession(
                self.task, teacher, base_root, sandbox=self.session.sandbox, rule_teacher_spec=rule_teacher
            )
            self._slots.append(self._slot(session))
        return self._slots[:n]

    def choose_many(self, requests: Sequence[tuple[LDSlot, StageView]]) -> list[Choice]:
        """Every slot's choice on its view, scored together (one forward pass per stage prompt layout)."""
        return choose_many([(slot.decider, view) for slot, view in requests])

    def call_many(self, requests: Sequence[CallRequest]) -> list[CallResult]:
        """Sandbox calls of any slots in one round trip (they share the sandbox)."""
        return self.session.sandbox.call_many(requests)

    def reset(self, env: Any, seed: int) -> None:
        self.slot.reset(env, seed)

    def act(self, observation: Any, info: dict[str, Any]) -> Any:
        steps = self.slot.act_steps(observation, info)
        return drive(steps, self.slot.decider.choose, self.call_many)

    @property
    def last_records(self) -> list[StageRecord]:
        return self.slot.last_records

    @property
    def last_trace(self) -> str:
        return "\n".join(r.line() for r in self.last_records)

    def metrics(self) -> dict[str, float]:
        unchanged = self.student.weights_hash() == self.weights_hash
        return LDStats.merge([slot.stats for slot in self._slots]).metrics(unchanged)

    def close(self) -> None:
        for slot in reversed(self._slots):  # the first slot owns the shared sandbox: it closes last
            slot.close()
