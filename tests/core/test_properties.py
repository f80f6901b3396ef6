"""Property tests: readers of untrusted data never raise, the envelope round-trips, the store survives any event stream."""

from __future__ import annotations

import asyncio
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pysession
from pysession import Account, PersistedSessionSnapshot
from pysession._sync import SyncMessage, parse_sync_message
from pysession.testing import MockWallet, mock_account

from .support import ChannelHub, advance, loop, make_store, settle

UNTRUSTED = settings(max_examples=50, deadline=None)
"""Enough examples to find a missing type check; few enough for a suite that runs in seconds."""

STATUSES = {"disconnected", "connecting", "connected", "reconnecting"}
WIRE_KEYS = [
    "version",
    "account",
    "accounts",
    "networkId",
    "connectedAt",
    "expiresAt",
    "primary",
    "partyId",
    "status",
    "hint",
    "hasPreapproval",
    "utilityPreapprovalAdmins",
    "connection",
    "isConnected",
    "network",
    "v",
    "kind",
]
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from([1, "1", "party", "network", "disconnect", "canton:x", "p::1", 2**53])
)
JSONISH = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(WIRE_KEYS) | st.text(max_size=6), children, max_size=6),
    max_leaves=16,
)
ENVELOPE_LIKE = st.fixed_dictionaries(
    {"version": st.sampled_from([1, 1.0, 2, True, "1"]), "accounts": st.lists(JSONISH, max_size=3)},
    optional={"account": JSONISH, "networkId": JSONISH, "connectedAt": JSONISH, "expiresAt": JSONISH},
)
SYNC_LIKE = st.fixed_dictionaries(
    {"v": st.sampled_from([1, 2, "1", True, None]), "kind": st.sampled_from(["disconnect", "party", "network", "x"])},
    optional={"partyId": JSONISH, "networkId": JSONISH},
)

TEXT = st.text(max_size=40)
IDS = st.text(min_size=1, max_size=60)
ACCOUNTS = st.builds(
    Account,
    primary=st.booleans(),
    party_id=IDS,
    status=TEXT,
    hint=TEXT,
    public_key=TEXT,
    namespace=TEXT,
    network_id=TEXT,
    signing_provider_id=TEXT,
    has_preapproval=st.none() | st.booleans(),
    utility_preapproval_admins=st.none() | st.lists(TEXT, max_size=3).map(tuple),
)
EPOCH = st.integers(min_value=0, max_value=2**53 - 1)
SNAPSHOTS = st.builds(
    PersistedSessionSnapshot,
    account=st.none() | ACCOUNTS,
    accounts=st.lists(ACCOUNTS, max_size=3).map(tuple),
    network_id=st.none() | IDS,
    connected_at=EPOCH,
    expires_at=st.none() | EPOCH,
)


@UNTRUSTED
@given(JSONISH | ENVELOPE_LIKE)
def test_decode_never_raises(value):
    text = json.dumps(value)
    snapshot = pysession.decode_session_envelope(text)
    assert snapshot is None or isinstance(snapshot, PersistedSessionSnapshot)
    if snapshot is not None:
        assert pysession.decode_session_envelope(pysession.encode_session_envelope(snapshot)) == snapshot


@given(st.text(max_size=200))
def test_decode_of_any_text_never_raises(text):
    assert pysession.decode_session_envelope(text) is None or text.lstrip().startswith("{")


@UNTRUSTED
@given(JSONISH | ENVELOPE_LIKE)
def test_migrate_never_raises(value):
    result = pysession.migrate_session_envelope(value)
    assert result is None or isinstance(result, PersistedSessionSnapshot)


@UNTRUSTED
@given(JSONISH | SYNC_LIKE)
def test_parse_sync_message_never_raises(value):
    message = parse_sync_message(value)
    assert message is None or isinstance(message, SyncMessage)
    if message is not None:
        assert parse_sync_message(message.to_wire()) == message


@UNTRUSTED
@given(JSONISH | st.dictionaries(st.sampled_from(WIRE_KEYS), JSONISH))
def test_account_from_wire_raises_only_value_error(value):
    try:
        account = Account.from_wire(value)
    except ValueError:
        return
    assert Account.from_wire(account.to_wire()) == account


@given(SNAPSHOTS)
def test_envelope_round_trips(snapshot):
    text = pysession.encode_session_envelope(snapshot)
    assert pysession.decode_session_envelope(text) == snapshot
    assert json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False) == text
    text.encode("utf-8")


