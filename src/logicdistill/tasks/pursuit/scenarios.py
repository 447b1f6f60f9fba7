"""Emergency scenarios: a JSON file names a map and schedules events.

```json
{"name": "danger_zone", "description": "...", "map": "open",
 "events": [{"kind": "danger_zone", "step": 4, "params": {"rect": [[4, 3], [5, 6]]}}]}
```

``map`` may be null or left out (the environment's default pool of named maps); ``description``
and ``params`` may be left out. Shipped scenarios live next to this module in ``scenarios/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from logicdistill.errors import FormatError, UserError
from logicdistill.tasks.pursuit.emergencies import EmergencyEvent, make_event

SCENARIOS_DIR = Path(__file__).parent / "scenarios"
_TOP_KEYS = {"name", "description", "map", "events"}
_EVENT_KEYS = {"kind", "step", "params"}


@dataclass(frozen=True)
class Scenario:
    """A named schedule of emergency events on a map (``None``: the default pool)."""

    name: str
    description: str
    map: str | None
    events: tuple[EmergencyEvent, ...]


def scenario_names() -> list[str]:
    """The shipped scenarios."""
    return sorted(p.stem for p in SCENARIOS_DIR.glob("*.json"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name, or a scenario file by path; FormatError says what is wrong in a file."""
    path = Path(name_or_path)
    if not path.is_file():
        shipped = SCENARIOS_DIR / f"{name_or_path}.json"
        if path.exists() and not shipped.is_file():
            raise UserError(f"scenario {str(name_or_path)!r} is a folder, not a JSON file")
        if not shipped.is_file() and (path.suffix or len(path.parts) > 1):  # a file name, not a scenario name
            raise UserError(
                f"scenario file {str(name_or_path)!r}: no such file (shipped scenarios: {', '.join(scenario_names())})"
            )
        if not shipped.is_file():
            raise UserError(
                f"unknown scenario {str(name_or_path)!r}: use one of {', '.join(scenario_names())} or a JSON file"
            )
        path = shipped
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FormatError(f"scenario {path}: not valid JSON ({exc})") from None
    return parse_scenario(data, source=str(path))


def parse_scenario(data: Any, source: str = "scenario") -> Scenario:
    """Check and build a scenario from parsed JSON."""
    if not isinstance(data, dict):
        raise FormatError(f"{source}: expected a JSON object with {sorted(_TOP_KEYS)}")
    extra = sorted(set(data) - _TOP_KEYS)
    if extra:
        raise FormatError(f"{source}: unknown keys {extra}; allowed {sorted(_TOP_KEYS)}")
    name, description, map_spec = data.get("name"), data.get("description", ""), data.get("map")
    if not isinstance(name, str) or not name:
        raise FormatError(f"{source}: 'name' must be a non-empty string")
    if not isinstance(description, str):
        raise FormatError(f"{source}: 'description' must be a string")
    if map_spec is not None and not isinstance(map_spec, str):
        raise FormatError(f"{source}: 'map' must be a map spec string or null, got {map_spec!r}")
    events = data.get("events")
    if not isinstance(events, list):
        raise FormatError(f"{source}: 'events' must be a list of {{kind, step, params}} objects")
    parsed = []
    for i, event in enumerate(events):
        where = f"{source}: events[{i}]"
        if not isinstance(event, dict) or not {"kind", "step"} <= set(event) or set(event) - _EVENT_KEYS:
            raise FormatError(f"{where} must be an object with 'kind', 'step' and optional 'params', got {event!r}")
        try:
            parsed.append(make_event(event["kind"], event["step"], event.get("params", {})))
        except FormatError as exc:
            raise FormatError(f"{where}: {exc}") from None
    return Scenario(name, description, map_spec, tuple(parsed))
