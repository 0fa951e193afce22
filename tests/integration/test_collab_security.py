"""Session security on the sandbox: end-to-end encrypted traffic as the server side sees it, and bad
input (malformed, oversized, replayed, foreign session, invalid CRDT) rejected with a log line and no
change, replay protection surviving a reconnect."""

from __future__ import annotations

import base64
import json
import time

import pytest
from pycrdt import Doc, Map

from tests.support.collab_support import (
    COORDINATOR,
    NURSE,
    PHYSIO,
    SURGEON,
    b64,
    key_ring,
    listener,
    station,
    until,
)
from tests.support.faultproxy import FaultProxy
from tjv_desktop.collab.engine import SEALED_PREFIX
from tjv_desktop.domain.events import LinkState

pytestmark = pytest.mark.sandbox

SECRET = "Hip dislocation risk, Mrs Thompson"
ACTION = "Call Thompson's daughter"
PATIENT = "c0000000-0000-4000-8000-000000001001"


async def _edit_and_capture(sandbox, ring):
    """Nurse and surgeon (with ``ring``, or none) in a new session, the physio listening without a key."""
    nurse, surgeon = await station(sandbox, NURSE, ring=ring), await station(sandbox, SURGEON, ring=ring)
    row = await nurse.core.sessions.create("E2E check")
    a, b = await nurse.core.sessions.open(row["id"]), await surgeon.core.sessions.open(row["id"])
    ear = await listener(sandbox, PHYSIO, row["id"])
    await until(lambda: len(a.engine.members) == 2 and len(b.engine.members) == 2, 10, "both present")
    a.engine.focus(PATIENT)
    a.engine.lead(True)
    a.engine.doc.set_text("summary", SECRET)
    a.engine.doc.add_action(ACTION)
    await until(lambda: b.engine.doc.text("summary") == SECRET and b.engine.doc.actions(), 10, "b reads it")
    await until(lambda: any(m.looking_at == PATIENT for m in b.engine.members), 15, "b sees a's patient")
    # lead, the text, the action (the listener joined after the two members' syncs)
    await until(lambda: len(ear.broadcasts) >= 3 and any('"at"' in json.dumps(p) for p in ear.presence), 10,
                "the listener received the traffic")
    return nurse, surgeon, a, b, ear, row


async def test_an_encrypted_sessions_traffic_read_from_the_server_side_holds_no_plaintext(sandbox):
    ring = key_ring("2026-11")
    nurse, surgeon, a, b, ear, row = await _edit_and_capture(sandbox, ring)
    try:
        wire = ear.wire_text()
        for plain in (SECRET, ACTION, "dislocation", "Thompson", PATIENT):
            assert plain not in wire, plain
        for message in ear.broadcasts:
            envelope = message["payload"]
            assert set(envelope) == {"v", "from", "seq", "kid", "n", "ct"} and envelope["kid"] == "2026-11"
        nonces = [m["payload"]["n"] for m in ear.broadcasts]
        assert len(set(nonces)) == len(nonces)  # a fresh nonce per message
        metas = [meta for state in ear.presence for metas in state.values() for meta in metas if "at" in meta]
        assert metas and all(set(meta["at"]) == {"kid", "n", "ct"} for meta in metas)
        assert b.engine.rejected == {}  # and the key holder read everything

        await a.leave()
        await b.leave()
        saved = await nurse.core.sessions.api.load(row["id"])
        assert saved["document_state"].startswith(SEALED_PREFIX) and saved["document_text"] is None
        assert "dislocation" not in saved["document_state"] and "Thompson" not in saved["document_state"]
        reopened = await surgeon.core.sessions.open(row["id"])
        assert reopened.engine.doc.text("summary") == SECRET
        await reopened.leave()

        # A workstation without the key gets nothing out of it, and says why.
        keyless = await station(sandbox, COORDINATOR)
        try:
            blind = await keyless.core.sessions.open(row["id"])
            assert blind.engine.doc.text("summary") == "" and blind.engine.rejected["undecryptable"] == 1
            await blind.leave()
        finally:
            await keyless.stop()
    finally:
        await ear.close()
        await nurse.stop()
        await surgeon.stop()


