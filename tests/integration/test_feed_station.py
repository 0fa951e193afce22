"""The station on the database feed, with messages dropped on purpose by the sandbox (as a failed
``realtime.send`` or at-most-once delivery would lose them): every dropped message is found by the
station itself, from the sequence numbers and the server's positions, and what it carried reaches the
store through a resync."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from tests.support.sandbox import private_sandbox
from tests.support.station import Server, Station, burst, converged
from tests.support.waiting import until
from tjv_desktop.domain.events import LinkState
from tjv_desktop.store import LocalStore


@pytest.fixture(scope="module")
def feed_sandbox():
    """A sandbox of its own: the drop fault applies to every client of a sandbox."""
    with private_sandbox("tjv-feed-station-", "--backfill-hours", "0") as handle:
        yield handle


def _service(sandbox) -> dict:
    return {"apikey": sandbox.service_role_key, "Authorization": f"Bearer {sandbox.service_role_key}"}


def set_drop(sandbox, fraction: float) -> None:
    r = httpx.post(f"{sandbox.url}/sandbox/v1/faults", json={"drop_broadcasts": fraction}, headers=_service(sandbox),
                   timeout=10)
    r.raise_for_status()


def dropped_on(sandbox, topic: str) -> set[int]:
    r = httpx.get(f"{sandbox.url}/sandbox/v1/metrics", headers=_service(sandbox), timeout=10)
    r.raise_for_status()
    return {d["seq"] for d in r.json()["dropped_db_broadcasts"] if d["topic"] == topic}


async def test_every_dropped_message_is_found_by_the_station_and_what_it_carried_reaches_the_store(feed_sandbox):
    station = Station(feed_sandbox.url, feed_sandbox.anon_key, probe_deadline=5.0, position_check_seconds=1.0)
    server = await Server.connect(feed_sandbox.db_url)
    try:
        await station.start()
        await station.wait_state(LinkState.CONNECTED, 30)
        await until(lambda: station.resyncs >= 1, 30, "the first resync sets every topic's position")
        topic = f"provider:{station.provider_id}"
        patients = await server.nurse_patients(station.provider_id)
        since = datetime.now(UTC)
        set_drop(feed_sandbox, 0.3)
        try:
            await burst(server, patients, 24, rate=20, tag=f"drop-{uuid.uuid4().hex[:6]}")
        finally:
            set_drop(feed_sandbox, 0.0)
        dropped = dropped_on(feed_sandbox, topic)
        assert len(dropped) >= 5, f"the fault dropped messages on the station's topic: {sorted(dropped)}"

        truth = await converged(station, server, since, timeout=60)
        assert len(truth) >= 24
        feed = station.link.feed.feeds[topic]

        def found() -> set[int]:
            # Found lost by the station (a hole, a position ahead of it), or fetched by a resync first.
            return set(feed.lost_seqs) | set(feed.covered_seqs)

        # A dropped newest message is found by the position check.
        await until(lambda: dropped <= found(), 30, "every drop found or fetched by a resync")
        assert set(feed.lost_seqs) <= dropped, "nothing that arrived was taken for lost"
        assert feed.lost_seqs, "the station found losses itself, not only by chance of a resync"
        assert station.resyncs >= 2, "what the lost messages carried came by resync"
    finally:
        await station.stop()
        await server.close()


async def test_a_patients_message_reaches_the_store_live_though_no_patient_is_shown(feed_sandbox):
    """The census's unread counts move without a resync: a message arrives on provider:<id> (the station
    joins patient:<id> only for the patient it shows, and here shows none)."""
    set_drop(feed_sandbox, 0.0)
    station = Station(feed_sandbox.url, feed_sandbox.anon_key, probe_deadline=5.0)
    server = await Server.connect(feed_sandbox.db_url)
    try:
        await station.start()
        await station.wait_state(LinkState.CONNECTED, 30)
        await until(lambda: station.resyncs >= 1, 30, "the first resync")
        assert not [t for t in station.link.feed.feeds if t.startswith("patient:")], "no patient is shown"
        patient = (await server.nurse_patients(station.provider_id))[0]
        resyncs = station.resyncs
        body = f"live-{uuid.uuid4().hex[:8]}"
        message_id = await server.conn.fetchval(
            "insert into messages (tenant_id, patient_id, sender_role, body)"
            " select tenant_id, id, 'patient', $2 from patients where id = $1 returning id::text",
            uuid.UUID(patient), body)

        async def stored() -> bool:
            rows = await station.worker.call(LocalStore.rows_for_patient, "messages", patient)
            return any(str(r.get("id")) == message_id and r.get("body") == body for r in rows)

        async with asyncio.timeout(15):
            while not await stored():
                await asyncio.sleep(0.05)
        assert station.resyncs == resyncs, "it came live, not by a resync"
    finally:
        await station.stop()
        await server.close()
