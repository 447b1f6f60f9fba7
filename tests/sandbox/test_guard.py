"""The worker's run-time guard, in this process on throw-away classes (the real modules stay untouched)."""

from __future__ import annotations

import abc
import types

import pytest

from logicdistill.sandbox.guard import StateGuard, read_only_module


def _roots():
    class Base(abc.ABC):  # noqa: B024 - an ABC for its registry, not for abstract methods
        def method(self):
            return 1

    class Child(Base):
        LIMITS = [1, 2]

    def helper():
        return 2

    module = read_only_module("sandboxed:demo", {"Child": Child, "helper": helper})
    return module, Child, Base, helper


def test_an_unchanged_world_passes_and_the_snapshot_is_small():
    module, *_ = _roots()
    guard = StateGuard({"demo": module})
    assert guard.changed() is None
    assert 0 < len(guard) < 50


@pytest.mark.parametrize(
    "change",
    [
        lambda m, child, base, helper: setattr(child, "extra", 1),
        lambda m, child, base, helper: setattr(base, "method", lambda self: 2),  # reached through the MRO
        lambda m, child, base, helper: delattr(base, "method"),
        lambda m, child, base, helper: setattr(helper, "memo", {}),
        lambda m, child, base, helper: child.LIMITS.append(3),
        lambda m, child, base, helper: base.register(int),
        lambda m, child, base, helper: vars(m).update(helper=None),  # only planted code could: vars is banned
    ],
    ids=[
        "new_class_attr",
        "replaced_base_method",
        "deleted_method",
        "function_attr",
        "class_list",
        "register",
        "module_dict",
    ],
)
def test_each_change_is_named(change):
    roots = _roots()
    guard = StateGuard({"demo": roots[0]})
    change(*roots)
    assert guard.changed() is not None


def test_the_culprit_is_named():
    module, child, *_ = _roots()
    guard = StateGuard({"demo": module})
    child.LIMITS.append(3)
    assert guard.changed().endswith("Child.LIMITS")
    child.LIMITS.pop()
    child.extra = 1
    assert guard.changed().endswith("Child")


def test_module_proxies_refuse_attribute_changes():
    module = read_only_module("sandboxed:demo", {"x": 1})
    with pytest.raises(AttributeError, match="read-only"):
        module.x = 2
    with pytest.raises(AttributeError, match="read-only"):
        del module.x
    assert module.x == 1 and isinstance(module, types.ModuleType)
