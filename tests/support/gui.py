"""What the window tests share: a qasync loop per test, waiting on a condition, a populated store, and an
engine stand-in for windows on a store nobody syncs."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import datetime, timedelta

import qasync
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tjv_desktop.domain.events import StationEvents
from tjv_desktop.domain.news2 import evaluate_alerts, patient_status, score_news2
from tjv_desktop.domain.vitals import VitalSample
from tjv_desktop.sync.engine import SyncEngine
from tjv_desktop.sync.worker import StoreWorker


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


def offline_window(worker: StoreWorker, provider_id: str = "prov-1", **kwargs):
    """The real window on the real sync engine over a store nobody syncs: no server, the engine never
    started, so commands stay in the outbox and everything shown comes from the store."""
    from tjv_desktop.ui.main_window import MainWindow

    events = StationEvents()
    return MainWindow(SyncEngine(worker, None, provider_id, events), events, provider_id, **kwargs)


def submit(window, password: str) -> None:
    window.lock_screen.password_edit.setText(password)
    QTest.keyClick(window.lock_screen.password_edit, Qt.Key.Key_Return)
