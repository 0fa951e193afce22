"""Opening a store file: recognise it and check it, or set it aside and start a fresh one.

A file is set aside (renamed with its -wal/-shm to ``<name>.<reason>-<UTC time>``) when it is not
SQLite or damaged (corrupt), belongs to another application (foreign), was written by a newer schema
(newer), or does not decrypt with the key given (undecryptable). Outbox rows still readable from a TJV
file are carried into the fresh store. Environment failures (locked by another process, disk full, no
permission) raise instead: they say nothing about the file, which must not be thrown away for them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from .crypto import Cipher
from .errors import StoreBusyError, StoreError, StoreFileError, StoreKeyError
from .schema import APPLICATION_ID, KNOWN_MIGRATIONS, SCHEMA_VERSION, TABLES, migrations

log = logging.getLogger(__name__)

OUTBOX_COLUMNS = (
    "action_id", "kind", "alert_id", "actor", "args", "created_at",
    "attempts", "last_error", "state", "updated_at",
)  # fmt: skip
KEY_CHECK = b"tjv-store key check"
_SQLITE_ERROR, _SQLITE_CORRUPT, _SQLITE_NOTADB = 1, 11, 26
# Checked after the first screen (LocalStore.check_integrity), not while the user waits: 99 % of a
# 72 h file, and nothing only this workstation holds (the server sends it again).
DEFERRED_CHECK = frozenset({"vitals"})
_SQLITE_BUSY, _SQLITE_LOCKED = 5, 6
_REASON_PHRASES = {
    "corrupt": "is damaged or not a database",
    "foreign": "is not a TJV Desktop store",
    "newer": "was written by a newer version of TJV Desktop and is not downgraded",
    "undecryptable": "cannot be decrypted with the current key (the key was lost or rotated out)",
}


@dataclass(frozen=True)
class OpenReport:
    """What ``LocalStore.open`` found and did; ``message`` is a sentence for the user and the log."""

    outcome: str  # memory | created | opened | recovered
    message: str
    path: Path | None = None
    reason: str | None = None  # corrupt | foreign | newer | undecryptable, when recovered
    detail: str | None = None
    set_aside: Path | None = None
    salvaged_outbox: int = 0
    salvaged_pending: int = 0
    rekeyed: bool = False

    @property
    def recovered(self) -> bool:
        return self.outcome == "recovered"


def memory_report(reason: str | None = None) -> OpenReport:
    why = f" ({reason})" if reason else ""
    return OpenReport(
        "memory",
        f"Patient data is kept in memory only{why}: nothing is written to disk and it is gone when the app closes.",
    )


def open_file(path: Path, cipher: Cipher, now: datetime) -> tuple[Database, OpenReport]:
    """Open or create the store at ``path``; a file that cannot be used is set aside and replaced.

    Raises StoreBusyError / StoreError for environment failures and OSError if a damaged file cannot
    be renamed.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a misconfigured folder: no file to set aside, nothing to fall back on
        raise StoreError(f"the store folder {path.parent} cannot be used: {exc.strerror or exc}") from exc
    if not _has_content(path):
        return create(path, cipher), OpenReport(
            "created", f"Created a new encrypted local store at {path}.", path
        )
    try:
        db, rekeyed = _open_existing(path, cipher)
    except StoreFileError as exc:
        return recover(path, cipher, now, exc)
    if rekeyed:
        with db.atomic():
            reencrypt(db, cipher, cipher)
    note = " Its data was re-encrypted with the current key." if rekeyed else ""
    return db, OpenReport(
        "opened", f"Opened the encrypted local store at {path}.{note}", path, rekeyed=rekeyed
    )


def create(path: Path, cipher: Cipher) -> Database:
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # owner-only; -wal inherits
    db = _connect(path)
    try:
        initialise(db, cipher, persistent=True)
    except sqlite3.DatabaseError as exc:
        db.close()
        raise StoreError(f"cannot create the local store at {path}: {exc}") from exc
    return db


def initialise(db: Database, cipher: Cipher, *, persistent: bool) -> None:
    """Mark, configure and build an empty database."""
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")  # before WAL, so it lands in the main file
    if persistent:
        _configure(db)
    migrations.apply(db)
    with db.atomic():
        db.execute(
            "INSERT OR REPLACE INTO meta (name, value) VALUES ('key_check', ?)",
            [cipher.seal(KEY_CHECK, "meta", "key_check")],
        )


