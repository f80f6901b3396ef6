"""The cookie backend writes WIRE.md's exact Set-Cookie-like text, through document.cookie or an adapter.

Expected values are encoded by the browser's own encodeURIComponent, so the
Python encoding must agree with it character for character.
"""

from __future__ import annotations

from kit import PRELUDE, connected_at, prepare, wire_envelope

PARTY = "party::zoë;=, /+%&?#"
REMOVAL = "; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; SameSite=Lax"

RECORD_COOKIE_WRITES = """() => {
  const cookie = Object.getOwnPropertyDescriptor(Document.prototype, "cookie");
  window.cookieWrites = [];
  Object.defineProperty(document, "cookie", {
    configurable: true,
    get: () => cookie.get.call(document),
    set: (text) => { cookieWrites.push(text); cookie.set.call(document, text); },
  });
}"""

ADAPTER = """
class Jar:
    # A server-side cookie jar: keeps name=value, records every header written.
    def __init__(self):
        self.cookies, self.headers = {}, []

    def read(self):
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def write(self, header):
        self.headers.append(header)
        name, _, rest = header.partition("=")
        value = rest.split(";", 1)[0]
        if "Max-Age=0" in header:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value
"""


def encode(tab, text: str) -> str:
    return tab.page.evaluate("(text) => encodeURIComponent(text)", text)


def test_document_cookie_gets_the_exact_header_and_survives_a_reload(pyodide_page):
    """A connect writes `pl_session=<encoded envelope>; Path=/; Max-Age=2592000; SameSite=Lax`; disconnect expires it."""
    tab = prepare(pyodide_page, shared=True, party_id=PARTY)
    tab.page.evaluate(RECORD_COOKIE_WRITES)
    tab.run("store = await connected_store(storage=create_cookie_storage())")
    [header] = tab.page.evaluate("cookieWrites")
    value = header.split(";", 1)[0].removeprefix("pl_session=")
    envelope = wire_envelope(PARTY, connected_at(tab.page.evaluate("(v) => decodeURIComponent(v)", value)))
    assert header == f"pl_session={encode(tab, envelope)}; Path=/; Max-Age=2592000; SameSite=Lax"
    assert tab.page.evaluate("document.cookie") == f"pl_session={encode(tab, envelope)}"
    assert tab.run("create_cookie_storage().get_item('any key')") == envelope

    tab.reload()
    tab.run(PRELUDE)
    tab.page.evaluate(RECORD_COOKIE_WRITES)
    state = tab.run(
        "store = pysession.create_session_store(js.mockWallet, storage=create_cookie_storage())\n"
        "await store.init()\nview(store)"
    )
    assert (state["status"], state["party"]) == ("connected", PARTY)
    # The original's rule: restore persists the session it resumes; the session (and its bytes) are the same.
    assert tab.page.evaluate("cookieWrites") == [header]

    tab.run("await store.disconnect()\nstore.destroy()")
    assert tab.page.evaluate("cookieWrites") == [header, "pl_session=" + REMOVAL]
    assert tab.page.evaluate("document.cookie") == ""


def test_an_adapter_gets_the_exact_headers_for_every_option(pyodide_page):
    """Name, path, max-age, SameSite and Secure as asked; SameSite=None forces Secure; removal as WIRE.md says."""
    tab = prepare(pyodide_page)
    tab.run(ADAPTER)
    text = wire_envelope(PARTY, 1_700_000_000_000)
    encoded = encode(tab, text)
    expires = "Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    cases = {
        "": (
            f"pl_session={encoded}; Path=/; Max-Age=2592000; SameSite=Lax",
            f"pl_session=; Path=/; {expires}; SameSite=Lax",
        ),
        "same_site='none'": (
            f"pl_session={encoded}; Path=/; Max-Age=2592000; SameSite=None; Secure",
            f"pl_session=; Path=/; {expires}; SameSite=None; Secure",
        ),
        "secure=True": (
            f"pl_session={encoded}; Path=/; Max-Age=2592000; SameSite=Lax; Secure",
            f"pl_session=; Path=/; {expires}; SameSite=Lax; Secure",
        ),
        "name='sess', path='/app', max_age=60, same_site='strict', secure=True": (
            f"sess={encoded}; Path=/app; Max-Age=60; SameSite=Strict; Secure",
            f"sess=; Path=/app; {expires}; SameSite=Strict; Secure",
        ),
    }
    for options, headers in cases.items():
        written = tab.run(
            f"jar = Jar()\nstorage = create_cookie_storage({options}{', ' if options else ''}adapter=jar)\n"
            f"storage.set_item('k', {text!r})\nread = storage.get_item('k')\nstorage.remove_item('k')\n"
            "[read, storage.get_item('k'), jar.headers]"
        )
        assert written == [text, None, list(headers)], options


def test_a_cookie_written_by_plain_js_is_read(pyodide_page):
    """The reverse: `pl_session=encodeURIComponent(envelope)` set by page JS, among other cookies, restores."""
    tab = prepare(pyodide_page, connected=True, party_id=PARTY)
    text = wire_envelope(PARTY, 1_700_000_000_000)
    tab.page.evaluate(
        "(text) => { document.cookie = 'a=1'; document.cookie = `pl_session=${encodeURIComponent(text)}; Path=/`;"
        " document.cookie = 'b=2'; }",
        text,
    )
    assert tab.run("create_cookie_storage().get_item('k')") == text
    state = tab.run(
        "store = pysession.create_session_store(js.mockWallet, storage=create_cookie_storage())\n"
        "await store.init()\nview(store)"
    )
    assert (state["status"], state["party"], state["error"]) == ("connected", PARTY, None)
    tab.run("store.destroy()")
