"""The viewer page: one HTML file with its CSS and JavaScript inlined (shipped in ``viewer/``, no CDN).

Live (``GET /``), the page asks the server for tasks and plays episodes through ``/v1/episodes``. Recorded
(``play --html FILE``), the episode's snapshots are embedded and the same page steps through them offline.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def _asset(name: str) -> str:
    return resources.files("logicdistill.serve").joinpath("viewer", name).read_text(encoding="utf-8")


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element (no closing tag, no HTML comment opener)."""
    text = json.dumps(value, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(live: dict[str, Any] | None = None, recorded: dict[str, Any] | None = None) -> str:
    """The page: ``live`` = {"task", "policy"} served; ``recorded`` = {"task", "seed", "policies", "frames"}."""
    config = {"mode": "recorded", **recorded} if recorded is not None else {"mode": "live", **(live or {})}
    html = _asset("index.html")
    html = html.replace("/*CSS*/", _asset("viewer.css"))
    html = html.replace("/*CONFIG*/null", _script_json(config))
    return html.replace("/*JS*/", _asset("viewer.js").replace("</script", "<\\/script"))
