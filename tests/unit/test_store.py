"""The local store: migrations, encryption at rest, recovery of bad files, the version rule, commands."""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tjv_desktop.store import (
    APPLICATION_ID,
    SCHEMA_VERSION,
    ChangeSet,
    LocalStore,
    StoreBusyError,
    StoreDataError,
    StoreError,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(32, 64))
NOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)

PATIENT_NAME = "Margarethe Quellenberg"
MRN = "MRN-99417-QX"
ALERT_MESSAGE = "SpO2 dropped to 86% after walking"


def clock() -> datetime:
    return NOW


def iso(moment: datetime) -> str:
    return moment.isoformat()


def alert(alert_id="al-1", *, updated_at="2026-11-24T13:00:00+00:00", state="active", **extra) -> dict:
    row = {
        "id": alert_id,
        "patient_id": "pt-1",
        "provider_id": "pr-1",
        "priority": "high",
        "state": state,
        "raised_at": "2026-11-24T12:55:00+00:00",
        "updated_at": updated_at,
        "message": ALERT_MESSAGE,
    }
    row.update(extra)
    return row


def patient(patient_id="pt-1", updated_at="2026-11-24T10:00:00Z") -> dict:
    return {
        "id": patient_id,
        "full_name": PATIENT_NAME,
        "mrn": MRN,
        "procedure": "TKA",
        "updated_at": updated_at,
    }


def vital(vital_id: int, measured_at: datetime, patient_id="pt-1", **values) -> dict:
    return {
        "id": vital_id,
        "patient_id": patient_id,
        "measured_at": iso(measured_at),
        "updated_at": iso(measured_at),
        "heart_rate": 88,
        "spo2": 94,
        **values,
    }


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "tjv.db"


@pytest.fixture
def store(db_path: Path):
    with LocalStore.open(db_path, KEY, clock=clock) as opened:
        yield opened


def raw_sql(path: Path, sql: str):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# --- schema and file -------------------------------------------------------------------------


def test_new_file_is_migrated_and_marked_and_reopening_changes_nothing(db_path: Path):
    with LocalStore.open(db_path, KEY, clock=clock) as store:
        assert store.open_report.outcome == "created"
        store.apply("alerts", [alert()])
    assert raw_sql(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]
    assert raw_sql(db_path, "PRAGMA application_id") == [(APPLICATION_ID,)]
    migrations_before = raw_sql(db_path, "SELECT name, applied_at FROM _sqlite_migrations")
    assert len(migrations_before) == SCHEMA_VERSION

    with LocalStore.open(db_path, KEY, clock=clock) as store:
        assert store.open_report.outcome == "opened"
        assert store.get("alerts", "al-1")["message"] == ALERT_MESSAGE
    assert raw_sql(db_path, "SELECT name, applied_at FROM _sqlite_migrations") == migrations_before
    assert not list(db_path.parent.glob("*.corrupt-*"))


def test_file_store_uses_wal_and_reports_itself_persistent(store: LocalStore, db_path: Path):
    store.apply("patients", [patient()])
    assert store.persistent is True
    assert str(db_path) in store.mode_description
    store.close()
    header = db_path.read_bytes()[:20]
    assert (header[18], header[19]) == (2, 2)  # file format read/write version 2 = WAL


def test_patient_identifiers_never_reach_the_disk_in_clear(store: LocalStore, db_path: Path):
    store.apply_batch(
        {
            "patients": [patient()],
            "alerts": [alert()],
            "vitals": [vital(1, NOW, note=f"{PATIENT_NAME} short of breath")],
            "messages": [
                {"id": "m-1", "patient_id": "pt-1", "body": f"Hello {PATIENT_NAME}", "updated_at": iso(NOW)}
            ],
        }
    )
    store.audit("pr-1", "alarm.audio_paused", "alert", "al-1", {"patient": PATIENT_NAME, "mrn": MRN})
    secrets = [s.encode() for s in (PATIENT_NAME, MRN, ALERT_MESSAGE)]

    def disk_bytes() -> bytes:
        return b"".join(p.read_bytes() for p in db_path.parent.iterdir() if p.name.startswith(db_path.name))

    before_checkpoint = disk_bytes()
    store.checkpoint()
    after_checkpoint = disk_bytes()
    for blob in (before_checkpoint, after_checkpoint):
        assert b"al-1" in blob  # the scan does find clear columns
        for secret in secrets:
            assert secret not in blob
            assert secret.decode().encode("utf-16-le") not in blob

    assert store.get("patients", "pt-1")["full_name"] == PATIENT_NAME
    assert store.get("alerts", "al-1")["message"] == ALERT_MESSAGE
    assert store.audit_trail(entity_id="al-1")[0].details == {"patient": PATIENT_NAME, "mrn": MRN}


