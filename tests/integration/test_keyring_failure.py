"""A keyring that fails to answer never costs the local data (security review, item 6): the store key is
created only when the keyring says it holds none; a read that keeps failing runs the station on memory,
says why, and leaves the key and the encrypted store file for the next start.

A real Secret Service keyring (gnome-keyring) behind a backend that fails on purpose, and a real
encrypted store file, opened through the client core as the app opens it.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend

from tests.support.keyrings import FailingKeyring
from tjv_desktop.app.core import ClientCore
from tjv_desktop.backend import vault as vault_module
from tjv_desktop.backend.vault import SERVICE, Vault
from tjv_desktop.store import LocalStore

ALERT = {"id": "al-1", "patient_id": "p-1", "provider_id": "pr-1", "priority": "high", "state": "active",
         "kind": "spo2_low", "message": "SpO2 84 % (limit 88 %)", "raised_at": "2026-11-24T03:00:00+00:00",
         "updated_at": "2026-11-24T03:00:00+00:00"}


def fingerprint(path: Path) -> dict[str, str]:
    """Every file of the store's folder and its content's digest."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.parent.iterdir())}


async def open_core(server: str, backend: KeyringBackend, store: Path) -> ClientCore:
    core = ClientCore(server, "anon-key", Vault(server, backend=backend), store_path=store)
    await core.open()
    return core


@pytest.fixture
def server() -> str:
    """A server URL of this test alone, so its keyring entries are its own (never contacted)."""
    return f"http://127.0.0.1:9/{uuid.uuid4().hex}"


async def test_a_keyring_that_fails_to_answer_keeps_the_key_and_the_store_file_for_the_next_start(
        secret_service, server, tmp_path, caplog):
    store = tmp_path / "stores" / "station.sqlite"
    entry = f"store-key@{server}"

    # First start: the keyring holds no key, so one is created and the store is an encrypted file.
    core = await open_core(server, secret_service, store)
    try:
        assert core.worker.persistent and core.vault.store_key_problem is None
        await core.worker.call(LocalStore.apply_batch, {"alerts": [ALERT]})
    finally:
        await core.stop()
    original_key = secret_service.get_password(SERVICE, entry)
    assert original_key
    before = fingerprint(store)

    # Second start: the keyring fails every read.
    failing = FailingKeyring(secret_service, failures=100)
    with caplog.at_level(logging.WARNING, logger="tjv_desktop.backend.vault"):
        core = await open_core(server, failing, store)
    try:
        assert failing.failed_reads == vault_module.READ_ATTEMPTS, "the fault happened, on every attempt"
        assert not core.worker.persistent and core.worker.path is None, "the station runs on memory"
        assert "KeyringLocked" in core.vault.store_key_problem
        assert "failed (KeyringLocked" in core.vault.description
        assert any("the local store stays in memory" in r.message and r.levelno == logging.ERROR
                   for r in caplog.records), "and says so in the log"
    finally:
        await core.stop()
    assert failing.writes == [], "a failed read never writes a key"
    assert secret_service.get_password(SERVICE, entry) == original_key
    assert fingerprint(store) == before, "the store file is untouched: nothing set aside, nothing rewritten"

    # Third start: the keyring answers after two failures (within the retries): the original key opens
    # the original file with its data.
    flaky = FailingKeyring(secret_service, failures=vault_module.READ_ATTEMPTS - 1)
    core = await open_core(server, flaky, store)
    try:
        assert flaky.failed_reads == vault_module.READ_ATTEMPTS - 1 and flaky.writes == []
        assert core.worker.persistent and core.vault.store_key_problem is None
        report = await core.worker.call(lambda s: s.open_report)
        assert report.outcome == "opened", report.message
        assert (await core.worker.call(LocalStore.get, "alerts", "al-1"))["message"] == ALERT["message"]
    finally:
        await core.stop()
    secret_service.delete_password(SERVICE, entry)


def test_only_an_empty_keyring_gets_a_new_key(secret_service, server):
    entry = f"store-key@{server}"
    vault = Vault(server, backend=secret_service)
    assert secret_service.get_password(SERVICE, entry) is None
    key = vault.store_key()
    assert key is not None and len(key) == 32
    assert vault.store_key() == key, "the second call reads the key the first one created"
    secret_service.delete_password(SERVICE, entry)
