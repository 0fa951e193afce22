"""The store's exceptions.

StoreError
├── StoreKeyError    a payload does not decrypt with the keys given (wrong key, rotated out, tampered)
├── StoreBusyError   the file is held by another process (a second instance of the app)
├── StoreDataError   a row handed to the store is unusable (no primary key, no or naive updated_at,
│                    unknown table or command kind); also a ValueError
└── StoreFileError   an existing file cannot be used as this store (``reason``: corrupt, foreign,
                     newer, undecryptable). ``LocalStore.open`` catches it, sets the file aside and
                     reports it in ``OpenReport``; it only escapes from lower-level helpers.

``LocalStore.open`` raises StoreBusyError, or plain StoreError for an environment failure (disk full,
no permission), instead of setting a healthy file aside.
Misuse of the API itself (a file path without a key, a key of the wrong length) raises ValueError.
Using a store from a thread other than the one that opened it raises sqlite3.ProgrammingError.
"""

from __future__ import annotations


class StoreError(Exception):
    """Base class of every error the local store raises on purpose."""


class StoreKeyError(StoreError):
    """An encrypted value could not be decrypted with the keys this store holds."""


class StoreBusyError(StoreError):
    """Another process holds the store file; only one owner may use it."""


class StoreDataError(StoreError, ValueError):
    """A row or argument handed to the store cannot be stored as given."""


class StoreFileError(StoreError):
    """An existing store file is unusable. ``reason`` is one of FILE_REASONS."""

    def __init__(self, reason: str, detail: str, salvaged: tuple[dict, ...] = ()):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.salvaged = salvaged  # outbox rows still readable from the file


FILE_REASONS = ("corrupt", "foreign", "newer", "undecryptable")