async def test_control_without_a_key_the_same_listener_does_read_the_text(sandbox):
    nurse, surgeon, a, b, ear, _row = await _edit_and_capture(sandbox, None)
    try:
        wire = ear.wire_text()
        assert SECRET in wire and ACTION in wire and PATIENT in wire  # so the check above can fail
        await a.leave()
        await b.leave()
    finally:
        await ear.close()
        await nurse.stop()
        await surgeon.stop()


def _update_setting_severity(doc_state: bytes, value: str) -> bytes:
    doc = Doc()
    doc.apply_update(doc_state)
    before = doc.get_state()
    doc.get("meta", type=Map)["severity"] = value
    return doc.get_update(before)


async def test_bad_broadcasts_are_rejected_with_a_log_line_and_change_nothing(sandbox, caplog):
    nurse, surgeon = await station(sandbox, NURSE), await station(sandbox, SURGEON)
    try:
        row = await nurse.core.sessions.create("Bad input")
        other = await nurse.core.sessions.create("Another session")
        a, b = await nurse.core.sessions.open(row["id"]), await surgeon.core.sessions.open(row["id"])
        attacker = await listener(sandbox, COORDINATOR, row["id"])  # a member with write access, no scruples
        await until(lambda: len(a.engine.members) == 2, 10, "both present")
        b.engine.doc.set_text("summary", "Legit text")
        await until(lambda: a.engine.doc.text("summary") == "Legit text", 10, "a has b's edit")
        await until(lambda: any(m["event"] == "doc" for m in attacker.broadcasts), 5, "attacker captured it")
        captured = next(m for m in attacker.broadcasts if m["event"] == "doc")["payload"]
        before = a.engine.doc.snapshot()

        now = int(time.time() * 1000)
        plain = {"v": 1, "from": "attacker-0001", "t": now}
        await attacker.send("doc", {"hello": "world"})                                    # malformed
        await attacker.send("evil", {**plain, "seq": 1, "s": row["id"], "body": {}})     # unknown event
        await attacker.send("doc", {**plain, "seq": 2, "s": row["id"], "body": {"u": "x" * 300_000}})  # oversized
        await attacker.send("doc", captured)                                             # replayed
        foreign = b64(_update_setting_severity(a.engine.doc.state(), "stable"))
        await attacker.send("doc", {**plain, "seq": 3, "s": other["id"], "body": {"u": foreign}})  # other session
        await attacker.send("doc", {**plain, "seq": 4, "s": row["id"], "body": {"u": b64(b"\x07garbage")}})
        invalid = b64(_update_setting_severity(a.engine.doc.state(), "dead"))
        await attacker.send("doc", {**plain, "seq": 5, "s": row["id"], "body": {"u": invalid}})
        await attacker.send("doc", {**plain, "seq": 6, "t": now - 600_000, "s": row["id"], "body": {"u": foreign}})

        await until(lambda: sum(a.engine.rejected.values()) == 8, 10, "all eight rejected")
        assert dict(a.engine.rejected) == {"malformed": 2, "oversized": 1, "replayed": 1, "wrong-session": 1,
                                           "invalid-update": 2, "stale": 1}
        assert a.engine.doc.snapshot() == before
        dropped = [r.getMessage() for r in caplog.records if "dropped a" in r.getMessage()]
        # b too, except its own message the attacker replayed (a sender ignores its own id)
        await until(lambda: sum(b.engine.rejected.values()) == 7, 10, "b rejected the other seven")
        dropped = [r.getMessage() for r in caplog.records if "dropped a" in r.getMessage()]
        assert len([m for m in dropped if row["id"] in m]) == 8 + 7

        b.engine.doc.set_text("summary", "Legit text, still flowing")  # the channel still works
        await until(lambda: a.engine.doc.text("summary") == "Legit text, still flowing", 10, "a legit edit")
        await attacker.close()
        await a.leave()
        await b.leave()
    finally:
        await nurse.stop()
        await surgeon.stop()


