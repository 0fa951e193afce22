"""The real window: against the sandbox with the real engine (alert in, keyboard acknowledge out), and
screenshots of a populated census and a patient's charts.

Async work runs on a qasync loop created per test (no pytest-asyncio hook, so the non-Qt async tests
keep their default loop); no blocking qtbot waits, and every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.support.gui import live_window, offline_station, populate, run_qt, sandbox_database, until
from tests.support.station import NURSE
from tjv_desktop.domain.events import LinkState
from tjv_desktop.ui.tables import apply_dark_palette


@pytest.mark.sandbox
def test_an_alert_raised_in_the_database_shows_and_a_keyboard_acknowledge_reaches_the_server(qapp, sandbox):
    async def scenario():
        async with sandbox_database(sandbox) as conn, live_window(sandbox) as (_monitor, window):
            await until(lambda: window.census_model.rowCount() > 0, 10, "the census fills")
            patient_id = sorted(window.census_model.keys())[0]
            await conn.execute("select resolve_alerts($1, 'tachycardia')", uuid.UUID(patient_id))
            alert_id = str(await conn.fetchval(
                "select id from raise_alert($1,'high','tachycardia','Heart rate 135 /min (limit 130 /min)',"
                "135,130,'/min') where provider_id = $2", uuid.UUID(patient_id), uuid.UUID(window.provider_id)))

            await until(lambda: window.alerts_model.row(alert_id) is not None, 10, "the alert is listed")
            assert window.alerts_model.row(alert_id).state == "active"
            assert window.census_model.row(patient_id).top_priority == "high"

            assert window.select_alert(alert_id)
            window.alerts_view.setFocus()
            QTest.keyClick(window.alerts_view, Qt.Key.Key_A)
            await until(lambda: window.alerts_model.row(alert_id).state == "acknowledged", 1.0,
                        "the list shows 'acknowledged' at once")

            deadline = time.monotonic() + 10
            while (state := await conn.fetchval("select state from patient_alerts where id = $1",
                                                uuid.UUID(alert_id))) != "acknowledged":
                assert time.monotonic() < deadline, f"the server still says {state!r}"
                await asyncio.sleep(0.1)
            await until(lambda: not window.alerts_model.row(alert_id).pending_action_id, 10,
                        "the server's row replaces the pending command")

    run_qt(qapp, scenario)


# --- screenshots on a populated store -----------------------------------------------------------------

def test_screenshots_of_the_census_and_of_a_patients_charts(qapp, artifacts_dir):
    async def scenario():
        apply_dark_palette(qapp)
        async with offline_station(populate(datetime.now(UTC)), user_label=NURSE,
                                   store_note="Local copy kept in memory only (no secure keyring)") as window:
            window.set_link_state(LinkState.CONNECTED)
            window.resize(1920, 1080)
            window.show()
            assert window.census_model.rowCount() == 40
            worst = window.census_proxy.key_at(0)
            assert window.census_model.row(worst).top_priority == "high"
            window.select_patient(worst)
            await until(lambda: window.detail.patient_id == worst, 5, "the detail loads")
            await until(lambda: window.detail.curves["heart_rate"].getData()[0] is not None, 5,
                        "the 2 Hz chart timer draws the heart-rate curve")
            assert window.grab().save(str(artifacts_dir / "main_window.png"))
            window.detail.set_hours(24)
            assert window.detail.grab().save(str(artifacts_dir / "patient_detail.png"))

    run_qt(qapp, scenario)


@pytest.mark.sandbox
def test_the_shown_patients_channel_brings_their_messages_and_care_plan_live(qapp, sandbox):
    async def scenario():
        async with sandbox_database(sandbox) as conn, live_window(sandbox) as (monitor, window):
            link = monitor.core.link
            await until(lambda: window.census_model.rowCount() >= 2, 10, "the census fills")
            shown, other = sorted(window.census_model.keys())[:2]
            window.select_patient(shown)
            await until(lambda: window.detail.patient_id == shown, 5, "the detail loads")
            await until(lambda: link.patient_channel == f"patient:{shown}", 5, "the patient's channel opens")
            await until(lambda: link._patient_channel.channel is not None, 10, "and is joined")
            via: list[tuple[str, str]] = []  # (channel, table) of every change the link delivers
            monitor.core.events.change_arrived.add(lambda change: via.append((change.channel, change.table)))
            resyncs = monitor.core.health.last_resync_at
            await until(lambda: monitor.core.health.last_resync_at != resyncs, 10,
                        "joining asks for a resync")

            body = f"Knee swelling worse since this morning ({uuid.uuid4().hex[:6]})"
            elsewhere = f"Other patient's message ({uuid.uuid4().hex[:6]})"
            for pid, text in ((shown, body), (other, elsewhere)):
                await conn.execute(
                    "insert into messages (tenant_id, patient_id, sender_role, body) "
                    "select tenant_id, id, 'patient', $2 from patients where id = $1", uuid.UUID(pid), text)
            await conn.execute(
                "insert into care_plans (tenant_id, patient_id, title, goals) select tenant_id, id, "
                "'Swelling protocol', '[\"Ice 20 min every 2 h\"]'::jsonb from patients where id = $1",
                uuid.UUID(shown))
            await until(lambda: body in window.detail.messages.toPlainText(), 10,
                        "the patient's new message shows while their detail is open")
            await until(lambda: "Ice 20 min every 2 h" in window.detail.care_plan.toPlainText(), 10,
                        "and the care plan change")
            assert elsewhere not in window.detail.messages.toPlainText()
            assert (f"patient:{shown}", "messages") in via and (f"patient:{shown}", "care_plans") in via, \
                "they came on the patient's channel, live"

            window.select_patient(other)
            await until(lambda: link.patient_channel == f"patient:{other}", 5, "the channel follows the selection")
            assert f"patient:{shown}" not in link._extras, "the previous patient's channel is closed"
            await until(lambda: elsewhere in window.detail.messages.toPlainText(), 10,
                        "the other patient's message is in their detail")

    run_qt(qapp, scenario, timeout=90)


def test_the_census_the_title_and_the_alarm_bar_agree_on_a_rejected_alert(qapp, artifacts_dir):
    """One rule (domain.alerts.needs_response) everywhere: a rejected alert still needs an owner, so the
    census marks it new, the alerts title counts it as awaiting a response, and the alarm bar flashes it."""
    async def scenario():
        now = datetime.now(UTC).isoformat()
        batch = {
            "patients": [{"id": "p1", "full_name": "Ann Lee", "updated_at": now}],
            "alerts": [{"id": "a1", "patient_id": "p1", "provider_id": "prov-1", "priority": "high",
                        "state": "rejected", "kind": "spo2_low", "message": "SpO2 85 %", "raised_at": now,
                        "updated_at": now}]}
        async with offline_station(batch, size=(1600, 1000), user_label=NURSE) as window:
            census = window.census_model.row("p1")
            assert census.unanswered == 1
            cell = window.census_model.index(0, window.census_model.COLUMNS.index("alerts")).data()
            assert cell == "*** 1 new"
            assert "(1 awaiting response)" in window.alerts_title.text()
            status = window.alarm_bar.status
            assert status.waiting_counts["high"] == 1 and status.top.id == "a1" and status.top.flashing
            assert window.select_alert("a1")
            assert window.accept_button.isEnabled() and not window.ack_button.isEnabled()
            assert not window.reject_button.isEnabled(), "it was rejected already"

    run_qt(qapp, scenario)


def test_a_vitals_tick_of_many_patients_is_applied_in_slices_every_row_once_and_whole(qapp):
    from tjv_desktop.store import LocalStore
    from tjv_desktop.ui.main_window import CENSUS_SLICE_ROWS
    from tjv_desktop.ui.models import CensusModel

    async def scenario():
        async with offline_station(populate(datetime.now(UTC), 100), size=(1920, 1080)) as window:
            model = window.census_model
            slices: list[list[str]] = []
            apply = model.apply

            def recording(rows):
                slices.append(list(rows))
                apply(rows)

            model.apply = recording
            now = datetime.now(UTC).isoformat()
            rows = [{"id": 10_000 + n, "patient_id": pid, "measured_at": now, "updated_at": now,
                     "heart_rate": 60 + n % 50, "spo2": 97} for n, pid in enumerate(model.keys())]
            changes = await window.engine.worker.call(LocalStore.apply_batch, {"vitals": rows})
            await window.apply_changes(changes)
            assert len(slices) > 1 and all(len(s) <= CENSUS_SLICE_ROWS for s in slices)
            applied = [key for s in slices for key in s]
            assert sorted(applied) == sorted(r["patient_id"] for r in rows)  # each once
            hr = CensusModel.COLUMNS.index("heart_rate")
            for row in rows:
                index = model.index(model.keys().index(row["patient_id"]), hr)
                assert index.data() == str(row["heart_rate"])

    run_qt(qapp, scenario)
