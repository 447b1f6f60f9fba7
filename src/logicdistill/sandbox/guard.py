"""The worker's run-time guard of state that every sandboxed module shares (standard library only).

A worker runs one function after another, and all of them share the objects of the allowed modules. The
static rule ``mutation`` rejects ``math.pi = 3`` and ``Counter.most_common = ...``, but not a local alias
(``c = Counter; c.x = 1``) nor calls that mutate (``typing.Iterable.register(int)`` makes every later
``isinstance(5, Iterable)`` true). Two run-time layers close that gap:

* Read-only module proxies (``read_only_module``): setting or deleting an attribute of ``math``, however it
  is reached, raises AttributeError in the offending call.
* ``StateGuard``: at start-up the worker records the state of every mutable object reachable from the
  proxies and the builtins; after each call it compares; on any change the call fails and the worker is
  retired, so the next call runs in a fresh interpreter.

Why not fresh copies of the modules per call: re-importing ``typing`` or ``collections`` costs milliseconds
a call, and C state (ABC registries, ``abc``'s cache token) would stay shared anyway. Why not freeze the
classes: CPython offers no supported way. Snapshot-and-verify costs some microseconds a call and also
catches what nobody thought of, as long as it is reachable from the allowed modules' public names.
"""

from __future__ import annotations

import abc
import types
from itertools import chain
from operator import attrgetter, is_, itemgetter
from typing import Any

_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: classes written in Python, whose attributes can be set
_IMMUTABLE = 1 << 8  # Py_TPFLAGS_IMMUTABLETYPE (3.10+): heap types that refuse attribute assignment
_SCALARS = (int, float, complex, str, bytes, bool, type(None), frozenset, range, slice)


def read_only_module(name: str, attributes: dict[str, Any]) -> types.ModuleType:
    """A module object holding ``attributes`` whose attributes cannot be set or deleted.

    The class is built in a namespace holding nothing else, so even a leaked method reaches no globals.
    """
    namespace: dict[str, Any] = {
        "__builtins__": {"__build_class__": __build_class__, "AttributeError": AttributeError},
        "__name__": "sandbox",
        "ModuleType": types.ModuleType,
    }
    exec(
        "class ReadOnlyModule(ModuleType):\n"
        "    __slots__ = ()\n"
        "    def __setattr__(self, name, value):\n"
        "        raise AttributeError(f'cannot set {name!r}: modules are read-only in the sandbox')\n"
        "    def __delattr__(self, name):\n"
        "        raise AttributeError(f'cannot delete {name!r}: modules are read-only in the sandbox')\n",
        namespace,
    )
    module = namespace["ReadOnlyModule"](name)
    vars(module).update(attributes)
    return module


_CLASS_PARTS = attrgetter("__class__", "__bases__")  # a 2-tuple per class


def _name(obj: Any, fallback: str) -> str:
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return f"{module}.{qualname}" if isinstance(module, str) and isinstance(qualname, str) else fallback


def _public(mapping: Any) -> list[str]:
    return [key for key in mapping if isinstance(key, str) and not key.startswith("_")]


def _same(now: tuple, before: tuple) -> bool:
    return len(now) == len(before) and all(map(is_, now, before))


