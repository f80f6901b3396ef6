"""The CIP-0103 account, read and written in its camelCase wire shape.

Everything that reaches the core from a wallet, a storage blob or another tab
passes through ``Account.from_wire``: a value of the wrong type is refused with
``ValueError`` here, so the store never holds half-valid data.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, overload

MAX_ID_LENGTH = 1024
"""Longest party or network id accepted; anything longer is garbage, not an id."""

_MAX_TEXT_LENGTH = 8192

# (python field, wire key, default when the key is missing)
_TEXT_FIELDS = (
    ("status", "status", ""),
    ("hint", "hint", ""),
    ("public_key", "publicKey", ""),
    ("namespace", "namespace", ""),
    ("network_id", "networkId", ""),
    ("signing_provider_id", "signingProviderId", ""),
)
_KNOWN_KEYS = frozenset(
    {"primary", "partyId", "hasPreapproval", "utilityPreapprovalAdmins"} | {key for _, key, _ in _TEXT_FIELDS}
)
_NO_EXTRA: Mapping[str, Any] = MappingProxyType({})


@overload
def check_id(value: Any, what: str, *, optional: Literal[False] = False) -> str: ...
@overload
def check_id(value: Any, what: str, *, optional: bool) -> str | None: ...


def check_id(value: Any, what: str, *, optional: bool = False) -> str | None:
    """A party or network id: a non-empty string of sane length (or None when optional)."""
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        raise ValueError(f"{what} must be a non-empty string of at most {MAX_ID_LENGTH} characters")
    return value


@dataclass(frozen=True, slots=True)
class Account:
    """One wallet account; the active one is the primary, else the first."""

    primary: bool
    party_id: str
    status: str
    hint: str
    public_key: str
    namespace: str
    network_id: str
    signing_provider_id: str
    has_preapproval: bool | None = None
    utility_preapproval_admins: tuple[str, ...] | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: _NO_EXTRA, hash=False, repr=False)
    """Keys of the wallet's account this version does not know, kept to be written back as they came."""

    @classmethod
    def from_wire(cls, wire: Any) -> Account:
        """Read the camelCase shape; unknown keys are kept in ``extra``, wrong types refused."""
        if not isinstance(wire, dict):
            raise ValueError(f"an account must be an object, not {type(wire).__name__}")
        primary = wire.get("primary", False)
        if not isinstance(primary, bool):
            raise ValueError("account.primary must be a boolean")
        fields: dict[str, Any] = {
            "primary": primary,
            "party_id": check_id(wire.get("partyId"), "account.partyId"),
        }
        for name, key, default in _TEXT_FIELDS:
            value = wire.get(key, default)
            if not isinstance(value, str) or len(value) > _MAX_TEXT_LENGTH:
                raise ValueError(f"account.{key} must be a string")
            fields[name] = value
        preapproval = wire.get("hasPreapproval")
        if preapproval is not None and not isinstance(preapproval, bool):
            raise ValueError("account.hasPreapproval must be a boolean")
        admins = wire.get("utilityPreapprovalAdmins")
        if admins is not None:
            if not isinstance(admins, list) or not all(isinstance(a, str) for a in admins):
                raise ValueError("account.utilityPreapprovalAdmins must be a list of strings")
            admins = tuple(admins)
        extra = {key: value for key, value in wire.items() if key not in _KNOWN_KEYS}
        return cls(
            **fields,
            has_preapproval=preapproval,
            utility_preapproval_admins=admins,
            extra=MappingProxyType(copy.deepcopy(extra)) if extra else _NO_EXTRA,
        )

    def to_wire(self) -> dict[str, Any]:
        """The camelCase shape, keys in WIRE.md order; optional keys only when reported."""
        wire: dict[str, Any] = {"primary": self.primary, "partyId": self.party_id}
        for name, key, _ in _TEXT_FIELDS:
            wire[key] = getattr(self, name)
        if self.has_preapproval is not None:
            wire["hasPreapproval"] = self.has_preapproval
        if self.utility_preapproval_admins is not None:
            wire["utilityPreapprovalAdmins"] = list(self.utility_preapproval_admins)
        wire.update(copy.deepcopy(dict(self.extra)))
        return wire


def active_account(accounts: tuple[Account, ...]) -> Account | None:
    """The primary account, else the first, else None."""
    return next((a for a in accounts if a.primary), accounts[0] if accounts else None)


def accounts_from_wire(wire: Any) -> tuple[Account, ...]:
    if not isinstance(wire, list):
        raise ValueError(f"accounts must be a list, not {type(wire).__name__}")
    return tuple(Account.from_wire(item) for item in wire)
