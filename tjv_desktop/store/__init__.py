"""The local store: an encrypted SQLite copy of the server rows, the command outbox and cursors.

Imports only the stdlib, sqlite-utils and cryptography. The key comes from the caller (the backend
keeps it in the OS keyring); without one the store lives in memory.
"""

from ..domain.changes import ChangeSet, TableChanges
from .commands import Command
from .errors import StoreBusyError, StoreDataError, StoreError, StoreFileError, StoreKeyError
from .opening import OpenReport
from .queries import AlertPage, AuditEntry, DataAge, PatientEntry
from .replies import MAX_REPLY_BYTES, Reply
from .schema import APPLICATION_ID, SCHEMA_VERSION
from .store import LocalStore

__all__ = [
    "APPLICATION_ID",
    "SCHEMA_VERSION",
    "AlertPage",
    "AuditEntry",
    "ChangeSet",
    "Command",
    "DataAge",
    "LocalStore",
    "MAX_REPLY_BYTES",
    "OpenReport",
    "PatientEntry",
    "Reply",
    "StoreBusyError",
    "StoreDataError",
    "StoreError",
    "StoreFileError",
    "StoreKeyError",
    "TableChanges",
]
