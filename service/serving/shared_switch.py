"""A process-wide setting held while any thread is inside a block (the garbage collector
paused, BLAS on one thread): the first thread in turns it on, the last one out undoes it,
so threads that overlap never undo it under each other."""

from __future__ import annotations

import threading
from collections.abc import Callable


class SharedSwitch:
    """`with switch:` holds the setting; `turn_on()` applies it and returns its undo."""

    def __init__(self, turn_on: Callable[[], Callable[[], None]]) -> None:
        self.turn_on = turn_on
        self._lock, self._inside = threading.Lock(), 0
        self._undo: Callable[[], None] = lambda: None

    def __enter__(self) -> None:
        with self._lock:
            if self._inside == 0:
                self._undo = self.turn_on()
            self._inside += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._inside -= 1
            if self._inside == 0:
                self._undo()
