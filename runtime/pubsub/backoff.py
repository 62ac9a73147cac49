"""Capped exponential backoff: the delay policy of reconnects and publish retries.

Pure arithmetic: the caller sleeps. Jitter spreads the reconnects of many nodes
after a broker restart; the random source is injectable so tests are exact.
"""

from __future__ import annotations

import random
from collections.abc import Callable

__all__ = ["Backoff"]


class Backoff:
    """Delays ``initial, initial*factor, ...`` capped at ``maximum``, until ``reset()``.

    With ``jitter=j`` each delay is scaled by a factor drawn from ``[1-j, 1]``.
    """

    __slots__ = ("_next", "factor", "failures", "initial", "jitter", "maximum", "rand")

    def __init__(
        self,
        initial: float = 1.0,
        maximum: float = 60.0,
        factor: float = 2.0,
        jitter: float = 0.0,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if initial <= 0 or maximum < initial or factor < 1 or not 0 <= jitter < 1:
            raise ValueError("need 0 < initial <= maximum, factor >= 1 and 0 <= jitter < 1")
        self.initial = initial
        self.maximum = maximum
        self.factor = factor
        self.jitter = jitter
        self.rand = rand
        self.failures = 0
        self._next = initial

    def next_delay(self) -> float:
        """Record one more failure and return how long to wait before the next try."""
        delay = self._next
        self.failures += 1
        self._next = min(self._next * self.factor, self.maximum)
        if self.jitter:
            delay *= 1.0 - self.jitter * self.rand()
        return delay

    def reset(self) -> None:
        """A try succeeded: the next failure waits ``initial`` again."""
        self.failures = 0
        self._next = self.initial
