"""Resource limits for one sandboxed call, validated once and shared by the pool, the worker and the CLI."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Limits:
    """Per-call limits: CPU seconds, wall seconds, address-space megabytes and bytes of JSON output."""

    cpu_seconds: float = 2.0
    wall_seconds: float = 5.0
    memory_mb: int = 512
    max_output_bytes: int = 1_000_000

    def __post_init__(self) -> None:
        if not 0 < self.cpu_seconds <= 3600:
            raise ValueError(f"cpu_seconds must be in (0, 3600], got {self.cpu_seconds}")
        if not 0 < self.wall_seconds <= 3600:
            raise ValueError(f"wall_seconds must be in (0, 3600], got {self.wall_seconds}")
        if not 64 <= self.memory_mb <= 1 << 20:
            raise ValueError(f"memory_mb must be at least 64 (the interpreter needs it), got {self.memory_mb}")
        if not 16 <= self.max_output_bytes <= 1 << 31:
            raise ValueError(f"max_output_bytes must be in [16, 2**31], got {self.max_output_bytes}")

    def as_dict(self) -> dict[str, float | int]:
        """The limits as plain data, for the worker's start-up message."""
        return asdict(self)
