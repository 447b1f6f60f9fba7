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
from logicdistill.llm.prompts import render_prompt
from logicdistill.llm.spec import make_client, parse_teacher_spec
from logicdistill.sandbox import ALLOWED_MODULES
from logicdistill.tasks.base import RuleEvent, Task
from logicdistill.teacher.drafts import Draft, parse_reply
from logicdistill.teacher.parsing import ask
from logicdistill.text import name_in_text

RECORDED_DIR = Path(__file__).resolve().parent.parent / "recorded"
ALLOWED_IMPORTS = ", ".join(ALLOWED_MODULES)  # the sandbox's allow-list, as the prompts name it


def rules_hash(task: Task) -> str:
    return _digest(task.rules_text())


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Teacher(ABC):
    name: str
    asks_labels = False  # whether label_selection asks someone (one request per trace in distillation)

    def base_note(self, task: Task) -> str:
        """The store note of this teacher's Eq. 1 base for the task: a session reuses the version that has it.
        It changes with the rules text, so edited rules get a new base."""
        return f"eq1 by {self.name} rules {rules_hash(task)}"

    def rule_note(self, task: Task, event: RuleEvent, parent: BaseVersion) -> str:
        """The store note of this teacher's Eq. 6 version for ``event`` on ``parent``."""
        return f"eq6 {event.kind} by {self.name} on v{parent.number} rule {_digest(event.text)}"

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


class RecordedTeacher(Teacher):
    """Replays replies stored as files (data, regenerable with a live teacher): ``<folder>/<task>/eq1_base.md``
    and ``<folder>/<task>/eq6_<kind>.md``.

    The folders searched, in order: ``folder`` (a user's ``--teacher recorded:DIR``), then for a new rule the
    ``recorded_dir`` of the plugin that brings it, then the task's own ``recorded_dir`` (a plugin ships its
    replies there), then the package's ``recorded/``. So a user folder may
    hold only the replies it adds (say, ``eq6`` files for new rules) and the rest comes from where it was.
    """

    def __init__(self, folder: Path | str | None = None):
        self.folder = Path(folder) if folder is not None else None
        self.name = f"recorded:{self.folder}" if self.folder is not None else "recorded"

    def folders(self, task: Task, event: RuleEvent | None = None) -> list[Path]:
        """Where replies are looked for, in order (a rule's plugin folder comes before the task's)."""
        found = [self.folder, event.recorded_dir if event else None, task.recorded_dir, RECORDED_DIR]
        return [Path(f) for i, f in enumerate(found) if f is not None and f not in found[:i]]

    def path(self, task: Task, file: str, event: RuleEvent | None = None) -> Path:
        """The recorded reply ``file`` for the task, from the first folder that has it."""
        folders = self.folders(task, event)
        for folder in folders:
            path = folder / task.name / file
            if path.is_file():
                return path
        where = ", ".join(str(f / task.name) for f in folders)
        option = "--teacher" if file == "eq1_base.md" else "--rule-teacher (or --teacher)"
        raise UserError(
            f"no recorded teacher reply {file} for task {task.name!r} (looked in {where}): write it as "
            f"DIR/{task.name}/{file} and pass {option} recorded:DIR (a plugin ships its replies in its task's "
            "recorded_dir), or use a live teacher (--teacher / --rule-teacher openai:MODEL)"
        )

    def _read(self, task: Task, file: str, event: RuleEvent | None = None) -> str:
        path = self.path(task, file, event)
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise UserError(f"cannot read recorded teacher reply {path}: {err}") from None

    def reply_for_base(self, task: Task) -> str:
        return self._read(task, "eq1_base.md")

    def reply_for_emergency(self, task: Task, event: RuleEvent, base: BaseVersion) -> str:
        return self._read(task, f"eq6_{event.kind}.md", event)

    # A recorded reply is known before it is parsed, so its hash tells two folders' bases apart.
    def base_note(self, task: Task) -> str:
        return f"{super().base_note(task)} reply {_digest(self.reply_for_base(task))}"

    def rule_note(self, task: Task, event: RuleEvent, parent: BaseVersion) -> str:
        # The reply does not depend on the rule's text or parameters: one version per kind and parent.
        reply = _digest(self.reply_for_emergency(task, event, parent))
        return f"eq6 {event.kind} by {self.name} on v{parent.number} reply {reply}"


class LiveTeacher(Teacher):
    """Asks an OpenAI-compatible endpoint; every exchange is cached on disk, parse errors are repaired."""

    asks_labels = True

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
        return name_in_text(self.client.chat([{"role": "user", "content": prompt}]), [n for n, _ in manuals])

    def reply_for_base(self, task: Task) -> str:
        prompt = render_prompt(
            "eq1_build_base",
            rules=task.rules_text(),
            state_format=task.state_format(),
            stage_hint=task.stage_hint(),
            imports=ALLOWED_IMPORTS,
            **fact_values(task),
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
            manuals="\n\n".join(f.manual_text() for f in base.functions.values()),
            program=base.program or "",
            imports=ALLOWED_IMPORTS,
            **fact_values(task, event.kind),
        )
        return self._ask(prompt, False, task)


def fact_values(task: Task, kind: str | None = None) -> dict[str, str]:
    """The fact names a prompt offers for conditions: the task's state facts and its rules' ``_in_force``."""
    kinds = list(dict.fromkeys([*task.rule_kinds(), *([kind] if kind else [])]))
    return {
        "facts": ", ".join(task.fact_names()) or "none",
        "rule_facts": ", ".join(f"{k}_in_force" for k in kinds) or "none",
    }


def make_teacher(spec: str | Teacher | None) -> Teacher:
    """``recorded``, ``recorded:DIR`` or ``openai:MODEL[@URL]`` (a Teacher passes through; None: recorded)."""
    if isinstance(spec, Teacher):
        return spec
    parsed = parse_teacher_spec(spec or "recorded")
    return RecordedTeacher(parsed.folder) if parsed.kind == "recorded" else LiveTeacher(spec)
