"""The wallet as the store speaks to it: requests, answers and events read at the edge.

A failed request raises a ``WalletError``: the wallet's message, code and data, its error as the cause;
``ask`` is for follow-up requests whose failure means "none" (the original's rule).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from ._account import Account, accounts_from_wire
from ._errors import WalletError, reported
from ._provider import ProviderStatus, read_network, read_status
from ._storage import settle

logger = logging.getLogger("pysession")

Report = Callable[[str, Exception], None]
Read = TypeVar("Read")
"""What a follow-up request's reader makes of the answer."""


class Wallet:
    """Requests to a CIP-0103 provider (or its adapter) and its three events, read before they are applied."""

    def __init__(self, adapter: Any, report: Report) -> None:
        self._adapter = adapter
        self._report = report
        self._listeners: dict[str, Callable[..., None]] = {}

    async def request(self, method: str, params: Any = None) -> Any:
        payload: dict[str, Any] = {"method": method}
        if params is not None:
            payload["params"] = params
        try:
            return await settle(self._adapter.request(payload))
        except Exception as exc:
            raise WalletError.from_failure(method, exc) from exc

    async def status(self) -> ProviderStatus:
        return read_status(await self.request("status"))

    async def ask(self, method: str, read: Callable[[Any], Read]) -> Read | None:
        """A follow-up request: its answer read, or None when it fails."""
        try:
            return read(await self.request(method))
        except Exception:
            logger.debug("pysession: %s failed; taken as none", method, exc_info=True)
            return None

    async def live(self) -> tuple[tuple[Account, ...] | None, str | None] | None:
        """What a wallet that says it is connected has (``status``, then accounts and network); None if it is not."""
        status = await self.status()
        if not status.connected:
            return None
        return await self.session(accounts=True, status=status, network_id=None)

    async def session(
        self, *, accounts: bool, status: ProviderStatus | None, network_id: str | None
    ) -> tuple[tuple[Account, ...] | None, str | None]:
        """What a connected wallet has: ``listAccounts`` when wanted, and the network when still unknown, at once."""
        if status is not None and status.network_id is not None:
            network_id = status.network_id
        if network_id is not None:
            return (await self.ask("listAccounts", accounts_from_wire) if accounts else None), network_id
        asked_network = self.ask("getActiveNetwork", read_network)
        if not accounts:
            return None, await asked_network
        listed, network_id = await asyncio.gather(self.ask("listAccounts", accounts_from_wire), asked_network)
        return listed, network_id

    def listen(self, handlers: dict[str, Callable[[Any], None]], guard: Callable[..., Callable[..., None]]) -> None:
        """Listen to the wallet's events, each payload read first; a malformed one is reported, not applied.

        ``connected`` is the reference dApp SDK's async provider's twin of ``statusChanged``.
        """
        readers = {
            "statusChanged": read_status,
            "connected": read_status,
            "accountsChanged": accounts_from_wire,
            "chainChanged": read_network,
        }
        for event, apply in handlers.items():
            listener = guard(functools.partial(self._read_event, event, readers[event], apply))
            self._listeners[event] = listener
            self._adapter.on(event, listener)

    def stop_listening(self) -> None:
        for event, listener in self._listeners.items():
            with reported(self._report, "removing a provider listener failed"):
                self._adapter.remove_listener(event, listener)
        self._listeners.clear()

    def _read_event(self, event: str, read: Callable[[Any], Any], apply: Callable[[Any], None], *args: Any) -> None:
        try:
            value = read(args[0] if args else None)
        except ValueError as exc:
            self._report(f"ignored a malformed {event} event", exc)
            return
        apply(value)