@given(
    base=st.floats(min_value=0, max_value=1e6),
    factor=st.floats(min_value=1, max_value=10),
    cap=st.floats(min_value=0, max_value=1e6),
    attempt=st.integers(min_value=1, max_value=2000),
    rand=st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_backoff_stays_within_the_cap_and_the_jitter_band(base, factor, cap, attempt, rand):
    plain = pysession.compute_backoff_delay(pysession.RetryPolicy(base, factor, cap), attempt)
    jittered = pysession.compute_backoff_delay(pysession.RetryPolicy(base, factor, cap, jitter=True), attempt, lambda: rand)
    assert type(plain) is int and type(jittered) is int
    assert 0 <= plain <= cap + 0.5
    assert plain // 2 <= jittered <= plain + 1


STATUS_PAYLOADS = st.builds(
    lambda connected, network: {"connection": {"isConnected": connected}, "network": {"networkId": network}},
    st.booleans(),
    st.sampled_from(["canton:a", "canton:b"]),
)
GOOD_PAYLOADS = {
    "statusChanged": STATUS_PAYLOADS,
    "connected": STATUS_PAYLOADS,
    "accountsChanged": st.lists(
        st.builds(mock_account, st.sampled_from(["p::1", "p::2", "p::3"]), st.just("canton:a"), primary=st.booleans()),
        max_size=3,
    ),
    "chainChanged": st.sampled_from([{"networkId": "canton:a"}, "canton:b"]),
}
EMITS = st.one_of(
    *(
        st.tuples(st.just("emit"), st.just(event), payloads | JSONISH)
        for event, payloads in GOOD_PAYLOADS.items()
    )
)
STEPS = st.lists(
    EMITS
    | st.tuples(
        st.sampled_from(["connect", "disconnect", "restore", "drop", "wallet_up", "refuse", "accept", "sign_out", "sign_in"])
    )
    | st.tuples(st.just("advance"), st.integers(min_value=0, max_value=20_000))
    | st.tuples(st.just("sync"), SYNC_LIKE | JSONISH),
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(STEPS)
def test_any_event_stream_keeps_the_store_in_its_four_states(run, steps):
    """Whatever the wallet, the user and other tabs do, nothing raises and the state stays coherent."""

    async def main():
        hub = ChannelHub()
        wallet = MockWallet()
        storage = pysession.MemoryStorage()
        store = make_store(
            wallet,
            storage=storage,
            reconnect=pysession.RetryPolicy(base_delay_ms=1000, max_attempts=3),
            expiry=pysession.ExpiryOptions(ttl_ms=30_000, on_reauth_required=lambda context: None),
            broadcast=hub.options,
        )
        other_tab = hub.factory(hub.names[-1])
        running = []
        for step in steps:
            kind = step[0]
            if kind == "emit":
                assert wallet.emit(step[1], step[2]) is True
            elif kind in ("connect", "disconnect", "restore"):
                running.append(asyncio.ensure_future(getattr(store, kind)()))
            elif kind == "drop":
                wallet.drop()
            elif kind == "wallet_up":
                wallet.set_connected(True)
            elif kind == "refuse":
                wallet.connect_error = RuntimeError("refused")
            elif kind == "accept":
                wallet.connect_error = None
            elif kind == "sign_out":
                wallet.signed_in = False
            elif kind == "sign_in":
                wallet.sign_in()
            elif kind == "advance":
                await advance(step[1])
            elif kind == "sync":
                other_tab.post(step[1])
            await settle()
            assert store.get_snapshot().status in STATUSES
        await advance(3_600_000)
        for task in running:
            assert task.exception() is None
        state = store.get_snapshot()
        assert state.status in STATUSES
        if state.status == "disconnected":
            assert (state.account, state.accounts, state.network_id) == (None, (), None)
            assert loop().pending_timers() == 0
        store.destroy()
        assert wallet.listener_count() == 0

    run(main)


# -- At scale: stored blobs, tab messages, wallet answers and events, each counted for the report.
# CI runs PYSESSION_CORE_EXAMPLES (default 100) examples of each; `python build.py reliability` 1,000.

import base64  # noqa: E402

import pytest  # noqa: E402
from reliability_report import record, size  # noqa: E402

from pysession._crypto_envelope import decode_crypto_envelope, encode_crypto_envelope  # noqa: E402

from .support import KEY, ScriptedWallet, returns  # noqa: E402

AT_SCALE = settings(
    max_examples=size("core_examples", ci=100, full=1000),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def at_scale(report, check, *strategies):
    """Check ``check`` on AT_SCALE examples of ``strategies``, then record for the report how many it took."""
    tried = 0

    @AT_SCALE
    @given(st.tuples(*strategies))
    def counted(example):
        nonlocal tried
        tried += 1
        check(*example)

    counted()
    record(report, inputs=tried)


GOOD_BLOB = st.builds(encode_crypto_envelope, st.binary(min_size=12, max_size=12), st.binary(min_size=16, max_size=200))


def _mutations(blob: str) -> st.SearchStrategy[str]:
    """Ways to spoil a good crypto envelope: each must read as "nothing persisted"."""
    obj = json.loads(blob)
    iv, ct = obj["iv"], obj["ct"]

    def frame(**fields):
        return json.dumps({**obj, **fields}, separators=(",", ":"))

    bad_b64 = st.sampled_from(["!!!!", iv + "=", iv + "==", iv[:-1] + "=", iv + "A", "AAA", "====", " " + iv, iv[:-1] + "é", "-_-_", "=" + iv[1:]])
    wrong = st.sampled_from([0, 2, -1, "1", 1.5, True, None, [1], {"f": 1}])
    return st.one_of(
        st.integers(0, max(len(blob) - 1, 0)).map(lambda n: blob[:n]),
        wrong.map(lambda f: frame(f=f)),
        st.just(json.dumps({"iv": iv, "ct": ct})),
        bad_b64.map(lambda b: frame(iv=b)),
        bad_b64.map(lambda b: frame(ct=b)),
        st.integers(0, 40).filter(lambda n: n != 12).map(lambda n: frame(iv=base64.b64encode(bytes(n)).decode())),
        st.integers(0, 15).map(lambda n: frame(ct=base64.b64encode(bytes(n)).decode())),
        wrong.map(lambda v: frame(iv=v)),
        wrong.map(lambda v: frame(ct=v)),
        st.sampled_from(["x", ",", "]", "{}"]).map(lambda tail: blob + tail),
        st.just("[" * 50_000 + "]" * 50_000),
        JSONISH.map(json.dumps),
    )


def test_every_spoiled_crypto_envelope_reads_as_nothing(run):
    def check(pair):
        good, spoiled = pair
        assert decode_crypto_envelope(good) is not None
        if spoiled != good:
            assert decode_crypto_envelope(spoiled) is None, spoiled

    pairs = GOOD_BLOB.flatmap(lambda blob: st.tuples(st.just(blob), _mutations(blob)))
    at_scale("core:crypto-envelopes", check, pairs)


STORED = st.one_of(
    st.text(max_size=300),
    JSONISH.map(json.dumps),
    ENVELOPE_LIKE.map(json.dumps),
    st.sampled_from(["1", "", "{", "[" * 20_000, '{"version":1,"accounts":[]}']),
)


def test_a_restore_over_any_stored_text_never_raises_and_always_asks_the_wallet(run):
    """Whatever is stored: restore never raises; a bad entry is removed; a readable one survives a live wallet."""

    def check(raw):
        async def main():
            storage = pysession.MemoryStorage()
            storage.set_item(KEY, raw)
            state = await make_store(MockWallet(connected=True), storage=storage).restore()
            # The original's rule: the wallet is asked whatever is stored; a bad entry gives way to the live session.
            assert state.status == "connected"
            assert pysession.decode_session_envelope(storage.get_item(KEY)).account == state.account

        run(main)

    at_scale("core:stored-texts", check, STORED)


def test_a_tab_message_that_does_not_parse_changes_nothing(run):
    def check(message):
        async def main():
            hub = ChannelHub()
            store = make_store(MockWallet(), broadcast=hub.options)
            await store.connect()
            before = store.get_snapshot()
            hub.factory(hub.names[-1]).post(message)
            await settle()
            if parse_sync_message(message) is None:
                assert store.get_snapshot() is before
            assert store.get_snapshot().status in STATUSES
            store.destroy()

        run(main)

    at_scale("core:tab-messages", check, JSONISH | SYNC_LIKE)


WALLET_METHODS = ["status", "listAccounts", "getActiveNetwork", "connect"]


def test_any_wallet_answer_is_contained_and_an_unreadable_status_keeps_the_session(run):
    def check(method, action, answer):
        async def main():
            storage = pysession.MemoryStorage()
            storage.set_item(KEY, "1")
            wallet = ScriptedWallet(connected=True)
            wallet.script[method] = returns(answer)
            state = await getattr(make_store(wallet, storage=storage), action)()
            assert state.status in ("connected", "disconnected")
            if state.status == "disconnected":
                assert (state.account, state.accounts, state.network_id) == (None, (), None)
            status_says_no = isinstance(answer, dict) and (
                answer.get("isConnected") is False
                or (isinstance(answer.get("connection"), dict) and answer["connection"].get("isConnected") is False)
            )
            if action == "restore" and not (method == "status" and status_says_no):
                assert storage.get_item(KEY) is not None, "an unreadable answer is not a wallet saying no"

        run(main)

    at_scale(
        "core:wallet-answers", check, st.sampled_from(WALLET_METHODS), st.sampled_from(["connect", "restore"]), JSONISH
    )


def test_any_wallet_event_is_contained_and_a_malformed_one_changes_nothing_else(run):
    def check(event, payload):
        async def main():
            wallet = MockWallet()
            store = make_store(wallet)
            await store.connect()
            before = store.get_snapshot()
            wallet.emit(event, payload)
            await settle()
            after = store.get_snapshot()
            assert after.status in STATUSES
            if after.last_error is not None and "malformed" in str(after.last_error):
                assert (after.status, after.account, after.accounts, after.network_id) == (
                    before.status, before.account, before.accounts, before.network_id,
                )
            store.destroy()

        run(main)

    at_scale(
        "core:wallet-events",
        check,
        st.sampled_from(["statusChanged", "connected", "accountsChanged", "chainChanged"]),
        JSONISH | GOOD_PAYLOADS["accountsChanged"],
    )


@pytest.mark.parametrize("padding", ["=", "=="])
def test_excess_base64_padding_is_bad_base64(padding):
    good = json.loads(encode_crypto_envelope(bytes(12), bytes(20)))
    assert decode_crypto_envelope(json.dumps({**good, "iv": good["iv"] + padding})) is None
