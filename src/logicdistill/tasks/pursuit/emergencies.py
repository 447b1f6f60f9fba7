"""Emergencies: rules that arrive mid-episode and change what the pursuers may do.

An event arrives when the environment's step count (steps already taken) reaches ``event.step``:
that step's ``info`` carries ``new_rule`` (reset's info when ``step`` is 0), and from then on every
joint action the agent chooses is judged by the rule. So the agent always sees a rule before it is
held to it.

A new event type is a plain (frozen dataclass) subclass of :class:`EmergencyEvent` that overrides
the hooks it needs, registered with :func:`register_event` so that scenario files can name it. The
hooks must not change the environment: policies call ``filter_pursuer_actions`` on candidate moves
(through ``PursuitEnv.count_violations``) to look ahead.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from logicdistill import plugins
from logicdistill.errors import FormatError, UserError
from logicdistill.tasks.pursuit.maps import MAX_SIDE, GridMap
from logicdistill.tasks.pursuit.rules import STAY, Cell, move

PursuitEnv = Any  # tasks.pursuit.env.PursuitEnv, named only in annotations: env imports this module


@dataclass(frozen=True)
class EmergencyEvent(ABC):
    """One scheduled rule. Subclasses add their parameters as dataclass fields after ``step``."""

    step: int
    kind: ClassVar[str] = "event"
    # A plugin event may ship its recorded Eq. 6 reply: <recorded_dir>/pursuit/eq6_<kind>.md.
    recorded_dir: ClassVar[Path | None] = None

    @abstractmethod
    def rule_text(self) -> str:
        """The rule in plain English, as the agent (and the teacher) reads it."""

    def is_active(self, step: int) -> bool:
        """Whether the rule governs the move chosen when ``step`` steps have been taken."""
        return step >= self.step

    def validate(self, grid: GridMap, n_pursuers: int) -> None:  # noqa: B027 - optional hook
        """Raise UserError when the event cannot apply to this map or number of pursuers."""

    def filter_pursuer_actions(self, env: PursuitEnv, actions: Sequence[int]) -> tuple[list[int], int]:
        """Return the actions actually carried out (a forbidden one becomes stay) and the violations."""
        return list(actions), 0

    def evader_moves_per_step(self, env: PursuitEnv) -> int:
        """How many single moves each evader makes this step."""
        return 1

    def marked_cells(self) -> frozenset[Cell]:
        """Cells a renderer should highlight while the event is active."""
        return frozenset()

    @classmethod
    def from_params(cls, step: int, params: Mapping[str, Any]) -> EmergencyEvent:
        """Build the event from a scenario file's ``params``; FormatError says what is wrong."""
        try:
            return cls(step, **params)
        except TypeError as exc:
            raise FormatError(f"event {cls.kind!r}: bad params {dict(params)!r} ({exc})") from None


def _cell(value: Any, what: str) -> Cell:
    ok = isinstance(value, (list, tuple)) and len(value) == 2
    if not ok or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise FormatError(f"{what}: expected a cell [row, col], got {value!r:.80}")
    # no map is larger: a rect corner at [100000, 100000] would otherwise build 10^10 cells (a served state's
    # rule params come from the client)
    if not all(0 <= v < MAX_SIDE for v in value):
        raise FormatError(f"{what}: {list(value)!r:.80} is outside every map (rows and columns 0..{MAX_SIDE - 1})")
    return int(value[0]), int(value[1])


