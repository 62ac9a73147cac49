"""Reconnection delays: exponential backoff with jitter, as a pure function."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ReconnectPolicy"]


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """python-socketio's reconnection options.

    ``attempts`` 0 means unlimited. The delay before attempt ``n`` (0-based) is
    ``min(delay * 2**n, delay_max)`` scaled by a random factor in
    ``[1 - randomization_factor, 1 + randomization_factor]`` (engine.io-client's
    jitter; python-socketio adds ``randomization_factor`` *seconds* instead, which
    swamps sub-second delays).
    """

    enabled: bool = True
    attempts: int = 0
    delay: float = 1.0
    delay_max: float = 5.0
    randomization_factor: float = 0.5

    def __post_init__(self) -> None:
        if self.attempts < 0 or self.delay < 0 or self.delay_max < 0:
            raise ValueError("reconnection attempts and delays must be >= 0")
        if not 0 <= self.randomization_factor <= 1:
            raise ValueError("randomization_factor must be within [0, 1]")

    def next_delay(self, attempt: int, rand: float) -> float:
        """Seconds to wait before attempt ``attempt``; ``rand`` is uniform in [0, 1)."""
        # Cap the exponent: 2**attempt overflows a float after ~1000 attempts.
        base = min(self.delay * 2.0 ** min(attempt, 64), self.delay_max)
        jitter = 1.0 + self.randomization_factor * (2.0 * rand - 1.0)
        return max(0.0, float(base) * jitter)

    def gives_up(self, attempts_made: int) -> bool:
        return self.attempts > 0 and attempts_made >= self.attempts
