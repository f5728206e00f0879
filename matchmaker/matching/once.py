"""Tables built on first use, once, however many request threads ask for them at the same moment.

``functools.lru_cache`` would let each of those threads build its own copy: correct, but a burst of
requests right after a start would multiply the slowest work of the process.
"""

from __future__ import annotations

import functools
import threading
from typing import Callable, Generic, TypeVar

__all__ = ["built_once"]

T = TypeVar("T")
_NOT_BUILT = object()


class _BuiltOnce(Generic[T]):
    def __init__(self, build: Callable[[], T]):
        self._build = build
        self._lock = threading.Lock()
        self._value = _NOT_BUILT
        functools.update_wrapper(self, build)

    def __call__(self) -> T:
        value = self._value
        if value is _NOT_BUILT:
            with self._lock:
                value = self._value  # built by another thread while this one waited?
                if value is _NOT_BUILT:
                    value = self._value = self._build()
        return value

    def cache_clear(self) -> None:
        """Forget the table, as in a fresh process (for tests)."""
        with self._lock:
            self._value = _NOT_BUILT


def built_once(build: Callable[[], T]) -> _BuiltOnce[T]:
    """Call ``build()`` on first use only, under a lock; later calls return the same object.

    >>> @built_once
    ... def table():
    ...     print("building")
    ...     return {"a": 1}
    >>> table() is table()
    building
    True
    """
    return _BuiltOnce(build)
