"""The storage contract and the in-memory backend.

A storage method may answer a value or an awaitable; ``settle`` awaits only the
latter, so ``MemoryStorage`` stays synchronous and the core stays deterministic.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable
from typing import Protocol, TypeVar, runtime_checkable

T = TypeVar("T")

STORAGE_METHODS = ("get_item", "set_item", "remove_item")


@runtime_checkable
class SessionStorage(Protocol):
    """Where the session persists; each method may be sync or async."""

    def get_item(self, key: str) -> str | None | Awaitable[str | None]: ...

    def set_item(self, key: str, value: str) -> None | Awaitable[None]: ...

    def remove_item(self, key: str) -> None | Awaitable[None]: ...


async def settle(value: T | Awaitable[T]) -> T:
    """Await ``value`` only when it is awaitable (sync or async, decided by the value)."""
    if inspect.isawaitable(value):
        return await value
    return value


class MemoryStorage:
    """A dict behind the storage contract: no persistence across reloads, nothing on disk."""

    def __init__(self) -> None:
        self._items: dict[str, str] = {}

    def get_item(self, key: str) -> str | None:
        return self._items.get(key)

    def set_item(self, key: str, value: str) -> None:
        self._items[key] = value

    def remove_item(self, key: str) -> None:
        self._items.pop(key, None)


def create_memory_storage() -> MemoryStorage:
    """The TypeScript name for ``MemoryStorage()``."""
    return MemoryStorage()