class StateGuard:
    """Snapshots shared mutable state once; ``changed()`` names what differs from the snapshot, if anything.

    Watched: every object reachable from ``roots`` through public names, which is all that sandboxed code
    reaches once the static checks ban ``_``-names, ``vars``, ``setattr`` and friends. Per call: the size of
    every dict (class, function, module proxy) and plain container, the identities of the values under the
    public names of those dicts (the only ones such code can replace) and of the containers' elements, the
    metaclass and bases of Python classes, and ``abc.get_cache_token()``, which every ``register`` on any
    ABC advances. Identity only, never ``==``: that could run a planted ``__eq__`` and be made to lie. Some
    200 references are compared in C-level passes: about 10 microseconds, a fraction of a call's round trip.
    """

    def __init__(self, roots: dict[str, Any]) -> None:
        self._labels: dict[int, str] = {}
        self._sized: list[Any] = []  # every watched dict and container: its size must not change
        self._getters: list[tuple[Any, Any, int]] = []  # (itemgetter of the public keys, mapping, count)
        self._containers: list[Any] = []  # plain lists, sets and dicts: every element
        self._classes: list[type] = []
        seen: set[int] = set()
        todo = list(roots.items())
        while todo:
            label, obj = todo.pop()
            if id(obj) in seen or isinstance(obj, _SCALARS):
                continue
            seen.add(id(obj))
            todo.extend(self._watch(label, obj))
        self._token = abc.get_cache_token()
        self._snapshot = self._state()  # holds every part: identities stay unique while it lives

    def _state(self) -> tuple[list[int], tuple, tuple]:
        values = chain.from_iterable(getter(mapping) for getter, mapping, _ in self._getters)
        contents = chain.from_iterable(self._containers)
        classes = chain.from_iterable(map(_CLASS_PARTS, self._classes))
        return list(map(len, self._sized)), (*values, *contents), tuple(classes)

    def _mapping(self, label: str, mapping: Any) -> list[tuple[str, Any]]:
        self._sized.append(mapping)
        self._labels[id(mapping)] = label
        keys = _public(mapping)
        if keys:
            self._getters.append((itemgetter(*keys, keys[0]), mapping, len(keys) + 1))  # 2+ keys: a tuple
        return [(f"{label}.{key}", mapping[key]) for key in keys]

    def _watch(self, label: str, obj: Any) -> list[tuple[str, Any]]:
        """Start watching ``obj`` when it is mutable; return the objects reachable from it to visit next."""
        if isinstance(obj, type):
            if not obj.__flags__ & _HEAPTYPE or obj.__flags__ & _IMMUTABLE:
                return []  # C types refuse attribute assignment
            label = _name(obj, label)
            self._classes.append(obj)
            self._labels[id(obj)] = label
            bases = [(label, base) for base in (*obj.__mro__[1:], type(obj))]
            return [*bases, *self._mapping(label, obj.__dict__)]
        if isinstance(obj, types.FunctionType):
            return self._mapping(_name(obj, label), obj.__dict__)
        if isinstance(obj, types.ModuleType):  # read-only proxies, watched all the same: defence in depth
            return self._mapping(obj.__name__.removeprefix("sandboxed:"), vars(obj))
        if isinstance(obj, (staticmethod, classmethod)):
            return [(label, obj.__func__)]
        if isinstance(obj, property):
            return [(label, f) for f in (obj.fget, obj.fset, obj.fdel) if f is not None]
        if isinstance(obj, tuple):
            return [(label, item) for item in obj]
        if isinstance(obj, (list, set, bytearray, dict)):
            self._sized.append(obj)
            self._containers.append(obj)
            self._labels[id(obj)] = label
            return [(label, item) for item in (obj.values() if isinstance(obj, dict) else obj)]
        # Typing aliases forward public attribute reads and writes to their origin class.
        origin = getattr(obj, "__origin__", None)
        return [(label, origin)] if origin is not None else []

    def changed(self) -> str | None:
        """A description of the first watched object whose state differs from the snapshot, else None."""
        sizes, values, classes = self._snapshot
        now_sizes = list(map(len, self._sized))  # sizes first: an inflated dict is never copied
        if now_sizes != sizes:
            return next(self._labels[id(o)] for o, a, b in zip(self._sized, now_sizes, sizes, strict=True) if a != b)
        if abc.get_cache_token() != self._token:
            return "the registry of an ABC (a register() call)"
        try:
            now = self._state()
        except KeyError:  # a public key was deleted and another added: same size, missing key
            now = None
        if now is None or not (_same(now[1], values) and _same(now[2], classes)):
            return self._culprit()
        return None

    def _culprit(self) -> str:
        _, values, classes = self._snapshot
        offset = 0
        for getter, mapping, count in self._getters:
            try:
                found = getter(mapping)
            except KeyError:
                found = ()
            if not _same(found, values[offset : offset + count]):
                return self._labels[id(mapping)]
            offset += count
        for container in self._containers:
            if not _same(tuple(container), values[offset : offset + len(container)]):
                return self._labels[id(container)]
            offset += len(container)
        for index, cls in enumerate(self._classes):
            if not _same(_CLASS_PARTS(cls), classes[2 * index : 2 * index + 2]):
                return self._labels[id(cls)]
        return "?"

    def __len__(self) -> int:
        return len(self._sized) + len(self._classes)
