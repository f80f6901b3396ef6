"""The session envelope byte for byte (WIRE.md), its reading rules, Account's wire shape, and reconcile (SCENARIO-2)."""

from __future__ import annotations

import json

import pytest

import pysession
from pysession import Account, PersistedSessionSnapshot, SessionDiff

ALICE = Account(
    primary=True,
    party_id="alice::1220ab",
    status="allocated",
    hint="alice",
    public_key="pk",
    namespace="1220ab",
    network_id="canton:da-devnet",
    signing_provider_id="wallet-x",
)
ALICE_WIRE = (
    '{"primary":true,"partyId":"alice::1220ab","status":"allocated","hint":"alice","publicKey":"pk",'
    '"namespace":"1220ab","networkId":"canton:da-devnet","signingProviderId":"wallet-x"}'
)


def test_envelope_bytes_match_wire_md():
    """Compact JSON, keys in WIRE.md order, no expiresAt when unset: what the TypeScript store writes."""
    text = pysession.encode_session_envelope(PersistedSessionSnapshot(ALICE, (ALICE,), "canton:da-devnet", 1700000000000))
    assert text == (
        '{"version":1,"account":' + ALICE_WIRE + ',"accounts":[' + ALICE_WIRE + '],'
        '"networkId":"canton:da-devnet","connectedAt":1700000000000}'
    )


def test_expires_at_is_written_last_and_only_when_set():
    text = pysession.encode_session_envelope(PersistedSessionSnapshot(None, (), None, 5, expires_at=65))
    assert text == '{"version":1,"account":null,"accounts":[],"networkId":null,"connectedAt":5,"expiresAt":65}'


def test_preapproval_fields_follow_signing_provider_id_only_when_reported():
    bob = Account(True, "bob::1", "allocated", "", "", "", "canton:x", "w", False, ("admin::1", "admin::2"))
    assert json.dumps(bob.to_wire(), separators=(",", ":")) == (
        '{"primary":true,"partyId":"bob::1","status":"allocated","hint":"","publicKey":"","namespace":"",'
        '"networkId":"canton:x","signingProviderId":"w","hasPreapproval":false,'
        '"utilityPreapprovalAdmins":["admin::1","admin::2"]}'
    )
    assert list(ALICE.to_wire()) == [
        "primary",
        "partyId",
        "status",
        "hint",
        "publicKey",
        "namespace",
        "networkId",
        "signingProviderId",
    ]


def test_non_ascii_is_written_as_itself():
    """UTF-8 as itself, not \\u escapes: the TypeScript side's JSON.stringify output."""
    zoe = Account(True, "zoë::1", "allocated", "Zoë 🎉", "", "", "canton:x", "w")
    text = pysession.encode_session_envelope(PersistedSessionSnapshot(zoe, (zoe,), "canton:x", 0))
    assert '"hint":"Zoë 🎉"' in text and "\\u" not in text
    assert '"partyId":"zoë::1"' in text


def test_the_envelope_never_stores_a_status():
    """Status is derived from the live wallet on restore, never persisted."""
    obj = json.loads(pysession.encode_session_envelope(PersistedSessionSnapshot(ALICE, (ALICE,), "canton:x", 1)))
    assert set(obj) == {"version", "account", "accounts", "networkId", "connectedAt"}


def test_decode_reads_what_encode_wrote():
    snapshot = PersistedSessionSnapshot(ALICE, (ALICE,), "canton:da-devnet", 1700000000000, 1700000060000)
    assert pysession.decode_session_envelope(pysession.encode_session_envelope(snapshot)) == snapshot
    assert pysession.CURRENT_SESSION_ENVELOPE_VERSION == 1


def minimal(**fields) -> str:
    return json.dumps({"version": 1, "accounts": [], **fields})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (minimal(), PersistedSessionSnapshot(None, (), None, 0)),
        (minimal(connectedAt="1700000000000"), PersistedSessionSnapshot(None, (), None, 0)),
        (minimal(connectedAt=True), PersistedSessionSnapshot(None, (), None, 0)),
        (minimal(connectedAt=None), PersistedSessionSnapshot(None, (), None, 0)),
        (minimal(connectedAt=42, expiresAt="soon"), PersistedSessionSnapshot(None, (), None, 42)),
        (minimal(connectedAt=42, expiresAt=None), PersistedSessionSnapshot(None, (), None, 42)),
        (minimal(connectedAt=42, expiresAt=True), PersistedSessionSnapshot(None, (), None, 42)),
        (minimal(connectedAt=42, expiresAt=99), PersistedSessionSnapshot(None, (), None, 42, 99)),
        (minimal(account=None, networkId=None), PersistedSessionSnapshot(None, (), None, 0)),
        (minimal(networkId="canton:x", extra={"ignored": True}), PersistedSessionSnapshot(None, (), "canton:x", 0)),
        ('{"version":1.0,"accounts":[]}', PersistedSessionSnapshot(None, (), None, 0)),
    ],
    ids=[
        "minimal",
        "connectedAt string",
        "connectedAt true",
        "connectedAt null",
        "expiresAt string",
        "expiresAt null",
        "expiresAt true",
        "expiresAt number",
        "explicit nulls",
        "unknown keys",
        "version 1.0 is the JSON number 1",
    ],
)
def test_lenient_reading_rules(text, expected):
    """WIRE.md: missing account/networkId read as null, a non-number connectedAt as 0, a non-number expiresAt as absent."""
    assert pysession.decode_session_envelope(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        '{"version":true,"accounts":[]}',
        '{"version":"1","accounts":[]}',
        '{"version":2,"accounts":[]}',
        '{"version":0,"accounts":[]}',
        '{"version":null,"accounts":[]}',
        '{"accounts":[]}',
        '{"version":1}',
        '{"version":1,"accounts":null}',
        '{"version":1,"accounts":"[]"}',
        '{"version":1,"accounts":[{"primary":true}]}',
        '{"version":1,"accounts":[],"account":"alice"}',
        '{"version":1,"accounts":[],"networkId":7}',
        "[]",
        "null",
        "1",
        '"1"',
        "",
        "{",
        "[" * 100_000,
    ],
)
def test_refused_envelopes_read_as_none(text):
    """WIRE.md: anything else, including a higher version, is refused without raising."""
    assert pysession.decode_session_envelope(text) is None


