"""No free text reaches the outbox file (security review, item 8): the outbox is unencrypted by design
(salvageable without the key), so a reject reason is kept as its code and turned back into the English
text the server records when the command is read to be sent; anything else is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from tjv_desktop.domain.alerts import REJECT_REASONS
from tjv_desktop.store import LocalStore, StoreDataError

KEY = bytes(range(32))
OTHER_KEY = bytes(range(32, 64))
NOW = "2026-11-24T13:00:00+00:00"


def alert(alert_id: str) -> dict:
    return {"id": alert_id, "patient_id": "pt-1", "provider_id": "pr-1", "priority": "high", "state": "active",
            "kind": "spo2_low", "message": "SpO2 84 %", "raised_at": NOW, "updated_at": NOW}


def file_bytes(path: Path) -> bytes:
    """The store as it lies on disk: the main file and its write-ahead log."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def test_reject_reasons_reach_the_outbox_file_as_codes_and_are_sent_as_the_english_text(tmp_path):
    path = tmp_path / "store.sqlite"
    reasons = list(REJECT_REASONS.items())
    with LocalStore.open(path, KEY) as store:
        store.apply_batch({"alerts": [alert(f"al-{n}") for n in range(len(reasons))]})
        for n, (_code, text) in enumerate(reasons):
            store.record_command("reject", f"al-{n}", f"act-{n}", "pr-1", {"reason": text})
        sent = {c.action_id: c.args for c in store.pending_commands()}
        assert sent == {f"act-{n}": {"reason": text} for n, (_code, text) in enumerate(reasons)}
        raw = file_bytes(path)
    for code, text in reasons:
        assert code.encode() in raw, f"the outbox row of {code!r} is in the file"  # so the next check means something
        assert text.encode() not in raw, f"{text!r} is in the outbox file in clear"
    assert b'"reason"' not in raw


def test_free_text_is_refused_and_nothing_is_written(tmp_path):
    path = tmp_path / "store.sqlite"
    typed = "Mrs Lopez moved to ward 7"
    with LocalStore.open(path, KEY) as store:
        store.apply_batch({"alerts": [alert("al-1")]})
        for args in ({"reason": typed}, {"reason": "Not my patient", "note": typed}, {"note": typed}):
            with pytest.raises(StoreDataError, match="preset reject reason") as error:
                store.record_command("reject", "al-1", "act-1", "pr-1", args)
            assert typed not in str(error.value), "the refusal does not repeat what it refuses"
        assert store.pending_commands() == [] and store.command("act-1") is None
        assert store.get("alerts", "al-1")["state"] == "active", "the alert shows no pending command"
        assert [e.action for e in store.audit_trail()] == []
    assert typed.encode() not in file_bytes(path)


def test_a_salvaged_reject_is_still_sent_with_its_reason_without_the_old_key(tmp_path):
    path = tmp_path / "store.sqlite"
    with LocalStore.open(path, KEY) as store:
        store.apply_batch({"alerts": [alert("al-1")]})
        store.record_command("reject", "al-1", "act-1", "pr-1", {"reason": "Handed over to another clinician"})
    with LocalStore.open(path, OTHER_KEY) as store:  # the key was lost: the file is set aside, the outbox kept
        assert store.open_report.reason == "undecryptable" and store.open_report.salvaged_pending == 1
        (command,) = store.pending_commands()
        assert command.args == {"reason": "Handed over to another clinician"}
