"""Secrets in the OS keyring: the rotating refresh token, the local store's encryption key, and the
collaboration session keys IT provisions.

Only secure backends count (Windows Credential Manager, macOS Keychain, Secret Service). keyring's
fail/null backends and the plaintext file backends of keyrings.alt are refused: with them the app keeps
nothing on disk (the store stays in memory, the user signs in each time) and says so.
"""

from __future__ import annotations

import base64
import logging
import secrets

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

    @property
    def secure(self) -> bool:
        return is_secure(self.backend)

    @property
    def description(self) -> str:
        name = _backend_name(self.backend)
        return f"OS keyring ({name})" if self.secure else f"no secure keyring ({name}): nothing is kept on disk"

    def _get(self, kind: str) -> str | None:
        if not self.secure:
            return None
        try:
            return self.backend.get_password(SERVICE, f"{kind}@{self.server_url}")
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
        """The local store's 256-bit key, created on first use; None without a secure keyring."""
        if not self.secure:
            return None
        existing = self._get("store-key")
        if existing:
            return base64.b64decode(existing)
        key = secrets.token_bytes(32)
        return key if self._set("store-key", base64.b64encode(key).decode()) else None