@pytest.mark.parametrize("value", [None, 1, b'{"version":1,"accounts":[]}', ["1"]])
def test_decode_of_a_non_string_is_none(value):
    """Storage that hands back garbage types reads as nothing persisted."""
    assert pysession.decode_session_envelope(value) is None


def test_migrate_maps_a_parsed_v1_object_and_refuses_others():
    assert pysession.migrate_session_envelope({"version": 1, "accounts": [ALICE.to_wire()], "account": None}) == (
        PersistedSessionSnapshot(None, (ALICE,), None, 0)
    )
    assert pysession.migrate_session_envelope({"version": 2, "accounts": []}) is None
    assert pysession.migrate_session_envelope("{}") is None
    assert pysession.migrate_session_envelope(None) is None


# -- Account ---------------------------------------------------------------------------------


def test_account_from_wire_keeps_unknown_keys_verbatim_and_fills_missing_optional_ones():
    """The original's rule: accounts round-trip verbatim; keys pysession does not know are kept, never dropped."""
    account = Account.from_wire({"partyId": "p::1", "somethingNew": {"x": 1}})
    assert account == Account(False, "p::1", "", "", "", "", "", "", extra={"somethingNew": {"x": 1}})
    assert account.has_preapproval is None and account.utility_preapproval_admins is None
    assert account.to_wire()["somethingNew"] == {"x": 1}
    with pytest.raises(TypeError):
        account.extra["somethingNew"] = 2  # type: ignore[index]


def test_account_wire_round_trip_keeps_preapproval_fields():
    wire = {**ALICE.to_wire(), "hasPreapproval": True, "utilityPreapprovalAdmins": ["a::1"]}
    account = Account.from_wire(wire)
    assert account.utility_preapproval_admins == ("a::1",)
    assert account.to_wire() == wire


@pytest.mark.parametrize(
    "wire",
    [
        {},
        {"partyId": ""},
        {"partyId": None},
        {"partyId": 7},
        {"partyId": "p::1", "primary": "yes"},
        {"partyId": "p::1", "primary": 1},
        {"partyId": "p::1", "hint": None},
        {"partyId": "p::1", "networkId": 3},
        {"partyId": "p::1", "hasPreapproval": "true"},
        {"partyId": "p::1", "utilityPreapprovalAdmins": "a::1"},
        {"partyId": "p::1", "utilityPreapprovalAdmins": [1]},
        {"partyId": "p" * 5000},
        ["partyId", "p::1"],
        "p::1",
        None,
    ],
)
def test_account_from_wire_refuses_wrong_types_with_value_error(wire):
    with pytest.raises(ValueError):
        Account.from_wire(wire)


def test_account_is_frozen():
    with pytest.raises(AttributeError):
        ALICE.party_id = "mallory::1"  # type: ignore[misc]


# -- reconcile (SCENARIO-2) --------------------------------------------------------------------


def test_reconcile_matches_when_party_and_network_agree():
    snapshot = PersistedSessionSnapshot(ALICE, (ALICE,), "canton:da-devnet", 0)
    result = pysession.reconcile_session(snapshot, account=ALICE, network_id="canton:da-devnet")
    assert result == pysession.ReconcileResult(matches=True, diffs=())


def test_reconcile_reports_each_difference_as_a_structured_diff():
    """SCENARIO-2: the user changed account and network while away; the app gets both diffs, no exception."""
    bob = Account(True, "bob::1", "allocated", "", "", "", "canton:mainnet", "w")
    snapshot = PersistedSessionSnapshot(ALICE, (ALICE,), "canton:da-devnet", 0)
    result = pysession.reconcile_session(snapshot, account=bob, network_id="canton:mainnet")
    assert result.matches is False
    assert result.diffs == (
        SessionDiff("party_id", "alice::1220ab", "bob::1"),
        SessionDiff("network_id", "canton:da-devnet", "canton:mainnet"),
    )


def test_reconcile_handles_missing_sides():
    snapshot = PersistedSessionSnapshot(None, (), None, 0)
    result = pysession.reconcile_session(snapshot, account=ALICE, network_id=None)
    assert result.diffs == (SessionDiff("party_id", None, "alice::1220ab"),)
    gone = pysession.reconcile_session(PersistedSessionSnapshot(ALICE, (ALICE,), "n:1", 0), account=None, network_id=None)
    assert [d.field for d in gone.diffs] == ["party_id", "network_id"] and not gone.matches


def test_deeply_nested_json_is_refused_before_it_is_parsed():
    """Under Pyodide, json.loads of a few thousand nested brackets kills the interpreter: such text reads as nothing."""
    from pysession._crypto_envelope import decode_crypto_envelope

    deep = "[" * 100_000 + "]" * 100_000
    assert pysession.decode_session_envelope(deep) is None
    assert decode_crypto_envelope(deep) is None
    assert pysession.decode_session_envelope('{"version":1,"accounts":[],"networkId":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}') is not None
