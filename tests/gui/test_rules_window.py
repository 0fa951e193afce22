"""The clinical rules in the database, seen in the real window: with no simulator and nothing but the
sandbox, a patient's app writes SpO2 85 % with the official supabase client, and the nurse's window lists
a high-priority alert for that patient, the census row turns critical-coloured and the alarm bar flashes,
within 2 s of the insert."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
import pytest
from keyring.backends import fail
from supabase import AsyncClientOptions, acreate_client

from tests.support.gui import run_qt, until
from tests.support.sandbox import private_sandbox
from tests.support.station import NURSE, PASSWORD
from tjv_desktop.app.station import Monitor
from tjv_desktop.domain.events import LinkState

PATIENT_EMAIL = "patient1@riverside.tjv.test"
PATIENT_ID = "c0000000-0000-4000-8000-000000001001"  # assigned to the nurse


@pytest.fixture(scope="module")
def bare_sandbox():
    """A sandbox of its own, without the simulator: only this test's vital sign can raise the alert."""
    with private_sandbox("tjv-rules-window-") as handle:
        yield handle


def test_a_patients_spo2_of_85_shows_as_a_high_alert_in_the_nurses_window_within_two_seconds(
        qapp, bare_sandbox, artifacts_dir):
    async def scenario():
        monitor = Monitor(bare_sandbox.url, bare_sandbox.anon_key, NURSE, PASSWORD, keyring_backend=fail.Keyring(),
                          probe_deadline=5.0)
        http = httpx.AsyncClient(timeout=10)
        app = await acreate_client(bare_sandbox.url, bare_sandbox.anon_key,
                                   options=AsyncClientOptions(httpx_client=http, auto_refresh_token=False))
        try:
            window = await monitor.start()
            window.resize(1600, 1000)
            window.show()
            await until(lambda: window.link_state is LinkState.CONNECTED, 20, "the link connects")
            await until(lambda: window.census_model.row(PATIENT_ID) is not None, 20, "the census fills")
            assert window.census_model.row(PATIENT_ID).status == "stable"
            assert not [r for r in window.alerts_model.rows() if r.patient_id == PATIENT_ID]

            await app.auth.sign_in_with_password({"email": PATIENT_EMAIL, "password": PASSWORD})
            started = time.monotonic()
            await app.table("vital_signs").insert({
                "patient_id": PATIENT_ID, "measured_at": datetime.now(UTC).isoformat(), "spo2": 85,
                "heart_rate": 84, "respiratory_rate": 18, "temperature": 37.1, "systolic_bp": 128,
                "source": "manual"}).execute()

            def shown():
                return [r for r in window.alerts_model.rows()
                        if r.patient_id == PATIENT_ID and r.priority == "high" and r.needs_response]

            await until(lambda: shown() and window.census_model.row(PATIENT_ID).status != "stable", 2.0,
                        "the high alert and the changed status reach the window within 2 s")
            elapsed = time.monotonic() - started
            row = window.census_model.row(PATIENT_ID)
            assert row.top_priority == "high" and row.unanswered >= 1
            assert window.alarm_bar.status.top.patient_id == PATIENT_ID
            assert "SpO" in shown()[0].message
            window.grab().save(str(artifacts_dir / "rules_alert_window.png"))
            print(f"insert → window: {elapsed * 1000:.0f} ms")
        finally:
            await app.auth.sign_out()
            await http.aclose()
            await monitor.stop()
            if monitor.window is not None:
                monitor.window.close()

    run_qt(qapp, scenario)
