"""Teachers (the L-LLM): a live OpenAI-compatible endpoint, or recorded replies replayed from files.

Both return their reply text through the same parser (``drafts.parse_reply``), so recorded outputs are
exactly what a live teacher's replies become, and ``--teacher openai:MODEL`` regenerates them.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from pathlib import Path

from logicdistill.errors import UserError
from logicdistill.functionbase.store import BaseVersion
from logicdistill.tasks.base import RuleEvent, Task
from logicdistill.teacher.drafts import Draft, parse_reply
from logicdistill.teacher.parsing import ask
from logicdistill.teacher.prompts import render_prompt
from logicdistill.teacher.spec import make_client, parse_teacher_spec

RECORDED_DIR = Path(__file__).resolve().parent.parent / "recorded"
ALLOWED_IMPORTS = "math, itertools, functools, collections, heapq, bisect, typing"


def rules_hash(task: Task) -> str:
    return hashlib.sha256(task.rules_text().encode()).hexdigest()[:16]


class Teacher(ABC):
    name: str

    @abstractmethod
    def reply_for_base(self, task: Task) -> str:
        """The teacher's Eq. 1 reply text for the task's rules."""

    @abstractmethod
    def reply_for_emergency(self, task: Task, event: RuleEvent, base: BaseVersion) -> str:
        """The teacher's Eq. 6 reply text for a new rule."""

    def label_selection(
        self, task: Task, stage: str, manuals: list[tuple[str, str]], state: str, previous: str
    ) -> str | None:
        """The function the teacher itself would call here (per-state labels); None when it has no labels
        of its own (the recorded teacher's labels are its usage program's choices)."""
        return None

    def write_base(self, task: Task) -> Draft:
        return parse_reply(self.reply_for_base(task), self.name, rules_hash(task), need_stages=True)

    def write_emergency(self, task: Task, event: RuleEvent, base: BaseVersion) -> Draft:
        return parse_reply(self.reply_for_emergency(task, event, base), self.name, rules_hash(task), need_stages=False)


def parse_label(reply: str, names: list[str]) -> str | None:
    """The candidate a labelling reply names (the longest name that appears), or None."""
    found = [n for n in names if n in reply]
    return max(found, key=len) if found else None


class RecordedTeacher(Teacher):
    """Replays the replies stored in ``recorded/<task>/`` (data, regenerable with a live teacher)."""

    name = "recorded"

    def __init__(self, folder: Path = RECORDED_DIR):
        self.folder = folder

    def _read(self, task: Task, file: str) -> str:
        path = self.folder / task.name / file
        if not path.is_file():
            raise UserError(
                f"no recorded teacher output {path.name} for task {task.name!r}: use --teacher openai:MODEL"
            )
        return path.read_text(encoding="utf-8")

    def reply_for_base(self, task: Task) -> str:
        return self._read(task, "eq1_base.md")

    def reply_for_emergency(self, task: Task, event: RuleEvent, base: BaseVersion) -> str:
        return self._read(task, f"eq6_{event.kind}.md")


class LiveTeacher(Teacher):
    """Asks an OpenAI-compatible endpoint; every exchange is cached on disk, parse errors are repaired."""

    def __init__(self, spec: str, cache_dir: Path | None = None, max_repairs: int = 3):
        self.client = make_client(spec, cache_dir=cache_dir)
        self.name = str(parse_teacher_spec(spec))
        self.max_repairs = max_repairs

    def _ask(self, prompt: str, need_stages: bool, task: Task) -> str:
        messages = [{"role": "user", "content": prompt}]

        def check(reply: str) -> str:
            parse_reply(reply, self.name, rules_hash(task), need_stages)  # raises ReplyParseError -> repair turn
            return reply

        return ask(self.client, messages, check, max_repairs=self.max_repairs)

    def label_selection(
        self, task: Task, stage: str, manuals: list[tuple[str, str]], state: str, previous: str
    ) -> str | None:
        prompt = render_prompt(
            "label_selection",
            rules=task.rules_text(),
            state=state,
            stage=stage,
            previous=previous or "none",
            manuals="\n".join(f"- {name}: {manual}" for name, manual in manuals),
        )
        return parse_label(self.client.chat([{"role": "user", "content": prompt}]), [n for n, _ in manuals])

    def reply_for_base(self, task: Task) -> str:
        prompt = render_prompt(
            "eq1_build_base",
            rules=task.rules_text(),
            state_format=task.state_format(),
            stage_hint=task.stage_hint(),
            imports=ALLOWED_IMPORTS,
        )
        return self._ask(prompt, True, task)

    def reply_for_emergency(self, task: Task, event: RuleEvent, base: BaseVersion) -> str:
        prompt = render_prompt(
            "eq6_emergency",
            rules=task.rules_text(),
            kind=event.kind,
            rule_text=event.text,
            fact=event.fact,
            params_example=event.params,
            stages="\n".join(f"- {s.name}: {s.produces}" for s in base.stages),
            manuals="\n\n".join(f.compact() for f in base.functions.values()),
            program=base.program or "",
            imports=ALLOWED_IMPORTS,
        )
        return self._ask(prompt, False, task)


def make_teacher(spec: str) -> Teacher:
    """``recorded`` or ``openai:MODEL[@URL]``."""
    parsed = parse_teacher_spec(spec)
    return RecordedTeacher() if parsed.kind == "recorded" else LiveTeacher(spec)