def test_a_path_without_a_key_is_refused_and_nothing_is_written(db_path: Path):
    with pytest.raises(ValueError, match="key"):
        LocalStore.open(db_path, None)
    assert not db_path.exists()


def test_in_memory_store_writes_nothing_and_says_so(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with LocalStore.open(None, None, clock=clock) as store:
        store.apply_batch({"patients": [patient()], "alerts": [alert()]})
        store.record_command("acknowledge", "al-1", "act-1", "pr-1")
        assert store.persistent is False
        assert "memory" in store.mode_description.lower()
        assert store.open_report.outcome == "memory"
        assert store.get("patients", "pt-1")["mrn"] == MRN
        assert list(tmp_path.iterdir()) == []


def test_a_second_owner_is_refused_and_the_file_is_not_set_aside(store: LocalStore, db_path: Path):
    with pytest.raises(StoreBusyError):
        LocalStore.open(db_path, KEY, clock=clock)
    names = {p.name for p in db_path.parent.iterdir()}
    assert names <= {db_path.name, db_path.name + "-wal", db_path.name + "-shm"}
    assert store.apply("patients", [patient()]).keys("patients") == {"pt-1"}  # the owner carries on


def test_the_store_belongs_to_the_thread_that_opened_it(store: LocalStore):
    errors = []
    worker = threading.Thread(target=lambda: _capture(errors, store.active_alerts))
    worker.start()
    worker.join()
    assert len(errors) == 1 and isinstance(errors[0], sqlite3.ProgrammingError)


def _capture(errors: list, fn) -> None:
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the test inspects it
        errors.append(exc)


# --- files that cannot be used ------------------------------------------------------------------


def _store_with_commands(path: Path, key: bytes) -> None:
    with LocalStore.open(path, key, clock=clock) as store:
        store.apply_batch({"alerts": [alert("al-1"), alert("al-2")], "patients": [patient()]})
        store.record_command("acknowledge", "al-1", "act-sent", "pr-1")
        store.mark_command_sent("act-sent")
        store.record_command("reject", "al-2", "act-pending", "pr-1", {"reason": "Not my patient"})
        store.apply("vitals", [vital(i, NOW - timedelta(seconds=i), note="x" * 300) for i in range(5000)])


def test_a_wrong_key_sets_the_file_aside_and_salvages_the_outbox(db_path: Path):
    _store_with_commands(db_path, KEY)
    with LocalStore.open(db_path, OTHER_KEY, clock=clock) as store:
        report = store.open_report
        assert report.outcome == "recovered" and report.reason == "undecryptable"
        assert report.set_aside == db_path.with_name("tjv.db.undecryptable-20261124T140000Z")
        assert (report.salvaged_outbox, report.salvaged_pending) == (2, 1)
        assert str(report.set_aside) in report.message and "2 outbox rows" in report.message
        pending = store.pending_commands()
        assert [(c.action_id, c.kind, c.args) for c in pending] == [
            ("act-pending", "reject", {"reason": "Not my patient"})
        ]
        assert store.command("act-sent").state == "sent"
        assert store.active_alerts() == []
        assert store.record_command("acknowledge", "al-1", "act-sent", "pr-1") == ChangeSet()  # still once
        store.apply("alerts", [alert("al-9")])  # the fresh store works with the new key
    with LocalStore.open(report.set_aside, KEY, clock=clock) as old:  # the old data is intact
        assert old.get("alerts", "al-1")["message"] == ALERT_MESSAGE
    with LocalStore.open(db_path, OTHER_KEY, clock=clock) as store:
        assert store.open_report.outcome == "opened"
        assert store.get("alerts", "al-9") is not None


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(64 * 1024))


