"""A cached property whose computation runs once per object even when threads ask for it together.

`functools.cached_property` has no lock from Python 3.12 on (and 3.11's is one lock for every
object of the class): a question that arrives while a background warm-up (`index.warmup`) reads
the speakers would start a second read of the same 2.7M rows. Here the second asker waits for
the first computation and takes its result.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class computed_once(Generic[T]):  # noqa: N801 (used as a decorator, like cached_property)
    """`cached_property`, computed under a lock of its own object and attribute."""

    def __init__(self, fn: Callable[[Any], T]) -> None:
        self.fn = fn
        self.name = fn.__name__
        self.__doc__ = fn.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> T:
        if obj is None:
            return self  # type: ignore[return-value]
        found = obj.__dict__
        if self.name in found:              # (normally the instance attribute answers before this)
            return found[self.name]
        with found.setdefault(f"{self.name} lock", threading.Lock()):   # setdefault: atomic
            if self.name not in found:
                found[self.name] = self.fn(obj)
            return found[self.name]
