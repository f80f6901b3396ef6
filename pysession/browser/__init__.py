"""The browser edges: IndexedDB, WebCrypto, BroadcastChannel, localStorage, cookies, timers.

Importable anywhere; a factory called outside a browser raises
``BrowserUnavailableError`` naming what is missing.
"""

from __future__ import annotations

from .._sync import BroadcastOptions
from .broadcast import open_sync_channel
from .cookies import create_cookie_storage
from .encrypted import create_encrypted_indexeddb_storage, create_encrypted_local_storage
from .provider import JsProvider

__all__ = [
    "BroadcastOptions",
    "JsProvider",
    "create_cookie_storage",
    "create_encrypted_indexeddb_storage",
    "create_encrypted_local_storage",
    "open_sync_channel",
]

for _name in __all__:
    globals()[_name].__module__ = "pysession.browser"
del _name
