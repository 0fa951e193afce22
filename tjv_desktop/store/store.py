"""LocalStore: the offline-first copy of the server rows this workstation may see.

One owner: a LocalStore is used only from the thread that opened it (SQLite's check_same_thread
enforces it; the sync layer runs it on a single-worker executor and opens it there), and an exclusive
file lock keeps other processes out. Every write is one transaction and returns a ChangeSet.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ..domain.changes import ChangeSet, TableChanges
from . import opening
from .commands import CommandsMixin
from .crypto import KEY_BYTES, Cipher
from .errors import StoreDataError, StoreError, StoreFileError
from .instants import canonical, parse_instant
from .opening import OpenReport
from .queries import QueriesMixin
from .replies import RepliesMixin
from .schema import TABLE_ALIASES, TABLES, TableSpec

_LOOKUP_CHUNK = 500
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LocalStore(CommandsMixin, RepliesMixin, QueriesMixin):
    """Encrypted SQLite store of server rows, outbox, cursors and local audit trail.

    Build it with ``LocalStore.open``; read what happened at open from ``open_report``.
    """

    def __init__(self, db: Database, cipher: Cipher, path: Path | None, report: OpenReport, clock: Clock):
        self._db = db
        self._cipher = cipher
        self._clock = clock
        self.path = path
        self.open_report = report

    @classmethod
    def open(
        cls,
        path: Path | str | None,
        key: bytes | None,
        *,
        key_id: int = 1,
        retired_keys: Mapping[int, bytes] | None = None,
        clock: Clock = _utc_now,
    ) -> LocalStore:
        """Open (or create) the store.

        ``path`` and ``key`` (32 bytes): an encrypted file. ``path=None``: an in-memory store that
        writes nothing to disk (for a workstation without a secure keyring); ``key`` may then be None.
        ``retired_keys`` ({key id: key}) lets a store written with an older key open; its data is
        re-encrypted with ``key`` at once. A damaged, foreign, newer or undecryptable file is set aside
        and replaced, as ``open_report`` says. Raises ValueError for a path without a key,
        StoreBusyError if another process holds the file, StoreError for environment failures.
        """
        if path is None:
            cipher = Cipher(key if key is not None else secrets.token_bytes(KEY_BYTES), key_id)
            db = Database(memory=True, execute_plugins=False)
            db.execute("PRAGMA temp_store = MEMORY")
            opening.initialise(db, cipher, persistent=False)
            return cls(db, cipher, None, opening.memory_report(), clock)
        if key is None:
            raise ValueError(
                "a store file needs an encryption key: patient data is never written unencrypted"
            )
        cipher = Cipher(key, key_id, retired_keys)
        path = Path(path)
        try:
            db, report = opening.open_file(path, cipher, clock())
        except OSError as exc:  # a damaged file that cannot be renamed aside: do not touch it
            db = Database(memory=True, execute_plugins=False)
            opening.initialise(db, cipher, persistent=False)
            report = opening.memory_report(f"the store file {path} could not be used or set aside: {exc}")
            path = None
        return cls(db, cipher, path, report, clock)

    def check_integrity(self) -> OpenReport | None:
        """The whole file's integrity check, which ``open`` leaves for later on large tables
        (``opening.DEFERRED_CHECK``) so that a start does not wait for it. None when the file is sound
        (or in memory). A damaged file is then set aside as ``open`` would have done, and a fresh store
        takes its place at once, keeping the outbox rows still readable; the report (also the new
        ``open_report``) says so, and every stored row and cursor is gone."""
        if self.path is None:
            return None
        try:
            opening.check_whole(self._db)
            return None
        except StoreFileError as exc:
            problem = exc
        except sqlite3.DatabaseError as exc:  # the check itself stopped on a damaged page
            problem = StoreFileError("corrupt", str(exc))
        salvaged = opening.read_outbox(self._db)
        self._db.close()
        try:
            self._db, self.open_report = opening.recover(
                self.path, self._cipher, self._clock(),
                StoreFileError(problem.reason, problem.detail, salvaged))
        except (OSError, StoreError) as exc:  # cannot be set aside or replaced: as at open, memory only
            self._db = Database(memory=True, execute_plugins=False)
            opening.initialise(self._db, self._cipher, persistent=False)
            opening.restore_outbox(self._db, salvaged)
            self.open_report = opening.memory_report(
                f"the store file {self.path} is damaged and could not be set aside: {exc}")
            self.path = None
        return self.open_report

    @property
    def persistent(self) -> bool:
        """False for the in-memory store: its data is gone when the app closes."""
        return self.path is not None

    @property
    def mode_description(self) -> str:
        if self.path is None:
            return "In memory only: nothing is written to disk and the data is gone when the app closes"
        return f"Encrypted on disk (AES-256-GCM) at {self.path}"

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> LocalStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def checkpoint(self) -> None:
        """Move the WAL into the main file (SQLite also does it on its own and at close)."""
        if self.persistent:
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # --- versioned upserts -------------------------------------------------------------------

    def apply(self, table: str, rows: Iterable[Mapping[str, Any]]) -> ChangeSet:
        """Upsert server rows of one table by the version rule; returns the keys that changed.

        Each row needs its primary key and ``updated_at`` (ISO 8601 with a timezone). A row replaces
        the stored one only if its ``updated_at`` is a later instant; equal or older rows change nothing.
        """
        return self.apply_batch({table: rows})

    def apply_batch(
        self,
        batch: Mapping[str, Iterable[Mapping[str, Any]]],
        *,
        cursors: Mapping[str, str | datetime] | None = None,
    ) -> ChangeSet:
        """``apply`` for several tables (and optionally cursor advances) in one transaction.

        Table names are the store's (alerts, patient_status, patients, vitals, messages, care_plans)
        or the server's (patient_alerts, vital_signs). Any bad row rolls the whole batch back.
        Every call, even one that changes nothing, records that data arrived (``data_age``).
        """
        with self._db.atomic():
            changes: dict[str, TableChanges] = {}
            newest: str | None = None
            for table, rows in batch.items():
                spec = self._spec(table)
                table_changes, table_newest = self._apply_rows(spec, rows)
                previous = changes.get(spec.name)
                changes[spec.name] = previous.merged(table_changes) if previous else table_changes
                newest = max(filter(None, (newest, table_newest)), default=None)
            for name, value in (cursors or {}).items():
                self._set_cursor(name, value, force=False)
            self._note_received(newest)
        return ChangeSet(changes)

    def _spec(self, table: str) -> TableSpec:
        spec = TABLES.get(TABLE_ALIASES.get(table, table))
        if spec is None:
            raise StoreDataError(f"no such table in the local store: {table!r}")
        return spec

    def _key(self, spec: TableSpec, row: Mapping[str, Any]) -> Any:
        value = row.get(spec.pk)
        if value is None:
            raise StoreDataError(f"{spec.name} row without its primary key {spec.pk!r}")
        try:
            return spec.pk_type(value)
        except (TypeError, ValueError):
            raise StoreDataError(f"{spec.name}: bad primary key {value!r}") from None

    def _clear_values(self, spec: TableSpec, row: Mapping[str, Any]) -> list[Any]:
        values = []
        for column in spec.columns:
            value = None
            for source in column.sources:  # the first present (a plain loop: this runs per row and column)
                value = row.get(source)
                if value is not None:
                    break
            if value is not None:
                if column.kind == "instant":
                    value = canonical(value)
                elif column.kind == "number":
                    value = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
                else:
                    value = str(value)
            values.append(value)
        return values

    def _apply_rows(
        self, spec: TableSpec, rows: Iterable[Mapping[str, Any]]
    ) -> tuple[TableChanges, str | None]:
        latest: dict[Any, tuple[str, Mapping[str, Any]]] = {}
        for row in rows:
            key = self._key(spec, row)
            if row.get("updated_at") is None:
                raise StoreDataError(f"{spec.name} {key!r}: row without updated_at")
            version = canonical(row["updated_at"])
            held = latest.get(key)
            if held is None or version > held[0]:
                latest[key] = (version, row)
        if not latest:
            return TableChanges(), None
        stored = self._stored_versions(spec, list(latest))
        inserts, updates = [], []
        for key, (version, row) in latest.items():
            old = stored.get(key)
            if old is not None and version <= old:
                continue
            clear = self._clear_values(spec, row)
            payload = self._cipher.seal_json(dict(row), spec.name, key)
            if old is None:
                inserts.append((key, *clear, version, payload))
            else:
                updates.append((*clear, version, payload, key, version))
        names = [c.name for c in spec.columns]
        if inserts:
            columns = [spec.pk, *names, "updated_at", "payload"]
            self._db.conn.executemany(
                f"INSERT INTO {spec.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                inserts,
            )
        if updates:
            assignments = [f"{n} = ?" for n in (*names, "updated_at", "payload")]
            assignments += [f"{n} = NULL" for n in spec.local_columns]  # a newer server row wins
            self._db.conn.executemany(
                f"UPDATE {spec.name} SET {', '.join(assignments)} WHERE {spec.pk} = ? AND updated_at < ?",
                updates,
            )
        written = [r[-1] for r in updates] + [r[-2] for r in inserts]
        changes = TableChanges(frozenset(r[0] for r in inserts), frozenset(r[-2] for r in updates))
        return changes, max(written, default=None)

    def _stored_versions(self, spec: TableSpec, keys: list[Any]) -> dict[Any, str]:
        found: dict[Any, str] = {}
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[start : start + _LOOKUP_CHUNK]
            found.update(
                self._db.execute(
                    f"SELECT {spec.pk}, updated_at FROM {spec.name} WHERE {spec.pk} IN ({', '.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
            )
        return found

    def _note_received(self, newest: str | None) -> None:
        self._put_meta("last_received", canonical(self._clock()))
        if newest is not None:
            self._db.execute(
                "INSERT INTO meta (name, value) VALUES ('newest_update', ?) ON CONFLICT (name) "
                "DO UPDATE SET value = excluded.value WHERE excluded.value > meta.value",
                [newest],
            )

    def _put_meta(self, name: str, value: Any) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", [name, value])

    # --- cursors -----------------------------------------------------------------------------

    def cursor(self, name: str) -> datetime | None:
        """The stream's cursor: the latest server ``updated_at`` fully applied, or None."""
        row = self._db.execute("SELECT value FROM cursors WHERE name = ?", [name]).fetchone()
        return parse_instant(row[0]) if row else None

    def resync_since(self, name: str, overlap: timedelta) -> datetime | None:
        """Where a resync of the stream starts: its cursor minus ``overlap`` (None: from the start)."""
        at = self.cursor(name)
        return at - overlap if at is not None else None

    def set_cursor(self, name: str, value: str | datetime, *, force: bool = False) -> None:
        """Advance the stream's cursor; an earlier value is ignored unless ``force``."""
        with self._db.atomic():
            self._set_cursor(name, value, force=force)

    def _set_cursor(self, name: str, value: str | datetime, *, force: bool) -> None:
        guard = "" if force else " WHERE excluded.value > cursors.value"
        self._db.execute(
            "INSERT INTO cursors (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE "
            f"SET value = excluded.value, updated_at = excluded.updated_at{guard}",
            [name, canonical(value), canonical(self._clock())],
        )

    # --- retention, keys, audit --------------------------------------------------------------

    def prune_vitals(self, now: datetime, keep: timedelta = timedelta(hours=72)) -> int:
        """Delete vitals measured before ``now - keep``; returns how many rows went."""
        cutoff = canonical(parse_instant(now) - keep)
        with self._db.atomic():
            cursor = self._db.execute(
                "DELETE FROM vitals WHERE measured_at < ? OR (measured_at IS NULL AND updated_at < ?)",
                [cutoff, cutoff],
            )
        return cursor.rowcount

    def rotate_key(self, key: bytes, key_id: int) -> None:
        """Re-encrypt everything with a new key and id, in one transaction.

        Save the new key (with its id) before calling this and drop the old one after it returns; if
        the app stops in between, open with ``retired_keys`` holding the old one.
        """
        if key_id == self._cipher.key_id:
            raise ValueError("a new key needs a new key id")
        new = Cipher(key, key_id)
        with self._db.atomic():
            opening.reencrypt(self._db, self._cipher, new)
        self._cipher = new

    def audit(
        self,
        actor: str | None,
        action: str,
        entity: str | None = None,
        entity_id: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> int:
        """Append to the local audit trail (details are encrypted); returns the entry's id."""
        with self._db.atomic():
            return self._audit_row(actor, action, entity, entity_id, details)

    def _audit_row(self, actor, action, entity, entity_id, details) -> int:
        cursor = self._db.execute(
            "INSERT INTO audit (at, actor, action, entity, entity_id) VALUES (?, ?, ?, ?, ?)",
            [canonical(self._clock()), actor, action, entity, entity_id],
        )
        audit_id = cursor.lastrowid
        if details is not None:
            self._db.execute(
                "UPDATE audit SET details = ? WHERE id = ?",
                [self._cipher.seal_json(dict(details), "audit", audit_id), audit_id],
            )
        return audit_id

    def _decrypt(self, table: str, key: Any, blob: bytes) -> dict:
        return self._cipher.open_json(blob, table, key)

    def _execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        return self._db.execute(sql, list(params))
