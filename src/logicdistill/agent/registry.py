"""The policy registry: one entry per policy that any task with a stage layout gets (SPEC §4, §8).

An entry says everything the rest of the toolkit asks about a policy: its name, how to build it, which
command-line options it takes, whether it loads a student (so needs the [ml] extra and a device), and whether
it plays many episodes in lockstep. The CLI's checks, ``--help``, ``tasks`` and the evaluation runner read it;
a new policy is one ``register_policy`` call beside its class (agent/policies.py holds the built-in ones).

A name ending in ``:`` is a prefix entry: ``remote:`` answers every ``remote:URL``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from logicdistill.tasks.base import Policy

# The command-line options a policy may take, by their argparse destination.
OPTION_NAMES = frozenset({"teacher", "rule_teacher", "run"})


@dataclass(frozen=True)
class PolicySpec:
    """A policy as the toolkit knows it. ``factory(task, settings=Settings, **options) -> Policy``."""

    name: str
    factory: Callable[..., Policy]
    summary: str
    options: frozenset[str] = frozenset()
    loads_student: bool = False
    lockstep: bool = False
    needs_stages: bool = True  # only offered to tasks that declare a stage layout

    @property
    def is_prefix(self) -> bool:
        return self.name.endswith(":")

    def matches(self, name: str) -> bool:
        return name.startswith(self.name) and len(name) > len(self.name) if self.is_prefix else name == self.name

    def take(self, given: dict[str, Any]) -> dict[str, Any]:
        """The options of ``given`` (None: not given) that this policy takes."""
        return {k: v for k, v in given.items() if v is not None and k in self.options}


_REGISTRY: dict[str, PolicySpec] = {}


def register_policy(spec: PolicySpec) -> PolicySpec:
    """Add a policy (a name already taken is a programming error, not an override)."""
    unknown = spec.options - OPTION_NAMES
    if unknown:
        raise ValueError(f"policy {spec.name!r}: unknown options {sorted(unknown)}; known: {sorted(OPTION_NAMES)}")
    if spec.name in _REGISTRY and _REGISTRY[spec.name] != spec:
        raise ValueError(f"policy {spec.name!r} is registered already")
    _REGISTRY[spec.name] = spec
    return spec


def unregister_policy(name: str) -> None:
    _REGISTRY.pop(name, None)


def policy_spec(name: str) -> PolicySpec | None:
    """The entry for ``name``: an exact entry, else the prefix entry it starts with."""
    if name in _REGISTRY:
        return _REGISTRY[name]
    return next((s for s in _REGISTRY.values() if s.is_prefix and s.matches(name)), None)


def registered(has_stages: bool = True) -> list[PolicySpec]:
    """Every entry, in registration order (those needing stages only when ``has_stages``)."""
    return [s for s in _REGISTRY.values() if has_stages or not s.needs_stages]


def task_policy(name: str, factory: Callable[..., Policy]) -> PolicySpec:
    """An entry for one of a task's own policies (``Task.policies()``: ``factory(task, **options)``), which
    takes no command-line options, plays one episode at a time and loads no student."""

    def make(task: Any, settings: Any = None, **options: Any) -> Policy:
        return factory(task, **options)

    return PolicySpec(name, make, "the task's own policy")


def names(specs: Iterable[PolicySpec]) -> list[str]:
    return [s.name + ("URL" if s.is_prefix else "") for s in specs]
