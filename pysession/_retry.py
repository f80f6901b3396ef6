"""Backoff math for automatic reconnect: pure, so the exact offsets are testable."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """delay(attempt) = min(base_delay_ms * factor ** (attempt - 1), max_delay_ms)."""

    base_delay_ms: float = 500
    factor: float = 2
    max_delay_ms: float = 30_000
    max_attempts: int = 5
    jitter: bool = False

    def __post_init__(self) -> None:
        _require(self.base_delay_ms >= 0, "base_delay_ms must be >= 0")
        _require(self.factor >= 1, "factor must be >= 1")
        _require(self.max_delay_ms >= 0, "max_delay_ms must be >= 0")
        _require(isinstance(self.max_attempts, int) and self.max_attempts >= 1, "max_attempts must be an int >= 1")


DEFAULT_RETRY_POLICY = RetryPolicy()


def compute_backoff_delay(policy: RetryPolicy, attempt: int, rand: Callable[[], float] = random.random) -> int:
    """Milliseconds to wait before ``attempt`` (1-based), rounded half up like Math.round."""
    _require(attempt >= 1, "attempt must be >= 1")
    try:
        delay = min(policy.base_delay_ms * policy.factor ** (attempt - 1), policy.max_delay_ms)
    except OverflowError:
        delay = policy.max_delay_ms
    if policy.jitter:
        delay *= 0.5 + 0.5 * rand()
    return math.floor(delay + 0.5)
