"""A function base's fingerprint: what a distilled student was trained on, so a mismatch can be told."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def base_fingerprint(base: Any) -> str:
    """SHA-256 (16 hex) over the stage layout and every function's name, source and manual: two versions with
    the same functions share it, whatever their number or date."""
    data = {
        "stages": [[s.name, s.produces] for s in base.stages],
        "functions": {name: [f.source_hash, f.compact()] for name, f in sorted(base.functions.items())},
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]
