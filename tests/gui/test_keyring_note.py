"""The window says when a keyring that failed to answer keeps the local copy in memory, and why (security
review, item 6): the status bar names the keyring's error, and no store file is written."""

from __future__ import annotations

import pytest

from tests.support.gui import live_window, run_qt
from tests.support.keyrings import FailingKeyring
from tjv_desktop.backend.vault import Vault


@pytest.mark.sandbox
def test_a_keyring_that_fails_to_answer_is_named_in_the_status_bar(qapp, sandbox, secret_service, tmp_path):
    failing = FailingKeyring(secret_service, failures=1_000)
    store = tmp_path / "stores" / "station.sqlite"

    async def scenario():
        async with live_window(sandbox, keyring_backend=failing, store=store) as (monitor, window):
            assert failing.failed_reads >= 3, "the fault happened"
            assert not monitor.core.worker.persistent
            assert window.store_label.isVisible()
            assert window.store_label.text() == ("Local copy kept in memory only: the keyring failed "
                                                 "(KeyringLocked: Failed to unlock the collection!)")

    try:
        run_qt(qapp, scenario)
    finally:
        Vault(sandbox.url, backend=secret_service).clear_refresh_token()  # the sign-in kept one
    assert not store.parent.exists(), "nothing was written to disk"
    assert not any(entry.startswith("store-key@") for entry in failing.writes), "and no key was written"
