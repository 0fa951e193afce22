"""What the store keeps, in which columns, and the migrations that build it.

Clear columns hold only what indexes and ordering need: ids, canonical UTC timestamps, alert priority
and state, patient status and NEWS2 score, and the local command marker. Everything a server row
carries (names, MRN, vitals values, message text, alert messages) lives in ``payload``, the full
server row as AES-GCM-encrypted JSON. Outbox rows hold no patient data and stay clear, so they can be
salvaged from a file whose key is lost.

``PRAGMA user_version`` is the number of migrations applied; ``PRAGMA application_id`` marks the file
as a TJV store.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database, Migrations

from ..domain.alerts import COMMANDS

APPLICATION_ID = 0x544A5673  # "TJVs"
MIGRATION_SET = "tjv-store"

COMMAND_KINDS = tuple(command.value for command in COMMANDS)
COMMAND_STATES = ("pending", "sent", "failed")


@dataclass(frozen=True)
class Column:
    """A clear column filled from the first present of ``sources`` in the server row."""

    name: str
    sources: tuple[str, ...]
    kind: str = "text"  # text | instant | number


@dataclass(frozen=True)
class TableSpec:
    name: str
    pk: str
    pk_type: type
    columns: tuple[Column, ...] = ()
    server_names: tuple[str, ...] = ()
    # Local-only columns a newer server version resets to NULL.
    local_columns: tuple[str, ...] = ()


def _col(name: str, *sources: str, kind: str = "text") -> Column:
    return Column(name, sources or (name,), kind)


TABLES: dict[str, TableSpec] = {
    spec.name: spec
    for spec in (
        TableSpec(
            "alerts",
            "id",
            str,
            (
                _col("patient_id"),
                _col("provider_id"),
                _col("priority"),
                _col("state", "state", "status"),
                _col("raised_at", "raised_at", "created_at", "updated_at", kind="instant"),
            ),
            server_names=("patient_alerts",),
            local_columns=("pending_action_id",),
        ),
        TableSpec(
            "patient_status",
            "patient_id",
            str,
            (_col("status"), _col("news2_score", kind="number")),
        ),
        TableSpec("patients", "id", str),
        TableSpec(
            "vitals",
            "id",
            int,
            (
                _col("patient_id"),
                _col("measured_at", "measured_at", "recorded_at", "updated_at", kind="instant"),
            ),
            server_names=("vital_signs",),
        ),
        TableSpec("messages", "id", str, (_col("patient_id"),)),
        TableSpec("care_plans", "id", str, (_col("patient_id"),)),
    )
}
TABLE_ALIASES = {alias: spec.name for spec in TABLES.values() for alias in spec.server_names}

migrations = Migrations(MIGRATION_SET)
_NAMES: list[str] = []


def _migration(fn):
    """Register a migration that also sets ``user_version`` to its number, in its transaction."""
    version = len(_NAMES) + 1
    _NAMES.append(fn.__name__)

    def run(db: Database) -> None:
        fn(db)
        db.execute(f"PRAGMA user_version = {version}")

    run.__name__ = fn.__name__
    migrations()(run)
    return fn


def _run(db: Database, script: str) -> None:
    # executescript() would commit the migration's transaction, so run statement by statement.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


@_migration
def m001_initial(db: Database) -> None:
    _run(
        db,
        f"""
        CREATE TABLE alerts (
            id TEXT PRIMARY KEY, patient_id TEXT, provider_id TEXT, priority TEXT, state TEXT,
            raised_at TEXT, updated_at TEXT NOT NULL, pending_action_id TEXT, payload BLOB NOT NULL);
        CREATE INDEX alerts_state ON alerts (state);
        CREATE INDEX alerts_patient ON alerts (patient_id, raised_at);
        CREATE INDEX alerts_history ON alerts (raised_at, id);
        CREATE TABLE patient_status (
            patient_id TEXT PRIMARY KEY, status TEXT, news2_score NUMERIC,
            updated_at TEXT NOT NULL, payload BLOB NOT NULL);
        CREATE TABLE patients (id TEXT PRIMARY KEY, updated_at TEXT NOT NULL, payload BLOB NOT NULL);
        CREATE TABLE vitals (
            id INTEGER PRIMARY KEY, patient_id TEXT, measured_at TEXT,
            updated_at TEXT NOT NULL, payload BLOB NOT NULL);
        CREATE INDEX vitals_patient ON vitals (patient_id, measured_at);
        CREATE TABLE messages (
            id TEXT PRIMARY KEY, patient_id TEXT, updated_at TEXT NOT NULL, payload BLOB NOT NULL);
        CREATE INDEX messages_patient ON messages (patient_id, updated_at);
        CREATE TABLE care_plans (
            id TEXT PRIMARY KEY, patient_id TEXT, updated_at TEXT NOT NULL, payload BLOB NOT NULL);
        CREATE INDEX care_plans_patient ON care_plans (patient_id, updated_at);
        CREATE TABLE cursors (name TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at TEXT NOT NULL);
        CREATE TABLE outbox (
            action_id TEXT PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN {COMMAND_KINDS!r}),
            alert_id TEXT NOT NULL, actor TEXT, args TEXT, created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN {COMMAND_STATES!r}),
            updated_at TEXT);
        CREATE INDEX outbox_state ON outbox (state, created_at);
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT, action TEXT NOT NULL,
            entity TEXT, entity_id TEXT, details BLOB);
        CREATE INDEX audit_entity ON audit (entity, entity_id);
        CREATE TABLE meta (name TEXT PRIMARY KEY, value)
        """,
    )


@_migration
def m002_replies(db: Database) -> None:
    # Replies to patients wait here until the server has them. Unlike the alert outbox, a reply is text
    # a person typed, so its body is encrypted (``body``, sealed like a payload) and only ids stay clear.
    _run(
        db,
        f"""
        CREATE TABLE replies (
            action_id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, actor TEXT, created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN {COMMAND_STATES!r}),
            message_id TEXT, updated_at TEXT, body BLOB NOT NULL);
        CREATE INDEX replies_state ON replies (state, created_at);
        CREATE INDEX replies_patient ON replies (patient_id, created_at)
        """,
    )


SCHEMA_VERSION = len(_NAMES)
KNOWN_MIGRATIONS = frozenset(_NAMES)