def _connect(path: Path) -> Database:
    conn = sqlite3.connect(str(path))  # check_same_thread: the opening thread owns the store
    # One owner: an exclusive lock, taken at open and held until close, keeps a second instance out
    # (and, set before WAL is first used, means no -shm file is ever created).
    conn.execute("PRAGMA locking_mode = EXCLUSIVE")
    conn.execute("PRAGMA busy_timeout = 1000")
    conn.execute("PRAGMA temp_store = MEMORY")
    return Database(conn, execute_plugins=False)


def _configure(db: Database) -> None:
    db.execute("BEGIN EXCLUSIVE")
    db.execute("COMMIT")
    db.enable_wal()
    # FULL: a committed command must survive a power cut, not only an app crash.
    db.execute("PRAGMA synchronous = FULL")


def _has_content(path: Path) -> bool:
    return any(p.exists() and p.stat().st_size > 0 for p in (path, _sibling(path, "-wal")))


def _sibling(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _open_existing(path: Path, cipher: Cipher) -> tuple[Database, bool]:
    db: Database | None = None
    ours = False
    try:
        db = _connect(path)
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        if app_id != APPLICATION_ID:
            if app_id == 0 and not db.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():
                initialise(db, cipher, persistent=True)  # an empty SQLite file: make it ours
                return db, False
            raise StoreFileError("foreign", f"application_id {app_id:#010x}")
        ours = True
        _configure(db)
        check_at_open(db, path)
        version = db.execute("PRAGMA user_version").fetchone()[0]
        unknown = {m.name for m in migrations.applied(db)} - KNOWN_MIGRATIONS
        if version > SCHEMA_VERSION or unknown:
            raise StoreFileError("newer", f"schema version {version}, this version knows {SCHEMA_VERSION}")
        migrations.apply(db)
        return db, _verify_key(db, cipher)
    except StoreFileError as exc:
        raise _with_salvage(exc, db, ours) from None
    except StoreKeyError as exc:
        raise _with_salvage(StoreFileError("undecryptable", str(exc)), db, ours) from None
    except sqlite3.DatabaseError as exc:
        code = (getattr(exc, "sqlite_errorcode", None) or _SQLITE_CORRUPT) & 0xFF
        if code in (_SQLITE_BUSY, _SQLITE_LOCKED):
            _close(db)
            raise StoreBusyError(f"the local store {path} is in use by another process") from exc
        if code not in (_SQLITE_ERROR, _SQLITE_CORRUPT, _SQLITE_NOTADB):
            _close(db)
            raise StoreError(f"cannot open the local store {path}: {exc}") from exc
        ours = ours or _header_application_id(path) == APPLICATION_ID  # SQLite may refuse to say
        raise _with_salvage(StoreFileError("corrupt", str(exc)), db, ours) from None


def check_at_open(db: Database, path: Path) -> None:
    """The part of the integrity check a start waits for: the file's length against its header, and
    every table but ``DEFERRED_CHECK`` (with its indexes). Raises StoreFileError("corrupt")."""
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    size = path.stat().st_size
    wal = _sibling(path, "-wal")
    if size < pages * page_size and not (wal.exists() and wal.stat().st_size > 0):  # WAL pages may be newer
        raise StoreFileError("corrupt", f"truncated: {size} bytes, the header says {pages * page_size}")
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()]
    for table in tables:
        if table not in DEFERRED_CHECK:
            _raise_problems(db.execute(f"PRAGMA quick_check({_quoted(table)})").fetchall())


def check_whole(db: Database) -> None:
    """The whole file's quick check (every page, the free list), which ``LocalStore.check_integrity``
    runs after the first screen. Raises StoreFileError("corrupt")."""
    _raise_problems(db.execute("PRAGMA quick_check(5)").fetchall())


def _raise_problems(rows: list) -> None:
    problems = [row[0] for row in rows]
    if problems != ["ok"]:
        raise StoreFileError("corrupt", "integrity check: " + "; ".join(problems))