async def test_a_replayed_encrypted_message_is_refused_before_and_after_a_reconnect(sandbox):
    ring = key_ring("k1")
    host, port = sandbox.url.removeprefix("http://").split(":")
    proxy = await FaultProxy(host, int(port)).start()
    nurse = await station(sandbox, NURSE, url=proxy.url, ring=ring)
    surgeon = await station(sandbox, SURGEON, ring=ring)
    try:
        row = await surgeon.core.sessions.create("Replay")
        second = await surgeon.core.sessions.create("Replay, another topic")
        a, b = await nurse.core.sessions.open(row["id"]), await surgeon.core.sessions.open(row["id"])
        a2 = await nurse.core.sessions.open(second["id"])
        attacker = await listener(sandbox, COORDINATOR, row["id"])
        other_topic = await listener(sandbox, COORDINATOR, second["id"])
        await until(lambda: len(a.engine.members) == 2, 10, "both present")
        b.engine.doc.set_text("summary", "Sealed edit")
        await until(lambda: a.engine.doc.text("summary") == "Sealed edit", 10, "a decrypts b's edit")
        await until(lambda: any(m["event"] == "doc" for m in attacker.broadcasts), 5, "attacker captured it")
        captured = next(m for m in attacker.broadcasts if m["event"] == "doc")["payload"]
        assert "ct" in captured
        b.engine.doc.set_text("summary", "Sealed edit, then changed")
        await until(lambda: a.engine.doc.text("summary") == "Sealed edit, then changed", 10, "second edit")

        await attacker.send("doc", captured)
        await until(lambda: a.engine.rejected["replayed"] == 1, 10, "the replay is refused")

        reconnects = nurse.health.reconnects
        cut_at = time.monotonic()
        assert proxy.cut() >= 1
        await nurse.wait_state(LinkState.LOST, 15, after=cut_at)
        await until(lambda: nurse.health.reconnects > reconnects and a.state == "joined", 30, "a is back")
        await attacker.send("doc", captured)
        await until(lambda: a.engine.rejected["replayed"] == 2, 10, "the replay is refused after the reconnect")
        await attacker.send("doc", {**captured, "seq": captured["seq"] + 1000})  # renumbered: AAD mismatch
        await other_topic.send("doc", captured)  # moved to another session's topic: AAD mismatch
        await until(lambda: a.engine.rejected["undecryptable"] == 1 and a2.engine.rejected["undecryptable"] == 1,
                    10, "relabelled copies do not decrypt")
        assert a.engine.doc.text("summary") == "Sealed edit, then changed" and a2.engine.doc.text("summary") == ""
        for s in (attacker, other_topic):
            await s.close()
        for s in (a, a2, b):
            await s.leave()
    finally:
        await nurse.stop()
        await surgeon.stop()
        await proxy.stop()


# This test used to hang now and then (3 runs in 70 one day): the link's probe echo arrived as the link was being
# stopped, Python 3.11's wait_for dropped the cancellation and the probe loop ran on (see tasks.py).
@pytest.mark.timeout(90)
async def test_session_keys_come_from_the_os_keyring_and_a_broken_provisioning_refuses_sessions(
        sandbox, secret_service):
    from tests.support.collab_support import RIVERSIDE
    from tests.support.station import Station
    from tjv_desktop.backend.sessions import SessionRefused
    from tjv_desktop.backend.vault import SERVICE

    key = base64.b64encode(b"k" * 32).decode()
    good = json.dumps({"tenants": {RIVERSIDE: {"current": "it-2026", "keys": {"it-2026": key}}}})
    stations = []
    try:
        for document in (good, '{"tenants": {"' + RIVERSIDE + '": {"current": "x", "keys": {}}}}'):
            s = Station(sandbox.url, sandbox.anon_key, email=NURSE, backend=secret_service, join_timeout=8.0)
            secret_service.set_password(SERVICE, f"session-keys@{s.vault.server_url}", document)
            stations.append(await s.start())
        provisioned, broken = stations
        assert provisioned.core.sessions.encrypted and provisioned.core.sessions.key_ring.current == "it-2026"
        row = await provisioned.core.sessions.create("Keyring keys")
        session = await provisioned.core.sessions.open(row["id"])
        assert session.engine.encrypted
        await session.leave()
        assert not broken.core.sessions.encrypted  # and it does not quietly fall back to plain text:
        with pytest.raises(SessionRefused, match="session key of this workstation is unusable"):
            await broken.core.sessions.open(row["id"])
    finally:
        for s in stations:
            secret_service.delete_password(SERVICE, f"session-keys@{s.vault.server_url}")
            await s.stop()
