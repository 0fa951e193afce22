"""The store's whole-file check runs after the first screen (store/opening.py DEFERRED_CHECK): a file
whose vitals are damaged opens, and is then set aside with the window told and refilled from the server.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.support.gui import run_qt, until
from tests.support.station import NURSE
from tjv_desktop.app.config import StationConfig
from tjv_desktop.app.settings import Settings
from tjv_desktop.app.startup import Startup, store_file
from tjv_desktop.backend.auth import identity_from_token
from tjv_desktop.backend.vault import Vault
from tjv_desktop.store import LocalStore

DAMAGED = "00000000-0000-0000-0000-00000000dead"


def _store_with_damaged_vitals(path: Path, key: bytes) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    path.parent.mkdir(parents=True, mode=0o700)
    with LocalStore.open(path, key) as store:
        store.apply_batch({"patients": [{"id": DAMAGED, "full_name": "Yesterday's Patient",
                                         "updated_at": now.isoformat()}]})
        store.apply("vitals", [{"id": n, "patient_id": DAMAGED, "heart_rate": 70, "note": "x" * 300,
                                "measured_at": (now - timedelta(minutes=n)).isoformat(),
                                "updated_at": now.isoformat()} for n in range(1, 3000)])
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pageno = conn.execute("SELECT pageno FROM dbstat WHERE name = 'vitals' AND pagetype = 'leaf' "
                          "ORDER BY pageno LIMIT 1 OFFSET 1").fetchone()[0]
    conn.close()
    with path.open("r+b") as file:  # a bad sector in yesterday's vitals
        file.seek((pageno - 1) * page_size)
        file.write(b"\xff" * page_size)


@pytest.mark.sandbox
def test_damaged_vitals_found_after_the_census_are_set_aside_and_refetched(qapp, sandbox, secret_service, tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"server_url": sandbox.url, "anon_key": sandbox.anon_key}))
    user = tmp_path / "user.json"
    user.write_text(json.dumps({"store_path": str(tmp_path / "stores")}))
    settings = Settings.load(policy_file=policy, user_file=user, defaults_file=tmp_path / "none.json", env={})
    tokens = sandbox.sign_in(NURSE)
    vault = Vault(sandbox.url, backend=secret_service)
    vault.save_refresh_token(tokens["refresh_token"])  # yesterday's session
    path = store_file(tmp_path / "stores", sandbox.url, identity_from_token(tokens["access_token"]).user_id)
    _store_with_damaged_vitals(path, vault.store_key())

    async def start():
        startup = Startup(StationConfig.from_settings(settings), keyring_backend=secret_service, probe_deadline=3.0)
        run = asyncio.ensure_future(startup.run())
        try:
            await until(lambda: startup.monitor is not None and startup.monitor.window is not None
                        and startup.monitor.window.isVisible(), 30, "the station starts on the stored session")
            station = startup.monitor.window
            await until(lambda: "damaged and set aside" in station.store_label.text(), 20,
                        "the deferred check finds the damage and the status bar says so")
            aside = list(path.parent.glob(f"{path.name}.corrupt-*"))
            assert len(aside) == 1 and str(aside[0]) in station.store_label.text()
            await until(lambda: station.census_model.rowCount() > 0
                        and station.census_model.row(DAMAGED) is None, 30,
                        "yesterday's rows from the damaged file are gone; the nurse's patients come again")
            startup.quit()
            assert await asyncio.wait_for(run, 30) == 0
        finally:
            if not run.done():
                startup.quit()
                await asyncio.wait_for(run, 30)

    run_qt(qapp, start, timeout=120)
    with LocalStore.open(path, vault.store_key()) as store:  # the fresh file is sound and holds the refetch
        assert store.open_report.outcome == "opened" and store.check_integrity() is None
        assert store.get("patients", DAMAGED) is None and store.patient_list()
    vault.clear_refresh_token()
