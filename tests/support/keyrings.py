"""A keyring backend that fails on purpose: the real keyring behind it, except that its next ``failures``
reads raise KeyringError, as a locked, busy or restarting keyring daemon does."""

from __future__ import annotations

import keyring.errors
from keyring.backend import KeyringBackend


class FailingKeyring(KeyringBackend):
    priority = 1  # a secure backend as far as the vault can tell

    def __init__(self, real: KeyringBackend, failures: int):
        super().__init__()
        self.real, self.failures = real, failures
        self.failed_reads = 0
        self.writes: list[str] = []

    def get_password(self, service, username):
        if self.failures > 0:
            self.failures -= 1
            self.failed_reads += 1
            raise keyring.errors.KeyringLocked("Failed to unlock the collection!")
        return self.real.get_password(service, username)

    def set_password(self, service, username, password):
        self.writes.append(username)
        self.real.set_password(service, username, password)

    def delete_password(self, service, username):
        self.real.delete_password(service, username)
