"""The real window: against the sandbox with the real engine (alert in, keyboard acknowledge out), and
screenshots of a populated census and a patient's charts.

Async work runs on a qasync loop created per test (no pytest-asyncio hook, so the non-Qt async tests
keep their default loop); no blocking qtbot waits, and every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
import qasync
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tjv_desktop.app import Monitor
from tjv_desktop.backend.health import LinkState
from tjv_desktop.domain.news2 import evaluate_alerts, patient_status, score_news2
from tjv_desktop.domain.vitals import VitalSample
from tjv_desktop.store import LocalStore
from tjv_desktop.sync.worker import StoreWorker
from tjv_desktop.ui.main_window import MainWindow
from tjv_desktop.ui.tables import apply_dark_palette

from .station import NURSE, PASSWORD


def run_qt(qapp, make_coro, timeout: float = 45.0):
    """Runs ``make_coro()`` on a fresh qasync loop, bounded by ``timeout``."""
    qapp.setQuitOnLastWindowClosed(False)  # closing the test's window must not stop the loop
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(asyncio.wait_for(make_coro(), timeout))
    finally:
        leftovers = [t for t in asyncio.all_tasks(loop) if not t.done()]  # e.g. realtime push timeouts
        for task in leftovers:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
        asyncio.set_event_loop(None)


async def until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.02)


@pytest.mark.sandbox
def test_an_alert_raised_in_the_database_shows_and_a_keyboard_acknowledge_reaches_the_server(qapp, sandbox):
    async def scenario():
        monitor = Monitor(sandbox.url, sandbox.anon_key, NURSE, PASSWORD, keyring_backend=fail.Keyring(),
                          probe_deadline=3.0)
        conn = await asyncpg.connect(sandbox.db_url)
        try:
            window = await monitor.start()
            window.resize(1600, 1000)
            window.show()
            await until(lambda: window.link_state is LinkState.CONNECTED, 20, "the link connects")
            await until(lambda: window.census_model.rowCount() > 0, 10, "the census fills")
            patient_id = sorted(window.census_model.keys())[0]
            await conn.execute("select resolve_alerts($1, 'tachycardia')", uuid.UUID(patient_id))
            alert_id = str(await conn.fetchval(
                "select id from raise_alert($1,'high','tachycardia','Heart rate 135 /min (limit 130 /min)',"
                "135,130,'/min') where provider_id = $2", uuid.UUID(patient_id), uuid.UUID(window.provider_id)))

            await until(lambda: window.alerts_model.row(alert_id) is not None, 10, "the alert is listed")
            assert window.alerts_model.row(alert_id)["state"] == "active"
            assert window.census_model.row(patient_id)["top_priority"] == "high"

            assert window.select_alert(alert_id)
            window.alerts_view.setFocus()
            QTest.keyClick(window.alerts_view, Qt.Key.Key_A)
            await until(lambda: window.alerts_model.row(alert_id)["state"] == "acknowledged", 1.0,
                        "the list shows 'acknowledged' at once")

            deadline = time.monotonic() + 10
            while (state := await conn.fetchval("select state from patient_alerts where id = $1",
                                                uuid.UUID(alert_id))) != "acknowledged":
                assert time.monotonic() < deadline, f"the server still says {state!r}"
                await asyncio.sleep(0.1)
            await until(lambda: not window.alerts_model.row(alert_id)["pending_action_id"], 10,
                        "the server's row replaces the pending command")
        finally:
            await conn.close()
            await monitor.stop()
            if monitor.window is not None:
                monitor.window.close()

    run_qt(qapp, scenario)


# --- screenshots on a populated store -----------------------------------------------------------------

FIRST = ["Maria", "John", "Ann", "Peter", "Grace", "Ahmed", "Lena", "Tom", "Sofia", "Raj", "Olga", "Mark",
         "Chen", "Ines", "Paul", "Nora", "Ivan", "Ruth", "Omar", "Kate"]
LAST = ["Lopez", "Smith", "Lee", "Novak", "Brown", "Khan", "Meyer", "Walsh", "Rossi", "Patel"]


def populate(now: datetime, patients: int = 40) -> dict:
    """40 patients, 24 h of vitals every 10 min; a few deteriorating, with the alerts the rules raise."""
    rng = random.Random(7)
    batch: dict[str, list[dict]] = {"patients": [], "patient_status": [], "vitals": [], "alerts": []}
    vid = 0
    for i in range(patients):
        pid = str(uuid.UUID(int=i + 1))
        batch["patients"].append({
            "id": pid, "full_name": f"{FIRST[i % 20]} {LAST[(i * 7) % 10]}", "procedure": ("THA", "TKA")[i % 2],
            "side": ("left", "right")[i % 3 % 2], "surgery_date": (now - timedelta(days=1 + i % 9)).date().isoformat(),
            "updated_at": now.isoformat()})
        trouble = i in (3, 11, 17, 26)
        sample = None
        for step in range(144, -1, -1):
            at = now - timedelta(minutes=10 * step) - timedelta(seconds=20 * i)
            drift = (144 - step) / 144 if trouble else 0
            vid += 1
            values = {"heart_rate": int(76 + 58 * drift + rng.gauss(0, 4)),
                      "spo2": int(min(100, 97 - 6 * drift + rng.gauss(0, 0.8))),
                      "respiratory_rate": int(15 + 9 * drift + rng.gauss(0, 1)),
                      "temperature": round(36.8 + 1.6 * drift + rng.gauss(0, 0.15), 1),
                      "systolic_bp": int(126 - 30 * drift + rng.gauss(0, 5)),
                      "diastolic_bp": int(78 - 12 * drift + rng.gauss(0, 3)),
                      "pain_score": max(0, min(10, int(3 + 5 * drift + rng.gauss(0, 1))))}
            batch["vitals"].append({"id": vid, "patient_id": pid, "measured_at": at.isoformat(),
                                    "updated_at": at.isoformat(), **values})
            sample = VitalSample(patient_id=pid, measured_at=at, **values)
        result = score_news2(sample)
        alerts = evaluate_alerts(sample, result)
        batch["patient_status"].append({"patient_id": pid, "status": patient_status(result, alerts),
                                        "news2_score": result.aggregate, "updated_at": now.isoformat()})
        for n, a in enumerate(alerts):
            raised = now - timedelta(minutes=3 + 7 * n + i)
            batch["alerts"].append({"id": str(uuid.uuid4()), "patient_id": pid, "provider_id": "prov-1",
                                    "priority": a.priority, "kind": a.kind, "message": a.message,
                                    "value": a.value, "limit_value": a.limit, "unit": a.unit,
                                    "state": "acknowledged" if n == 1 else "active",
                                    "raised_at": raised.isoformat(), "updated_at": raised.isoformat()})
    return batch


class StoreOnlyEngine:
    """The two things the window asks of the engine, on a store nobody syncs."""

    def __init__(self, worker: StoreWorker):
        self.worker = worker
        self.window = None

    async def data_age(self):
        return timedelta(seconds=12)

    async def command(self, kind, alert_id, actor, args=None):
        self.window.handle_changes(await self.worker.call(LocalStore.record_command, kind, alert_id,
                                                          str(uuid.uuid4()), actor, args))


def test_screenshots_of_the_census_and_of_a_patients_charts(qapp, artifacts_dir):
    async def scenario():
        worker = StoreWorker(None, None)
        await worker.open()
        engine = StoreOnlyEngine(worker)
        window = None
        try:
            await worker.call(LocalStore.apply_batch, populate(datetime.now(UTC)))
            apply_dark_palette(qapp)
            window = MainWindow(engine, worker, "prov-1", "prov-1", user_label=NURSE,
                                store_note="Local copy kept in memory only (no secure keyring)")
            engine.window = window
            await window.start()
            window.set_link_state(LinkState.CONNECTED)
            window.resize(1920, 1080)
            window.show()
            assert window.census_model.rowCount() == 40
            worst = window.census_proxy.key_at(0)
            assert window.census_model.row(worst)["top_priority"] == "high"
            window.select_patient(worst)
            await until(lambda: window.detail.patient_id == worst, 5, "the detail loads")
            await until(lambda: window.detail.curves["heart_rate"].getData()[0] is not None, 5,
                        "the 2 Hz chart timer draws the heart-rate curve")
            assert window.grab().save(str(artifacts_dir / "main_window.png"))
            window.detail.set_hours(24)
            assert window.detail.grab().save(str(artifacts_dir / "patient_detail.png"))
        finally:
            if window is not None:
                await window.stop()
                window.close()
            await worker.close()

    run_qt(qapp, scenario)


@pytest.mark.sandbox
def test_the_shown_patients_channel_brings_their_messages_and_care_plan_live(qapp, sandbox):
    async def scenario():
        monitor = Monitor(sandbox.url, sandbox.anon_key, NURSE, PASSWORD, keyring_backend=fail.Keyring(),
                          probe_deadline=3.0)
        conn = await asyncpg.connect(sandbox.db_url)
        try:
            window = await monitor.start()
            window.resize(1600, 1000)
            window.show()
            link = monitor.core.link
            await until(lambda: window.link_state is LinkState.CONNECTED, 20, "the link connects")
            await until(lambda: window.census_model.rowCount() >= 2, 10, "the census fills")
            shown, other = sorted(window.census_model.keys())[:2]
            window.select_patient(shown)
            await until(lambda: window.detail.patient_id == shown, 5, "the detail loads")
            await until(lambda: link.patient_channel == f"patient:{shown}", 5, "the patient's channel opens")
            await until(lambda: link._patient_channel.channel is not None, 10, "and is joined")
            via: list[tuple[str, str]] = []  # (channel, table) of every change the link delivers
            deliver = link._on_change
            link._on_change = lambda change: (via.append((change.channel, change.table)), deliver(change))
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
        finally:
            await conn.close()
            await monitor.stop()
            if monitor.window is not None:
                monitor.window.close()

    run_qt(qapp, scenario, timeout=90)
