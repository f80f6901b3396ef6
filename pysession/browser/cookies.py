"""A plain-text cookie backend, for a server that must read the session.

Never an auth token: the store re-checks the live provider on restore. The value
is ``encodeURIComponent(<session envelope>)``; attributes per WIRE.md.
"""

from __future__ import annotations

from typing import Literal, Protocol

from ._ffi import js_api

SameSite = Literal["lax", "strict", "none"]
_SAME_SITE = {"lax": "Lax", "strict": "Strict", "none": "None"}
_EXPIRED = "Thu, 01 Jan 1970 00:00:00 GMT"


class CookieJar(Protocol):
    """Where cookies are read and written: ``document.cookie`` by default."""

    def read(self) -> str: ...

    def write(self, cookie: str) -> None: ...


class DocumentCookies:
    def __init__(self) -> None:
        self._document = js_api("document", "document.cookie")

    def read(self) -> str:
        return str(self._document.cookie)

    def write(self, cookie: str) -> None:
        self._document.cookie = cookie


def encode_uri_component(text: str) -> str:
    """JavaScript's ``encodeURIComponent``."""
    from urllib.parse import quote  # imported on use: it costs ~100 ms of start-up under Pyodide

    return quote(text, safe="-_.!~*'()")


def decode_uri_component(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text, errors="strict")


class CookieStorage:
    """One cookie holds the session; the storage key is not part of its name."""

    def __init__(self, name: str, max_age: int, path: str, same_site: SameSite, secure: bool, jar: CookieJar) -> None:
        self.name = name
        self._jar = jar
        self._attributes = [f"Path={path}"]
        self._same_site = f"SameSite={_SAME_SITE[same_site]}"
        self._secure = secure or same_site == "none"
        self._max_age = max_age

    def header(self, value: str) -> str:
        """The exact ``Set-Cookie``-style text written for ``value``."""
        return self._join(f"{self.name}={encode_uri_component(value)}", f"Max-Age={self._max_age}")

    def removal_header(self) -> str:
        return self._join(f"{self.name}=", "Max-Age=0", f"Expires={_EXPIRED}")

    def _join(self, pair: str, *lifetime: str) -> str:
        parts = [pair, *self._attributes, *lifetime, self._same_site]
        if self._secure:
            parts.append("Secure")
        return "; ".join(parts)

    def get_item(self, key: str) -> str | None:
        for pair in self._jar.read().split(";"):
            name, sep, value = pair.strip().partition("=")
            if sep and name == self.name and value:
                try:
                    return decode_uri_component(value)
                except UnicodeDecodeError:
                    return None
        return None

    def set_item(self, key: str, value: str) -> None:
        self._jar.write(self.header(value))

    def remove_item(self, key: str) -> None:
        self._jar.write(self.removal_header())


def create_cookie_storage(
    name: str = "pl_session",
    max_age: int = 2_592_000,
    path: str = "/",
    same_site: SameSite = "lax",
    secure: bool = False,
    adapter: CookieJar | None = None,
) -> CookieStorage:
    """The cookie backend; ``adapter`` replaces ``document.cookie`` (a server-side jar, a test)."""
    if same_site not in _SAME_SITE:
        raise ValueError(f"same_site must be one of {sorted(_SAME_SITE)}")
    if not isinstance(max_age, int) or max_age < 0:
        raise ValueError("max_age must be an int >= 0")
    return CookieStorage(name, max_age, path, same_site, secure, adapter or DocumentCookies())