def _foreign_sqlite(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE outbox (action_id TEXT, kind TEXT)")
    conn.execute("INSERT INTO outbox VALUES ('x', 'acknowledge')")
    conn.commit()
    conn.close()


def _truncated_store(path: Path) -> None:
    _store_with_commands(path, KEY)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("make", "reason", "salvaged"),
    [(_random_bytes, "corrupt", 0), (_foreign_sqlite, "foreign", 0), (_truncated_store, "corrupt", 2)],
    ids=["random-bytes", "foreign-sqlite", "truncated"],
)
def test_an_unusable_file_is_set_aside_with_a_report(db_path: Path, make, reason: str, salvaged: int):
    db_path.parent.mkdir(parents=True)
    make(db_path)
    original = db_path.read_bytes()
    with LocalStore.open(db_path, KEY, clock=clock) as store:
        report = store.open_report
        assert (report.outcome, report.reason, report.salvaged_outbox) == ("recovered", reason, salvaged)
        assert report.set_aside.name == f"tjv.db.{reason}-20261124T140000Z"
        assert report.set_aside.read_bytes() == original
        assert str(report.set_aside) in report.message and f"keeping {salvaged} outbox" in report.message
        assert store.apply("alerts", [alert()])["alerts"].inserted == {"al-1"}
    assert raw_sql(db_path, "PRAGMA quick_check") == [("ok",)]