@dataclass(frozen=True)
class DangerZone(EmergencyEvent):
    """Pursuers must not move into the zone; such a move is a violation and is blocked (a stay).

    A pursuer already inside may stay or leave. Evaders may enter, so a pursuer cannot capture an
    evader standing in the zone. ``rect`` (inclusive corners) only shapes the rule text.
    """

    cells: frozenset[Cell] = frozenset()
    rect: tuple[Cell, Cell] | None = None
    kind: ClassVar[str] = "danger_zone"

    @classmethod
    def from_params(cls, step: int, params: Mapping[str, Any]) -> DangerZone:
        """``{"rect": [[r0, c0], [r1, c1]]}`` (corners inclusive) or ``{"cells": [[r, c], ...]}``."""
        if set(params) == {"rect"} and isinstance(params["rect"], (list, tuple)) and len(params["rect"]) == 2:
            (r0, c0), (r1, c1) = (_cell(v, "danger_zone rect corner") for v in params["rect"])
            (r0, r1), (c0, c1) = sorted((r0, r1)), sorted((c0, c1))
            cells = frozenset((r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1))
            return cls(step, cells, ((r0, c0), (r1, c1)))
        if set(params) == {"cells"} and isinstance(params["cells"], list) and params["cells"]:
            return cls(step, frozenset(_cell(v, "danger_zone cell") for v in params["cells"]))
        raise FormatError(
            f"danger_zone params need 'rect': [[r0, c0], [r1, c1]] or 'cells': [[r, c], ...]; got {params!r}"
        )

    def validate(self, grid: GridMap, n_pursuers: int) -> None:  # noqa: B027 - optional hook
        off = sorted(c for c in self.cells if not (0 <= c[0] < grid.height and 0 <= c[1] < grid.width))
        if off or not self.cells:
            shown = ", ".join(map(str, off[:4])) + (f" and {len(off) - 4} more" if len(off) > 4 else "")
            raise UserError(f"danger zone cells {shown} lie off map {grid.name!r} ({grid.height}x{grid.width})")

    def rule_text(self) -> str:
        if self.rect is not None:
            (r0, c0), (r1, c1) = self.rect
            where = f"the cells from ({r0}, {c0}) to ({r1}, {c1}) (rows {r0}-{r1}, columns {c0}-{c1})"
        else:
            where = "the cells " + ", ".join(f"({r}, {c})" for r, c in sorted(self.cells))
        return (
            f"EMERGENCY from step {self.step}: {where} are a danger zone. Pursuers must not move into a "
            "danger cell; a pursuer already inside may stay or move out. A move into the zone is a violation "
            "and is blocked (the pursuer stays). Evaders may enter the zone, and a pursuer cannot catch an "
            "evader there."
        )

    def filter_pursuer_actions(self, env: PursuitEnv, actions: Sequence[int]) -> tuple[list[int], int]:
        out, violations = list(actions), 0
        for i, (cell, action) in enumerate(zip(env.pursuers, actions, strict=True)):
            target = move(env.grid.obstacles, cell, int(action))
            if target != cell and target in self.cells:
                out[i], violations = STAY, violations + 1
        return out, violations

    def marked_cells(self) -> frozenset[Cell]:
        return self.cells


@dataclass(frozen=True)
class SlowedPursuer(EmergencyEvent):
    """From arrival, pursuer ``index`` may move only on every other step, starting with the arrival step.

    On an off step any action other than stay is a violation and is ignored (the pursuer stays).
    """

    index: int = 0
    kind: ClassVar[str] = "slowed_pursuer"

    def __post_init__(self) -> None:
        if not isinstance(self.index, int) or isinstance(self.index, bool) or self.index < 0:
            raise FormatError(f"slowed_pursuer index must be an integer >= 0, got {self.index!r}")

    def validate(self, grid: GridMap, n_pursuers: int) -> None:  # noqa: B027 - optional hook
        if self.index >= n_pursuers:
            raise UserError(f"slowed_pursuer index {self.index} is not a pursuer (there are {n_pursuers})")

    def may_move(self, step: int) -> bool:
        """Whether the pursuer may move when ``step`` steps have been taken (the event being active)."""
        return (step - self.step) % 2 == 0

    def rule_text(self) -> str:
        s = self.step
        return (
            f"EMERGENCY from step {s}: pursuer {self.index} (P{self.index}) is slowed. It may move only on steps "
            f"{s}, {s + 2}, {s + 4}, ... (every other step, counting the step number shown in the state). On steps "
            f"{s + 1}, {s + 3}, {s + 5}, ... it must stay; any other action there is a violation and is ignored "
            "(it stays)."
        )

    def filter_pursuer_actions(self, env: PursuitEnv, actions: Sequence[int]) -> tuple[list[int], int]:
        out = list(actions)
        if self.may_move(env.step_count) or int(out[self.index]) == STAY:
            return out, 0
        out[self.index] = STAY
        return out, 1


