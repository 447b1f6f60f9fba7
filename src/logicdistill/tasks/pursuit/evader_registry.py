"""Evaders by name: ``PursuitEnv(evader="greedy")``; users add their own with :func:`register_evader`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from logicdistill.errors import UserError
from logicdistill.tasks.pursuit.evaders import EvaderPolicy, GreedyEvader, OptimalEvader, RandomEvader

EvaderFactory = Callable[..., EvaderPolicy]
_EVADERS: dict[str, EvaderFactory] = {"random": RandomEvader, "greedy": GreedyEvader, "optimal": OptimalEvader}


def register_evader(name: str, factory: EvaderFactory) -> None:
    """Make ``PursuitEnv(evader=name)`` build its evader with ``factory(**options)``."""
    _EVADERS[name] = factory


def evader_names() -> list[str]:
    return sorted([*_EVADERS, "llm"])


def make_evader(name: str, **options: Any) -> EvaderPolicy:
    """A new evader policy by registered name (``llm:openai:MODEL[@URL]`` for an LLM evader)."""
    if name == "llm" or name.startswith("llm:"):
        from logicdistill.tasks.pursuit.llm_evader import LLMEvader  # imported late: it needs the LLM client

        return LLMEvader(spec=name[4:] or None, **options)
    if name not in _EVADERS:
        raise UserError(f"unknown evader {name!r}: choose one of {', '.join(evader_names())}")
    return _EVADERS[name](**options)
