"""Replies kept in the store: encrypted at rest, refused when empty or over 8 KB before anything is
written, kept once per action id, and marked sent with the server's message row."""

from __future__ import annotations

import os

import pytest

from tjv_desktop.store import MAX_REPLY_BYTES, LocalStore, StoreDataError


@pytest.fixture
def store(tmp_path):
    s = LocalStore.open(tmp_path / "store.db", os.urandom(32))
    yield s
    s.close()


def test_a_reply_is_kept_encrypted_and_once_per_action_id(store, tmp_path):
    body = "Ice the knee for twenty minutes"
    assert store.record_reply("p-1", body, "a-1", "nurse")
    assert not store.record_reply("p-1", body, "a-1", "nurse")  # the same action id: nothing new
    assert [(r.action_id, r.body, r.state) for r in store.pending_replies()] == [("a-1", body, "pending")]
    store.checkpoint()
    assert b"twenty" not in (tmp_path / "store.db").read_bytes()  # the file itself holds no text
    trail = store.audit_trail(entity_id="p-1")
    assert [e.action for e in trail] == ["command.reply"]
    assert trail[0].details == {"action_id": "a-1", "bytes": len(body)}  # no text in the audit


@pytest.mark.parametrize("body", ["", "   ", "é" * (MAX_REPLY_BYTES // 2 + 1)])
def test_an_empty_or_too_long_reply_is_refused_and_nothing_is_written(store, body):
    with pytest.raises(StoreDataError, match="1 to 8192 bytes"):
        store.record_reply("p-1", body, "a-1", "nurse")
    assert store.pending_replies() == [] and store.audit_trail() == []


def test_sent_replaces_the_pending_reply_by_the_server_message(store):
    store.record_reply("p-1", "Call us", "a-1", "nurse")
    server = {"id": "m-1", "patient_id": "p-1", "sender_role": "provider", "body": "Call us",
              "updated_at": "2026-12-06T01:00:00+00:00"}
    changes = store.mark_reply_sent("a-1", server)
    assert changes.keys("messages") == {"m-1"} and changes.keys("replies") == {"a-1"}
    assert store.replies_for_patient("p-1") == [] and store.pending_replies() == []
    assert store.get("messages", "m-1")["body"] == "Call us"
    store.record_reply("p-1", "Second", "a-2", "nurse")
    store.mark_reply_failed("a-2", "42501: not assigned", permanent=True)
    assert [(r.state, r.last_error) for r in store.replies_for_patient("p-1")] == [("failed", "42501: not assigned")]