def _quoted(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def recover(path: Path, cipher: Cipher, now: datetime, exc: StoreFileError) -> tuple[Database, OpenReport]:
    """Sets the unusable file aside, creates a fresh store there and puts back the outbox rows
    ``exc`` salvaged; the report says so."""
    aside = set_aside(path, exc.reason, now)
    db = create(path, cipher)
    kept, pending = restore_outbox(db, exc.salvaged)
    message = (
        f"The local store {path} {_REASON_PHRASES[exc.reason]} ({exc.detail}). It was set aside as "
        f"{aside} and a new store was created, keeping {kept} outbox row{'s' if kept != 1 else ''} "
        f"({pending} unsent)."
    )
    return db, OpenReport("recovered", message, path, exc.reason, exc.detail, aside, kept, pending)


def _header_application_id(path: Path) -> int | None:
    """The application id in a database header (offset 68, big-endian), read without SQLite."""
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except OSError:
        return None
    if len(header) < 72 or not header.startswith(b"SQLite format 3\x00"):
        return None
    return int.from_bytes(header[68:72], "big", signed=True)


def _with_salvage(exc: StoreFileError, db: Database | None, ours: bool) -> StoreFileError:
    salvaged = read_outbox(db) if (db is not None and ours) else ()
    _close(db)
    return StoreFileError(exc.reason, exc.detail, salvaged)


def _close(db: Database | None) -> None:
    if db is not None:
        with contextlib.suppress(sqlite3.Error):
            db.close()


def _verify_key(db: Database, cipher: Cipher) -> bool:
    """Decrypt the key check and a sample of each table; True when data must be re-encrypted."""
    samples = [("meta", "key_check", "SELECT 'key_check', value FROM meta WHERE name = 'key_check'")]
    samples += [(s.name, s.pk, f"SELECT {s.pk}, payload FROM {s.name} LIMIT 1") for s in TABLES.values()]
    samples.append(("audit", "id", "SELECT id, details FROM audit WHERE details IS NOT NULL LIMIT 1"))
    key_ids = set()
    for table, _pk, sql in samples:
        row = db.execute(sql).fetchone()
        if row is not None:
            cipher.open(row[1], table, row[0])
            key_ids.add(Cipher.key_id_of(row[1]))
    if not db.execute("SELECT 1 FROM meta WHERE name = 'key_check'").fetchone():
        with db.atomic():
            db.execute(
                "INSERT INTO meta (name, value) VALUES ('key_check', ?)",
                [cipher.seal(KEY_CHECK, "meta", "key_check")],
            )
    return any(key_id != cipher.key_id for key_id in key_ids)


def read_outbox(db: Database) -> tuple[dict, ...]:
    """Every outbox row still readable, stopping at the first unreadable page."""
    rows: list[dict] = []
    try:
        if db.conn.in_transaction:
            db.conn.rollback()
        # Lets SQLite read a file shorter than its header says (truncated), instead of refusing it.
        db.execute("PRAGMA writable_schema = ON")
        cursor = db.execute("SELECT * FROM outbox ORDER BY rowid")
        names = [d[0] for d in cursor.description]
        while (row := cursor.fetchone()) is not None:
            rows.append(dict(zip(names, row, strict=False)))
    except sqlite3.Error as exc:
        log.warning("outbox salvage stopped after %d rows: %s", len(rows), exc)
    return tuple(rows)


def restore_outbox(db: Database, rows: tuple[dict, ...]) -> tuple[int, int]:
    """Insert salvaged outbox rows; returns (rows kept, of which pending)."""
    kept = pending = 0
    with db.atomic():
        for row in rows:
            values = {c: row.get(c) for c in OUTBOX_COLUMNS if row.get(c) is not None}
            cursor = db.execute(
                f"INSERT OR IGNORE INTO outbox ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                list(values.values()),
            )
            if cursor.rowcount == 1:
                kept += 1
                pending += values.get("state", "pending") == "pending"
    return kept, pending


def set_aside(path: Path, reason: str, now: datetime) -> Path:
    """Rename the file and its -wal/-shm to ``<name>.<reason>-<UTC time>``; returns the new path."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.{reason}-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.{reason}-{stamp}-{n}")
    for suffix in ("-wal", "-shm", "-journal"):
        if _sibling(path, suffix).exists():
            _sibling(path, suffix).rename(_sibling(aside, suffix))
    path.rename(aside)
    return aside


def reencrypt(db: Database, old: Cipher, new: Cipher, chunk: int = 2000) -> None:
    """Re-encrypt every payload from ``old``'s keys to ``new``'s current key, in the caller's transaction."""
    targets = [(s.name, s.pk, "payload") for s in TABLES.values()] + [("audit", "id", "details"),
                                                                      ("replies", "action_id", "body")]
    for table, pk, column in targets:
        last = None
        while True:
            where, params = ("WHERE rowid > ?", [last]) if last is not None else ("", [])
            rows = db.execute(
                f"SELECT rowid, {pk}, {column} FROM {table} {where} ORDER BY rowid LIMIT {chunk}", params
            ).fetchall()
            if not rows:
                break
            db.conn.executemany(
                f"UPDATE {table} SET {column} = ? WHERE rowid = ?",
                [
                    (new.seal(old.open(blob, table, key), table, key), rowid)
                    for rowid, key, blob in rows
                    if blob is not None
                ],
            )
            last = rows[-1][0]
    db.execute(
        "UPDATE meta SET value = ? WHERE name = 'key_check'", [new.seal(KEY_CHECK, "meta", "key_check")]
    )