def _damage_a_page_of(path: Path, table: str) -> None:
    """Overwrites one leaf page of ``table`` (found with SQLite's dbstat) with garbage, as a bad disk
    sector would."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pageno = conn.execute(
        "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno LIMIT 1 OFFSET 1", [table]
    ).fetchone()[0]
    conn.close()
    with path.open("r+b") as file:
        file.seek((pageno - 1) * page_size)
        file.write(b"\xff" * page_size)


def test_damaged_vitals_are_found_after_the_start_and_the_file_set_aside_keeping_the_outbox(db_path: Path):
    _store_with_commands(db_path, KEY)
    _damage_a_page_of(db_path, "vitals")
    original = db_path.read_bytes()
    with LocalStore.open(db_path, KEY, clock=clock) as store:
        assert store.open_report.outcome == "opened"  # the start does not wait for the vitals' pages
        report = store.check_integrity()
        assert (report.outcome, report.reason) == ("recovered", "corrupt")
        assert (report.salvaged_outbox, report.salvaged_pending) == (2, 1)
        assert report.set_aside.name == "tjv.db.corrupt-20261124T140000Z"
        assert report.set_aside.read_bytes() == original
        assert store.open_report is report and str(report.set_aside) in report.message
        assert [c.action_id for c in store.pending_commands()] == ["act-pending"]
        assert store.get("alerts", "al-1") is None and store.latest_vitals() == {}
        assert store.apply("alerts", [alert("al-9")])["alerts"].inserted == {"al-9"}  # the fresh store works
        assert store.check_integrity() is None
    assert raw_sql(db_path, "PRAGMA quick_check") == [("ok",)]
    with LocalStore.open(db_path, KEY, clock=clock) as store:
        assert store.open_report.outcome == "opened" and store.get("alerts", "al-9") is not None


def test_a_sound_file_passes_the_deferred_check_untouched(db_path: Path):
    _store_with_commands(db_path, KEY)
    with LocalStore.open(db_path, KEY, clock=clock) as store:
        assert store.check_integrity() is None
        assert store.get("alerts", "al-1") is not None and len(store.pending_commands()) == 1
    assert not list(db_path.parent.glob("*.corrupt-*"))
    with LocalStore.open(None, None, clock=clock) as memory:
        assert memory.check_integrity() is None


def test_a_damaged_alerts_page_is_still_found_at_open(db_path: Path):
    _store_with_commands(db_path, KEY)
    conn = sqlite3.connect(db_path)
    conn.executemany("INSERT INTO alerts (id, updated_at, payload) VALUES (?, '2026', x'00')",
                     [(f"filler-{n:04d}",) for n in range(400)])  # enough alert pages to damage one
    conn.commit()
    conn.close()
    _damage_a_page_of(db_path, "alerts")
    with LocalStore.open(db_path, KEY, clock=clock) as store:
        assert (store.open_report.outcome, store.open_report.reason) == ("recovered", "corrupt")


def test_a_store_from_a_newer_schema_is_set_aside_not_downgraded(db_path: Path):
    _store_with_commands(db_path, KEY)
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('tjv-store', 'm999_future', 'x')"
    )
    conn.commit()
    conn.close()
    with LocalStore.open(db_path, KEY, clock=clock) as store:
        report = store.open_report
        assert report.reason == "newer" and "newer version" in report.message
        assert report.salvaged_pending == 1
    assert raw_sql(report.set_aside, "PRAGMA user_version") == [(SCHEMA_VERSION + 1,)]
    assert raw_sql(db_path, "PRAGMA user_version") == [(SCHEMA_VERSION,)]


def test_retired_keys_open_the_store_and_it_is_reencrypted(db_path: Path):
    _store_with_commands(db_path, KEY)
    with LocalStore.open(db_path, OTHER_KEY, key_id=2, retired_keys={1: KEY}, clock=clock) as store:
        assert store.open_report.outcome == "opened" and store.open_report.rekeyed
    with LocalStore.open(db_path, OTHER_KEY, key_id=2, clock=clock) as store:
        assert store.open_report.outcome == "opened"
        assert store.get("alerts", "al-2")["message"] == ALERT_MESSAGE
        store.rotate_key(KEY, 3)
    with LocalStore.open(db_path, KEY, key_id=3, clock=clock) as store:
        assert store.get("patients", "pt-1")["mrn"] == MRN


# --- the version rule ----------------------------------------------------------------------------


def test_only_a_later_instant_replaces_a_stored_row(store: LocalStore):
    store.apply("alerts", [alert(updated_at="2026-11-24T13:00:00Z", priority="low")])

    def current_priority() -> str:
        return store.get("alerts", "al-1")["priority"]

    older = store.apply("alerts", [alert(updated_at="2026-11-24T12:59:59.999999Z", priority="x")])
    same_instant = store.apply("alerts", [alert(updated_at="2026-11-24T14:00:00+01:00", priority="y")])
    string_later_but_older = store.apply(
        "alerts", [alert(updated_at="2026-11-24T13:30:00+01:00", priority="z")]
    )
    assert not older and not same_instant and not string_later_but_older
    assert current_priority() == "low"

    string_earlier_but_newer = store.apply(
        "alerts", [alert(updated_at="2026-11-24T08:30:00-05:00", priority="high")]
    )
    assert string_earlier_but_newer["alerts"].updated == {"al-1"}
    assert current_priority() == "high"


def test_apply_reports_exactly_the_changed_keys(store: LocalStore):
    store.apply("alerts", [alert("a"), alert("b"), alert("c")])
    changes = store.apply(
        "patient_alerts",  # the server's table name works too
        [
            alert("b", updated_at="2026-11-24T13:05:00Z"),
            alert("c"),  # same version
            alert("d"),
            alert("d", updated_at="2026-11-24T12:00:00Z"),  # an older duplicate in the batch
        ],
    )
    assert changes["alerts"].inserted == {"d"}
    assert changes["alerts"].updated == {"b"}
    assert changes.keys("alerts") == {"b", "d"}
    assert set(changes.tables) == {"alerts"}
    assert store.get("alerts", "d")["updated_at"] == "2026-11-24T13:00:00+00:00"
    replay = store.apply("alerts", [alert("b", updated_at="2026-11-24T13:05:00Z"), alert("d")])
    assert replay == ChangeSet() and not replay


def test_a_batch_across_tables_is_one_transaction(store: LocalStore, monkeypatch):
    store.set_cursor("vitals", "2026-11-24T12:00:00Z")
    age_before = store.data_age()
    sealed = []
    real_seal = store._cipher.seal_json

    def failing_seal(value, table, pk):
        if len(sealed) == 3:
            raise OSError("disk went away mid-batch")
        sealed.append(table)
        return real_seal(value, table, pk)

    monkeypatch.setattr(store._cipher, "seal_json", failing_seal)
    with pytest.raises(OSError, match="mid-batch"):
        store.apply_batch(
            {"patients": [patient("pt-1"), patient("pt-2")], "alerts": [alert("a"), alert("b")]},
            cursors={"vitals": "2026-11-24T13:00:00Z"},
        )
    assert sealed == ["patients", "patients", "alerts"]  # the fault hit after the first table was written
    monkeypatch.undo()
    assert store.patient_list() == [] and store.get("alerts", "a") is None
    assert store.cursor("vitals") == datetime(2026, 11, 24, 12, tzinfo=UTC)
    assert store.data_age() == age_before


def test_a_bad_row_rejects_the_whole_batch(store: LocalStore):
    with pytest.raises(StoreDataError, match="updated_at"):
        store.apply_batch({"patients": [patient()], "alerts": [alert(), {"id": "x"}]})
    with pytest.raises(StoreDataError, match="timezone"):
        store.apply("alerts", [alert(updated_at="2026-11-24T13:00:00")])
    assert store.patient_list() == [] and store.active_alerts() == []


# --- commands ------------------------------------------------------------------------------------


def test_record_command_shows_queues_and_audits_in_one_transaction(store: LocalStore, monkeypatch):
    store.apply("alerts", [alert()])
    changes = store.record_command("acknowledge", "al-1", "act-1", "pr-1")
    assert changes.keys("alerts") == {"al-1"} and changes["outbox"].inserted == {"act-1"}
    shown = store.get("alerts", "al-1")
    assert (shown["state"], shown["server_state"], shown["pending_action_id"]) == (
        "acknowledged",
        "active",
        "act-1",
    )
    assert [(c.action_id, c.state, c.attempts) for c in store.pending_commands()] == [("act-1", "pending", 0)]
    entry = store.audit_trail(entity_id="al-1")[0]
    assert (entry.actor, entry.action, entry.details["action_id"]) == ("pr-1", "command.acknowledge", "act-1")

    def broken_audit(*args):
        raise sqlite3.OperationalError("disk I/O error")

    store.apply("alerts", [alert("al-2")])
    monkeypatch.setattr(store, "_audit_row", broken_audit)
    with pytest.raises(sqlite3.OperationalError):
        store.record_command("accept", "al-2", "act-2", "pr-1")
    monkeypatch.undo()
    assert store.get("alerts", "al-2")["state"] == "active"
    assert store.command("act-2") is None


def test_the_same_action_id_is_recorded_once(store: LocalStore):
    store.apply("alerts", [alert()])
    assert store.record_command("acknowledge", "al-1", "act-1", "pr-1")
    assert store.record_command("acknowledge", "al-1", "act-1", "pr-1") == ChangeSet()
    store.mark_command_sent("act-1", alert(state="acknowledged", updated_at="2026-11-24T13:01:00Z"))
    assert store.record_command("acknowledge", "al-1", "act-1", "pr-1") == ChangeSet()
    assert raw_count(store, "outbox") == 1
    assert store.command("act-1").state == "sent" and store.pending_commands() == []
    assert store.get("alerts", "al-1")["pending_action_id"] is None


def raw_count(store: LocalStore, table: str) -> int:
    return store._execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_sent_command_gives_way_to_the_server_row(store: LocalStore):
    store.apply("alerts", [alert()])
    store.record_command("acknowledge", "al-1", "act-1", "pr-1")
    changes = store.mark_command_sent(
        "act-1", alert(state="acknowledged", updated_at="2026-11-24T13:01:00Z", acknowledged_by="pr-1")
    )
    assert changes.keys("alerts") == {"al-1"}
    shown = store.get("alerts", "al-1")
    assert (shown["state"], shown["pending_action_id"], shown["acknowledged_by"]) == (
        "acknowledged",
        None,
        "pr-1",
    )
    assert store.command("act-1").state == "sent"
    assert [e.action for e in store.audit_trail(entity_id="al-1")] == ["command.sent", "command.acknowledge"]


def test_failed_commands_retry_then_revert_to_the_server_version(store: LocalStore):
    store.apply("alerts", [alert()])
    store.record_command("accept", "al-1", "act-1", "pr-1")

    assert store.mark_command_failed("act-1", "timeout", permanent=False).keys("alerts") == frozenset()
    command = store.command("act-1")
    assert (command.state, command.attempts, command.last_error) == ("pending", 1, "timeout")
    assert store.get("alerts", "al-1")["state"] == "accepted"

    changes = store.mark_command_failed("act-1", "42501 not assigned to this patient", permanent=True)
    assert changes.keys("alerts") == {"al-1"}
    command = store.command("act-1")
    assert (command.state, command.attempts) == ("failed", 2)
    shown = store.get("alerts", "al-1")
    assert (shown["state"], shown["pending_action_id"]) == ("active", None)
    assert store.get("alerts", "al-1")["message"] == ALERT_MESSAGE
    assert store.pending_commands() == []


def test_a_newer_server_row_clears_the_pending_marker(store: LocalStore):
    store.apply("alerts", [alert()])
    store.record_command("acknowledge", "al-1", "act-1", "pr-1")
    assert not store.apply("alerts", [alert()])  # the same version keeps the optimistic state
    assert store.get("alerts", "al-1")["state"] == "acknowledged"
    store.apply("alerts", [alert(state="acknowledged", updated_at="2026-11-24T13:02:00Z")])
    shown = store.get("alerts", "al-1")
    assert (shown["state"], shown["pending_action_id"]) == ("acknowledged", None)
    assert [c.action_id for c in store.pending_commands()] == ["act-1"]  # still to be sent


def test_unknown_command_kind_is_refused(store: LocalStore):
    with pytest.raises(StoreDataError):
        store.record_command("delete", "al-1", "act-1", "pr-1")


# --- cursors, retention, queries -----------------------------------------------------------------


def test_cursors_only_move_forward_and_resync_starts_before_them(store: LocalStore):
    assert store.cursor("vitals") is None and store.resync_since("vitals", timedelta(minutes=2)) is None
    store.set_cursor("vitals", "2026-11-24T14:00:00+01:00")
    store.set_cursor("vitals", "2026-11-24T12:30:00Z")  # earlier: ignored
    assert store.cursor("vitals") == datetime(2026, 11, 24, 13, tzinfo=UTC)
    assert store.resync_since("vitals", timedelta(minutes=2)) == datetime(2026, 11, 24, 12, 58, tzinfo=UTC)
    store.apply_batch({"vitals": [vital(1, NOW)]}, cursors={"vitals": NOW})
    assert store.cursor("vitals") == NOW


def test_prune_vitals_removes_only_rows_older_than_72_hours(store: LocalStore):
    ages = {
        1: timedelta(hours=73),
        2: timedelta(hours=72, seconds=1),
        3: timedelta(hours=71, minutes=59),
        4: timedelta(),
    }
    store.apply("vitals", [vital(i, NOW - age) for i, age in ages.items()])
    assert store.prune_vitals(NOW) == 2
    kept = store.vitals_for_patient("pt-1", NOW - timedelta(days=30))
    assert [v["id"] for v in kept] == [3, 4]
    assert store.prune_vitals(NOW) == 0


def test_queries_for_the_monitoring_screens(store: LocalStore):
    store.apply_batch(
        {
            "alerts": [
                alert("low", priority="low", raised_at="2026-11-24T13:50:00Z"),
                alert("high-old", priority="high", raised_at="2026-11-24T12:00:00Z"),
                alert("high-new", priority="high", raised_at="2026-11-24T13:00:00+00:00"),
                alert("done", priority="high", state="resolved", raised_at="2026-11-24T13:55:00Z"),
                alert("other", patient_id="pt-2", provider_id="pr-2", priority="medium"),
            ],
            "patients": [patient("pt-1"), patient("pt-2")],
            "patient_status": [
                {"patient_id": "pt-1", "status": "deteriorating", "news2_score": 6, "updated_at": iso(NOW)}
            ],
            "vitals": [
                vital(10, NOW - timedelta(minutes=10)),
                vital(11, NOW - timedelta(minutes=1), heart_rate=120),
                vital(12, NOW - timedelta(hours=5)),
                vital(20, NOW - timedelta(minutes=3), patient_id="pt-2"),
            ],
        }
    )
    assert [a["id"] for a in store.active_alerts()] == ["high-new", "high-old", "other", "low"]
    assert [a["id"] for a in store.active_alerts("pr-1")] == ["high-new", "high-old", "low"]
    assert [a["id"] for a in store.alerts_for_patient("pt-1")] == ["done", "low", "high-new", "high-old"]

    first = store.alert_history(limit=3)
    second = store.alert_history(limit=3, before=first.next_before)
    assert [a["id"] for a in first.alerts] == ["done", "low", "high-new"]
    assert [a["id"] for a in second.alerts] == ["other", "high-old"] and second.next_before is None

    entries = store.patient_list()
    assert [(e.patient_id, e.patient["full_name"]) for e in entries] == [
        ("pt-1", PATIENT_NAME),
        ("pt-2", PATIENT_NAME),
    ]
    assert entries[0].status["news2_score"] == 6 and entries[1].status is None

    window = store.vitals_for_patient("pt-1", NOW - timedelta(hours=1), NOW)
    assert [v["id"] for v in window] == [10, 11]
    latest = store.latest_vitals()
    assert {pid: v["id"] for pid, v in latest.items()} == {"pt-1": 11, "pt-2": 20}
    assert latest["pt-1"]["heart_rate"] == 120
    assert store.latest_vitals(["pt-2"])["pt-2"]["id"] == 20

    age = store.data_age()
    assert age.newest_update == NOW and age.last_received == NOW
    assert age.age(NOW + timedelta(minutes=7)) == timedelta(minutes=7)


def test_a_store_folder_that_names_a_file_is_refused_and_the_file_is_kept(tmp_path: Path):
    blocker = tmp_path / "stores"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match=f"store folder {blocker} cannot be used") as refused:
        LocalStore.open(blocker / "user.sqlite", KEY, clock=clock)
    assert not isinstance(refused.value, StoreBusyError)
    assert blocker.read_text() == "not a folder"
