"""What the window tests share: a qasync loop per test, waiting on a condition, a populated store, and the
two ways a test gets a window: ``live_window`` (the real station signed in on the sandbox) and
``offline_station`` (the real window and engine on an in-memory store nobody syncs). Both clean up in
the one right order: the station stops while the loop still runs, then the window closes."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import asyncpg
import qasync
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.support.station import NURSE, PASSWORD
from tests.support.waiting import until  # noqa: F401 - the GUI tests import it from here too
from tjv_desktop.app.station import Monitor
from tjv_desktop.domain.events import LinkState, StationEvents
from tjv_desktop.domain.news2 import evaluate_alerts, patient_status, score_news2
from tjv_desktop.domain.vitals import VitalSample
from tjv_desktop.store import LocalStore
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


@contextlib.asynccontextmanager
async def sandbox_database(sandbox) -> AsyncIterator[asyncpg.Connection]:
    """A superuser connection to the sandbox's database, to write what the platform writes (alerts,
    messages) and read the truth; closed on exit."""
    conn = await asyncpg.connect(sandbox.db_url)
    try:
        yield conn
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def live_window(sandbox, *, email: str = NURSE, password: str = PASSWORD, url: str | None = None,
                      size: tuple[int, int] = (1600, 1000), connected: bool = True,
                      **monitor_kwargs) -> AsyncIterator[tuple[Monitor, object]]:
    """The station signed in as ``email`` on the sandbox (or through ``url``, e.g. a fault proxy), started,
    resized, shown and, with ``connected``, with its link connected; yields ``(monitor, window)``. No
    keyring (so nothing is kept) and a 3 s probe deadline unless ``monitor_kwargs`` say otherwise."""
    monitor_kwargs.setdefault("keyring_backend", fail.Keyring())
    monitor_kwargs.setdefault("probe_deadline", 3.0)
    monitor = Monitor(url or sandbox.url, sandbox.anon_key, email, password, **monitor_kwargs)
    try:
        window = await monitor.start()
        window.resize(*size)
        window.show()
        if connected:
            await until(lambda: window.link_state is LinkState.CONNECTED, 20, "the link connects")
        yield monitor, window
    finally:
        await monitor.stop()
        if monitor.window is not None:
            monitor.window.close()


@contextlib.asynccontextmanager
async def offline_station(batch: dict | None = None, *, size: tuple[int, int] | None = None,
                          **window_kwargs) -> AsyncIterator[object]:
    """``offline_window`` on a fresh in-memory store holding ``batch``, started (and, with ``size``, resized
    and shown); yields the window. Its store is ``window.engine.worker``."""
    worker = StoreWorker(None, None)
    await worker.open()
    window = None
    try:
        if batch is not None:
            await worker.call(LocalStore.apply_batch, batch)
        window = offline_window(worker, **window_kwargs)
        await window.start()
        if size is not None:
            window.resize(*size)
            window.show()
        yield window
    finally:
        if window is not None:
            await window.stop()
            window.close()
        await worker.close()


def offline_window(worker: StoreWorker, provider_id: str = "prov-1", **kwargs):
    """The real window on the real sync engine over a store nobody syncs: no server, the engine never
    started, so commands stay in the outbox and everything shown comes from the store."""
    from tjv_desktop.ui.main_window import MainWindow

    events = StationEvents()
    return MainWindow(SyncEngine(worker, None, provider_id, events), events, provider_id, **kwargs)


def submit(window, password: str) -> None:
    window.lock_screen.password_edit.setText(password)
    QTest.keyClick(window.lock_screen.password_edit, Qt.Key.Key_Return)
