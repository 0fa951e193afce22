"""A reject reason kept coded in the outbox reaches the server as the English text it records (security
review, item 8), through the real engine, store file and REST call against the sandbox."""

from __future__ import annotations

import asyncio
import time
import uuid

from tests.support.station import Server, Station
from tjv_desktop.domain.alerts import Command
from tjv_desktop.domain.events import LinkState
from tjv_desktop.store import LocalStore


async def eventually(read, ok, timeout: float, what: str):
    """Polls ``await read()`` until ``ok(value)``, within ``timeout``; returns the value."""
    deadline = time.monotonic() + timeout
    while not ok(value := await read()):
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        await asyncio.sleep(0.05)
    return value


async def test_a_coded_reject_reason_is_recorded_by_the_server_as_its_text(sandbox, secret_service, tmp_path):
    server = await Server.connect(sandbox.db_url)
    store = tmp_path / "station.sqlite"
    station = await Station(sandbox.url, sandbox.anon_key, store_path=store, backend=secret_service).start()
    kind = f"reject-reason-{uuid.uuid4().hex[:8]}"
    patient = None
    try:
        assert station.worker.persistent, "a store file, so its bytes can be read"
        await station.wait_state(LinkState.CONNECTED, 20)
        patient = (await server.nurse_patients(station.provider_id))[0]
        await server.raise_alert(patient, kind, "high")
        alert_id = await server.conn.fetchval(
            "select id::text from patient_alerts where kind = $1 and provider_id = $2", kind,
            uuid.UUID(station.provider_id))
        await eventually(station.alerts, lambda alerts: alert_id in alerts, 15, "the alert reaches the store")
        action = await station.engine.command(Command.REJECT, alert_id, station.provider_id,
                                              {"reason": "Handed over to another clinician"})
        await eventually(lambda: station.worker.call(LocalStore.command, action),
                         lambda command: command.state == "sent", 15, "the command is sent")
        row = await server.conn.fetchrow("select state, rejection_reason from patient_alerts where id = $1",
                                         uuid.UUID(alert_id))
        assert (row["state"], row["rejection_reason"]) == ("rejected", "Handed over to another clinician")
    finally:
        await station.stop()
        if patient is not None:
            await server.resolve(patient, kind)
        await server.close()
    wal = store.with_name(store.name + "-wal")
    raw = store.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert b"handed_over" in raw and b"Handed over to another clinician" not in raw
