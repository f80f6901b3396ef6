"""A set of callbacks, each registered once, notified so that one failing never stops the rest."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

logger = logging.getLogger("pysession")

F = TypeVar("F", bound=Callable[..., Any])


class Listeners(Generic[F]):
    """Insertion-ordered; adding the same callable twice keeps one registration (a Set, as the original)."""

    def __init__(self) -> None:
        self._items: dict[F, None] = {}

    def __len__(self) -> int:
        return len(self._items)

    def add(self, listener: F) -> Callable[[], None]:
        """Register ``listener``; returns its own undo."""
        self._items[listener] = None
        return lambda: self.discard(listener)

    def discard(self, listener: F) -> None:
        self._items.pop(listener, None)

    def clear(self) -> None:
        self._items.clear()

    def notify(self, *args: Any) -> None:
        """Call each listener registered now; an error is logged, never raised."""
        for listener in list(self._items):
            try:
                listener(*args)
            except Exception:
                logger.exception("pysession: a listener raised")


def guarded(
    handler: Callable[..., None], report: Callable[[str, Exception], None], stopped: Callable[[], bool]
) -> Callable[..., None]:
    """Wrap an inbound callback (a wallet event, a tab message) so that nothing it meets raises into its caller."""

    def guarded_handler(*args: Any) -> None:
        if stopped():
            return
        try:  # on every event: a plain try, cheaper than a context manager
            handler(*args)
        except Exception as exc:
            report("handling a wallet event or a tab message failed", exc)

    return guarded_handler


def release(cleanups: tuple[Callable[[], None], ...]) -> None:
    """Run every cleanup; one failing is logged and the rest still run."""
    for cleanup in cleanups:
        try:
            cleanup()
        except Exception:
            logger.debug("pysession: cleanup failed", exc_info=True)
