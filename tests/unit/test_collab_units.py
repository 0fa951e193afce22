"""The collaboration core without network or Qt: envelope crypto, replay window, the CRDT document,
key provisioning, two engines over an in-memory bus, and the import rules of the layers."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import random
from pathlib import Path

import pytest

from tjv_desktop.collab.document import HandoffDocument, minimal_change
from tjv_desktop.collab.engine import Me, SessionEngine
from tjv_desktop.collab.envelope import Envelope, Rejected
from tjv_desktop.collab.keys import KeyError_, SessionKeyRing, load_key_file, parse_key_document
from tjv_desktop.collab.replay import ReplayGuard

SID, OTHER = "5e550000-0000-4000-8000-000000001001", "5e550000-0000-4000-8000-000000002001"
K1, K2 = os.urandom(32), os.urandom(32)


def env(ring, sender="sender-aaaa", session=SID) -> Envelope:
    return Envelope(session, f"session:{session}", ring, sender)


def test_sealed_messages_open_only_with_the_same_topic_event_sender_and_sequence():
    ring = SessionKeyRing("k1", {"k1": K1})
    msg = env(ring).seal("doc", {"u": "AAE="})
    assert env(ring, "receiver-bb").open("doc", msg).body == {"u": "AAE="}
    for event, payload, kind in [
        ("focus", msg, "undecryptable"),                                     # relabelled event
        ("doc", {**msg, "seq": msg["seq"] + 1}, "undecryptable"),            # renumbered
        ("doc", {**msg, "from": "someone-else"}, "undecryptable"),           # another sender
        ("doc", {**msg, "ct": base64.b64encode(b"x" * 40).decode()}, "undecryptable"),  # tampered
        ("doc", {**msg, "kid": "k9"}, "undecryptable"),                      # unknown key
        ("doc", {**msg, "n": "!!"}, "malformed"),
    ]:
        with pytest.raises(Rejected) as info:
            env(ring, "receiver-bb").open(event, payload)
        assert info.value.kind == kind, (event, info.value)
    with pytest.raises(Rejected, match="undecryptable"):  # moved to another session's topic
        env(ring, "receiver-bb", session=OTHER).open("doc", msg)


def test_keys_rotate_a_plain_message_is_refused_where_keys_exist_and_sealed_ones_without():
    new = SessionKeyRing("k2", {"k2": K2, "k1": K1})
    old = SessionKeyRing("k1", {"k1": K1, "k2": K2})
    assert env(old, "r-0000000").open("doc", env(new).seal("doc", {"a": 1})).body == {"a": 1}
    retired = SessionKeyRing("k1", {"k1": K1})
    with pytest.raises(Rejected, match="no key 'k2'"):
        env(retired, "r-0000000").open("doc", env(new).seal("doc", {}))
    with pytest.raises(Rejected, match="plaintext"):
        env(new, "r-0000000").open("doc", env(None).seal("doc", {}))
    with pytest.raises(Rejected, match="undecryptable"):
        env(None, "r-0000000").open("doc", env(new).seal("doc", {}))
    with pytest.raises(Rejected, match="wrong-session"):
        env(None, "r-0000000").open("doc", env(None, session=OTHER).seal("doc", {}))


def test_replay_window_accepts_each_sequence_once_in_any_order_within_the_window():
    now = [1000.0]
    guard = ReplayGuard(window=64, clock=lambda: now[0])
    t = 1_000_000
    for seq in (1, 3, 2, 10, 5):
        guard.check("a-sender", seq, t)
    for seq in (1, 2, 3, 10):
        with pytest.raises(Rejected, match="replayed"):
            guard.check("a-sender", seq, t)
    guard.check("a-sender", 200, t)
    with pytest.raises(Rejected, match="older than the window"):
        guard.check("a-sender", 100, t)
    guard.check("b-sender", 1, t)  # senders are independent
    with pytest.raises(Rejected, match="stale"):
        guard.check("a-sender", 201, t - 121_000)


def test_minimal_change_and_text_positions_beyond_ascii():
    assert minimal_change("abcdef", "abXYef") == (2, 2, "XY")
    doc, other = HandoffDocument(), HandoffDocument()
    doc.set_text("summary", "Schmerz 😀 Knie")
    other.apply_remote(doc.state())
    doc.set_text("summary", "Schmerz 😀 linkes Knie")
    other.set_text("summary", "Starker Schmerz 😀 Knie")
    other.apply_remote(doc.missing_for(other.state_vector()))
    doc.apply_remote(other.missing_for(doc.state_vector()))
    assert doc.text("summary") == other.text("summary") == "Starker Schmerz 😀 linkes Knie"
    seen = []  # change listeners read the replica: they run after the transaction, not inside it
    other.change_listeners.append(lambda remote: seen.append((remote, other.text("summary"))))
    doc.set_text("summary", "Knie")
    other.apply_remote(doc.missing_for(other.state_vector()))
    other.set_severity("stable")
    assert seen == [(True, "Knie"), (False, "Knie")]


def test_three_replicas_converge_whatever_the_order_and_duplication_of_delivery_after_a_sync_round():
    """Out of order, Yrs may leave an update pending for good (pycrdt 0.14); the replica can tell
    (``lacks_part_of``) and the engine's state-vector sync closes the gap, as this test's last round does."""
    rng = random.Random(7)
    replicas = [HandoffDocument() for _ in range(3)]
    outboxes: list[list[bytes]] = [[] for _ in replicas]
    for doc, box in zip(replicas, outboxes, strict=True):
        doc.local_update_listeners.append(box.append)
    for step in range(300):
        i = rng.randrange(3)
        doc = replicas[i]
        text = doc.text("summary")
        at = rng.randrange(len(text) + 1)
        if text and rng.random() < 0.3:
            doc.set_text("summary", text[:at] + text[at + 1:])
        else:
            doc.set_text("summary", text[:at] + rng.choice("abcäö😀 ") + text[at:])
        if step % 25 == 0:
            doc.add_action(f"item {step}")
        if rng.random() < 0.3:  # deliver a random, shuffled, partly duplicated batch
            j = rng.randrange(3)
            batch = [u for k, box in enumerate(outboxes) if k != j for u in box]
            rng.shuffle(batch)
            for update in batch + batch[: len(batch) // 3]:
                replicas[j].apply_remote(update)
    for j, doc in enumerate(replicas):
        for k, box in enumerate(outboxes):
            if k != j:
                for update in reversed(box):
                    doc.apply_remote(update)
    for doc in replicas:  # the sync round: each asks with its state vector, the others answer
        for other in replicas:
            if other is not doc and (missing := other.missing_for(doc.state_vector())):
                doc.apply_remote(missing)
    assert not any(doc.lacks_part_of(u) for doc in replicas for box in outboxes for u in box)
    assert replicas[0].snapshot() == replicas[1].snapshot() == replicas[2].snapshot()
    assert len(replicas[0].actions()) == 12


def test_key_document_and_key_file_permissions(tmp_path: Path):
    doc = json.dumps({"tenants": {"t1": {"current": "k1", "keys": {"k1": base64.b64encode(K1).decode()}}}})
    ring = parse_key_document(doc, "t1")
    assert ring.current == "k1" and ring.key("k1") == K1
    assert parse_key_document(doc, "t2") is None
    with pytest.raises(KeyError_, match="32 bytes"):
        parse_key_document(json.dumps({"tenants": {"t1": {"current": "k", "keys": {"k": "AAAA"}}}}), "t1")
    with pytest.raises(KeyError_, match="not among"):
        parse_key_document(json.dumps({"tenants": {"t1": {"current": "x", "keys": {}}}}), "t1")
    path = tmp_path / "keys.json"
    path.write_text(doc)
    path.chmod(0o644)
    with pytest.raises(KeyError_, match="readable or writable by every user"):
        load_key_file(path, "t1")
    path.chmod(0o640)
    assert load_key_file(path, "t1").current == "k1"
    assert "K1" not in repr(ring) and base64.b64encode(K1).decode() not in repr(ring)


async def test_two_engines_over_a_bus_sync_offline_edits_both_ways_and_saved_state_round_trips():
    ring = SessionKeyRing("k1", {"k1": K1})
    engines: list[SessionEngine] = []

    def bus(me_index):
        async def send(event, payload):
            for k, other in enumerate(engines):
                if k != me_index and other.online:
                    other.handle_broadcast(event, json.loads(json.dumps(payload)))
        return send

    async def track(_meta):
        return None

    for i in range(2):
        engines.append(SessionEngine(SID, Me(f"user-{i}", f"User {i}", "clinician"), ring, bus(i), track))
    a, b = engines
    a.doc.set_text("summary", "written before anyone joined")  # offline: nothing is sent
    b.doc.add_action("b's offline action")
    a.joined()
    b.joined()

    async def settle():
        for _ in range(20):
            await asyncio.sleep(0)

    await settle()
    assert a.doc.snapshot() == b.doc.snapshot()
    assert b.doc.text("summary") == "written before anyone joined" and a.doc.actions()
    state, text = a.export_state()
    assert text is None and "written" not in state
    fresh = SessionEngine(SID, Me("user-2", "User 2", "clinician"), ring, bus(2), track)
    fresh.import_state(state)
    assert fresh.doc.snapshot() == a.doc.snapshot()
    keyless = SessionEngine(SID, Me("user-3", "User 3", "clinician"), None, bus(3), track)
    keyless.import_state(state)
    assert keyless.rejected["undecryptable"] == 1 and keyless.doc.text("summary") == ""
    for e in engines:
        await e.stop()