@dataclass(frozen=True)
class EvaderSprint(EmergencyEvent):
    """For ``duration`` steps from arrival every evader makes two successive single moves per step.

    It adds no rule the pursuers could break, so it never counts violations.
    """

    duration: int = 1
    kind: ClassVar[str] = "evader_sprint"

    def __post_init__(self) -> None:
        if not isinstance(self.duration, int) or isinstance(self.duration, bool) or self.duration < 1:
            raise FormatError(f"evader_sprint duration must be an integer >= 1, got {self.duration!r}")

    def is_active(self, step: int) -> bool:
        return self.step <= step < self.step + self.duration

    def rule_text(self) -> str:
        last = self.step + self.duration - 1
        return (
            f"EMERGENCY from step {self.step} to step {last}: the evader sprints. After the pursuers move it "
            "makes two single moves in a row instead of one, so it can end up to two cells away; it is caught "
            "if either move lands on a pursuer. There is nothing the pursuers can violate."
        )

    def evader_moves_per_step(self, env: PursuitEnv) -> int:
        return 2


_EVENTS: dict[str, type[EmergencyEvent]] = {}
_plugins_loaded = False


def register_event(kind: str, cls: type[EmergencyEvent]) -> None:
    """Let scenario files use ``kind`` for events of class ``cls`` (a subclass of EmergencyEvent)."""
    if not (isinstance(cls, type) and issubclass(cls, EmergencyEvent)):
        raise UserError(f"event class for {kind!r} must subclass EmergencyEvent, got {cls!r}")
    if not isinstance(kind, str) or not kind.isidentifier():
        raise UserError(f"event kind {kind!r} of {cls.__name__} must be a name like 'flood_zone'")
    _EVENTS[kind] = cls


def _load_plugins() -> None:
    """Register the installed ``logicdistill.events`` entry points once; a broken one is named and skipped."""
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for ep in plugins.entry_points(plugins.EVENT_GROUP):
        try:
            cls = plugins.load_entry_point(ep)
            register_event(getattr(cls, "kind", ep.name), cls)
        except UserError as err:
            plugins.warn(f"event plugin {ep.name!r}: {err}")


def event_kinds() -> list[str]:
    _load_plugins()
    return sorted(_EVENTS)


def make_event(kind: str, step: int, params: Mapping[str, Any] | None = None) -> EmergencyEvent:
    """The event of a registered ``kind`` arriving at ``step``; FormatError for an unknown kind or bad params."""
    _load_plugins()
    if not isinstance(kind, str) or kind not in _EVENTS:
        raise FormatError(f"unknown event kind {kind!r}: choose one of {', '.join(event_kinds())}")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise FormatError(f"event {kind!r}: step must be an integer >= 0, got {step!r}")
    if not isinstance(params or {}, Mapping):
        raise FormatError(f"event {kind!r}: params must be an object, got {params!r}")
    try:
        return _EVENTS[kind].from_params(step, dict(params or {}))
    except (FormatError, UserError):
        raise
    except Exception as err:  # a plugin event's own validation: one line, never a traceback
        raise FormatError(f"event {kind!r}: bad params {dict(params or {})!r} ({plugins.one_line(err)})") from None


for _cls in (DangerZone, SlowedPursuer, EvaderSprint):
    register_event(_cls.kind, _cls)
