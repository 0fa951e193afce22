"""Secrets in the OS keyring: the rotating refresh token, the local store's encryption key, and the
collaboration session keys IT provisions.

Only secure backends count (Windows Credential Manager, macOS Keychain, Secret Service). keyring's
fail/null backends and the plaintext file backends of keyrings.alt are refused: with them the app keeps
nothing on disk (the store stays in memory, the user signs in each time) and says so.

A keyring that fails to answer is not a keyring without a key: the store key is only ever created when
the keyring says it holds none. A read that keeps failing leaves the key (and the store file it opens)
untouched; the app runs on memory this time and says why (``store_key_problem``).
"""

from __future__ import annotations

import base64
import logging
import secrets
import time

import keyring
import keyring.errors
from keyring.backend import KeyringBackend

log = logging.getLogger(__name__)

SERVICE = "tjv-desktop"
_INSECURE_BACKENDS = {
    "keyring.backends.fail.Keyring",
    "keyring.backends.null.Keyring",
    "keyrings.alt.file.PlaintextKeyring",
    "keyrings.alt.file.EncryptedKeyring",  # a file with a password prompt: not usable unattended
}
# A keyring daemon that is starting, busy or briefly unreachable on D-Bus often answers a moment later:
# three reads 0.2 s then 0.4 s apart, at most about 0.6 s of waiting at start.
READ_ATTEMPTS = 3
READ_BACKOFF_SECONDS = 0.2


def _backend_name(backend: KeyringBackend) -> str:
    return f"{type(backend).__module__}.{type(backend).__name__}"


def is_secure(backend: KeyringBackend) -> bool:
    """True for backends that keep secrets in an OS-protected store."""
    chained = getattr(backend, "backends", None)
    if chained is not None:  # keyring's ChainerBackend: secure if its first backend is
        return bool(chained) and is_secure(chained[0])
    return _backend_name(backend) not in _INSECURE_BACKENDS and backend.priority > 0


class Vault:
    """The keyring entries of one server: ``refresh-token@<url>`` and ``store-key@<url>``."""

    def __init__(self, server_url: str, backend: KeyringBackend | None = None):
        self.server_url = server_url.rstrip("/")
        self.backend = backend or keyring.get_keyring()
        # Why the last store_key() gave no key although the keyring is secure (the error it kept
        # answering, or that a new key was not saved); None when it gave one or the keyring is not secure.
        self.store_key_problem: str | None = None

    @property
    def secure(self) -> bool:
        return is_secure(self.backend)

    @property
    def description(self) -> str:
        name = _backend_name(self.backend)
        if not self.secure:
            return f"no secure keyring ({name}): nothing is kept on disk"
        if self.store_key_problem:
            return f"OS keyring ({name}) failed ({self.store_key_problem}): nothing is written to disk this time"
        return f"OS keyring ({name})"

    def _read(self, kind: str) -> str | None:
        """The entry (None when the keyring holds none); raises KeyringError when every attempt failed."""
        entry = f"{kind}@{self.server_url}"
        for attempt in range(1, READ_ATTEMPTS):
            try:
                return self.backend.get_password(SERVICE, entry)
            except keyring.errors.KeyringError as exc:
                log.warning("keyring read failed (%s, attempt %d of %d): %s", kind, attempt, READ_ATTEMPTS, exc)
                time.sleep(READ_BACKOFF_SECONDS * 2 ** (attempt - 1))
        return self.backend.get_password(SERVICE, entry)

    def _get(self, kind: str) -> str | None:
        if not self.secure:
            return None
        try:
            return self._read(kind)
        except keyring.errors.KeyringError as exc:
            log.warning("keyring read failed (%s): %s", kind, exc)
            return None

    def _set(self, kind: str, value: str) -> bool:
        if not self.secure:
            return False
        try:
            self.backend.set_password(SERVICE, f"{kind}@{self.server_url}", value)
            return True
        except keyring.errors.KeyringError as exc:
            log.warning("keyring write failed (%s): %s", kind, exc)
            return False

    def _delete(self, kind: str) -> None:
        if not self.secure:
            return
        try:
            self.backend.delete_password(SERVICE, f"{kind}@{self.server_url}")
        except keyring.errors.PasswordDeleteError:
            pass
        except keyring.errors.KeyringError as exc:
            log.warning("keyring delete failed (%s): %s", kind, exc)

    def load_refresh_token(self) -> str | None:
        return self._get("refresh-token")

    def save_refresh_token(self, token: str) -> bool:
        return self._set("refresh-token", token)

    def clear_refresh_token(self) -> None:
        self._delete("refresh-token")

    def session_keys_document(self) -> str | None:
        """The collaboration key document IT provisions as ``session-keys@<server>`` (collab/keys.py);
        None when there is none (sessions are then not end-to-end encrypted)."""
        return self._get("session-keys")

    def store_key(self) -> bytes | None:
        """The local store's 256-bit key, created when the keyring holds none (first start); None without
        a secure keyring, or when the keyring failed (``store_key_problem`` says how): then the store
        runs in memory and its file, with the key that opens it, is left for the next start."""
        self.store_key_problem = None
        if not self.secure:
            return None
        try:
            existing = self._read("store-key")
        except keyring.errors.KeyringError as exc:
            self.store_key_problem = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            log.error("store key not read: the keyring failed %d times (%s); the local store stays in memory "
                      "this time and its file is kept, unchanged, for the next start", READ_ATTEMPTS, exc)
            return None
        if existing:
            return base64.b64decode(existing)
        key = secrets.token_bytes(32)
        if self._set("store-key", base64.b64encode(key).decode()):
            return key
        self.store_key_problem = "the new store key was not saved"
        return None
