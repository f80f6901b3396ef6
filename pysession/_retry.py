"""Automatic reconnect: the backoff math (pure, so the exact offsets are testable) and its timer."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from ._timers import Cancel, Timers


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def require_number(value: object, name: str) -> None:
    """A finite int or float (not a bool), or a ``TypeError``/``ValueError`` naming the argument."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    _require(math.isfinite(value), f"{name} must be finite")


def require_count(value: object, name: str) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    _require(value >= 1, f"{name} must be >= 1")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """delay(attempt) = min(base_delay_ms * factor ** (attempt - 1), max_delay_ms)."""

    base_delay_ms: float = 500
    factor: float = 2
    max_delay_ms: float = 30_000
    max_attempts: int = 5
    jitter: bool = False

    def __post_init__(self) -> None:
        for name in ("base_delay_ms", "factor", "max_delay_ms"):
            require_number(getattr(self, name), name)
        _require(self.base_delay_ms >= 0, "base_delay_ms must be >= 0")
        _require(self.factor >= 1, "factor must be >= 1")
        _require(self.max_delay_ms >= 0, "max_delay_ms must be >= 0")
        require_count(self.max_attempts, "max_attempts")


DEFAULT_RETRY_POLICY = RetryPolicy()


def compute_backoff_delay(policy: RetryPolicy, attempt: int, rand: Callable[[], float] = random.random) -> int:
    """Milliseconds to wait before ``attempt`` (1-based), rounded half up like Math.round."""
    require_count(attempt, "attempt")
    try:
        delay = min(policy.base_delay_ms * policy.factor ** (attempt - 1), policy.max_delay_ms)
    except OverflowError:
        delay = policy.max_delay_ms
    if policy.jitter:
        delay *= 0.5 + 0.5 * rand()
    return math.floor(delay + 0.5)


class Backoff:
    """One reconnect run: its attempt count and the timer of its next attempt."""

    def __init__(self, policy: RetryPolicy, timers: Timers) -> None:
        self.policy = policy
        self.attempt = 0
        self._timers = timers
        self._timer: Cancel | None = None

    @property
    def running(self) -> bool:
        """Between a drop and its outcome: an attempt is waiting or under way."""
        return self._timer is not None or self.attempt > 0

    @property
    def spent(self) -> bool:
        return self.attempt >= self.policy.max_attempts

    def schedule(self, run: Callable[[int], None]) -> tuple[int, int]:
        """Arm the next attempt; returns it and its delay (ms)."""
        attempt = self.attempt + 1
        delay = compute_backoff_delay(self.policy, attempt)

        def fire() -> None:
            self._timer = None
            self.attempt = attempt
            run(attempt)

        self._timer = self._timers.call_later(delay, fire)
        return attempt, delay

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer()
            self._timer = None
        self.attempt = 0
