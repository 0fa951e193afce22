"""The client core under faults, against the real sandbox through a fault-injecting proxy.

In every scenario: every alert committed on the server is in the local store exactly once (keyed by id)
with its latest version; a loss is reported within the liveness deadline; offline acknowledgements reach
the server exactly once. Each fault test first proves its fault happened.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlparse

import pytest

from tests.support.faultproxy import FaultProxy
from tests.support.sandbox import make_data_root, start_sandbox, stop_sandbox
from tests.support.station import Server, Station, burst, converged
from tjv_desktop.domain.events import LinkState
from tjv_desktop.store import LocalStore

DEADLINE = 3.0


@pytest.fixture
async def station(proxy, sandbox):
    s = Station(proxy.url, sandbox.anon_key, probe_deadline=DEADLINE)
    await s.start()
    await s.wait_state(LinkState.CONNECTED, 20)
    yield s
    await s.stop()


def now() -> datetime:
    return datetime.now(UTC)


async def test_live_alerts_reach_the_store_with_their_latest_state(station, server):
    since = now()
    patients = await server.nurse_patients(station.provider_id)
    await burst(server, patients, 9, rate=20, tag=f"live-{uuid.uuid4().hex[:6]}")
    truth = await converged(station, server, since)
    assert len(truth) >= 9
    assert station.link.health.probe_rtts_ms, "the liveness probe never completed"


async def test_cut_during_a_burst_loses_no_alert(station, server, proxy):
    since = now()
    patients = await server.nurse_patients(station.provider_id)
    lost_after = time.monotonic()

    async def cut() -> None:
        assert proxy.cut() >= 1  # the fault happened: live connections were closed

    await burst(server, patients, 30, rate=15, tag=f"cut-{uuid.uuid4().hex[:6]}", during=cut)
    await station.wait_state(LinkState.LOST, 10, after=lost_after)
    await station.wait_state(LinkState.CONNECTED, 30, after=lost_after)
    truth = await converged(station, server, since)
    assert len(truth) >= 30
    assert station.link.health.reconnects >= 1


async def test_blackhole_is_declared_lost_within_the_deadline_and_recovers(station, server, proxy):
    since = now()
    patients = await server.nurse_patients(station.provider_id)
    holed_at = 0.0

    async def blackhole() -> None:
        nonlocal holed_at
        holed_at = time.monotonic()
        proxy.set_mode("blackhole")

    await burst(server, patients, 20, rate=10, tag=f"hole-{uuid.uuid4().hex[:6]}", during=blackhole)
    lost_at = await station.wait_state(LinkState.LOST, DEADLINE * 3, after=holed_at)
    assert proxy.stats.bytes_dropped > 0  # the fault happened: traffic was swallowed
    # Declared lost within the deadline (plus one probe interval of granularity).
    assert lost_at - holed_at <= DEADLINE + DEADLINE / 4 + 0.5, lost_at - holed_at
    proxy.set_mode("pass")
    await station.wait_state(LinkState.CONNECTED, 30, after=lost_at)
    truth = await converged(station, server, since)
    assert len(truth) >= 20


async def test_acknowledgements_made_offline_reach_the_server_exactly_once(station, server, proxy):
    patients = await server.nurse_patients(station.provider_id)
    since = now()
    kind = f"ack-{uuid.uuid4().hex[:6]}"
    await server.raise_alert(patients[0], kind, "high")
    truth = await converged(station, server, since)
    (alert_id,) = truth

    offline_at = time.monotonic()
    proxy.set_mode("refuse")
    assert proxy.cut() >= 1
    await station.wait_state(LinkState.LOST, 10, after=offline_at)
    action_id = await station.engine.command("acknowledge", alert_id, station.provider_id)

    shown = await station.worker.call(LocalStore.get, "alerts", alert_id)
    assert shown["state"] == "acknowledged" and shown["pending_action_id"] == action_id  # shown at once
    assert await server.conn.fetchval("select state from patient_alerts where id = $1", uuid.UUID(alert_id)) == "active"

    proxy.set_mode("pass")
    await station.wait_state(LinkState.CONNECTED, 30, after=offline_at)
    deadline = time.monotonic() + 20
    while await server.conn.fetchval("select state from patient_alerts where id = $1",
                                     uuid.UUID(alert_id)) != "acknowledged":
        assert time.monotonic() < deadline, "the offline acknowledgement never reached the server"
        await asyncio.sleep(0.2)  # polling the database for the condition
    # A second replay (e.g. a reconnect right after) must not apply it again.
    await station.engine.replay_outbox()
    assert await server.conn.fetchval("select count(*) from alert_actions where action_id = $1",
                                      uuid.UUID(action_id)) == 1
    assert await server.conn.fetchval("select count(*) from audit_log where action_id = $1 and action = "
                                      "'alert.acknowledge'", uuid.UUID(action_id)) == 1
    await converged(station, server, since)
    stored = await station.worker.call(LocalStore.get, "alerts", alert_id)
    assert stored["state"] == "acknowledged" and stored["pending_action_id"] is None


async def test_postgres_restart_during_a_burst_loses_no_alert(station, server, sandbox):
    since = now()
    patients = await server.nurse_patients(station.provider_id)
    restarted = asyncio.Event()

    async def restart() -> None:
        await asyncio.get_running_loop().run_in_executor(None, sandbox.restart_postgres)
        restarted.set()

    await burst(server, patients, 20, rate=10, tag=f"pg-{uuid.uuid4().hex[:6]}", during=restart)
    assert restarted.is_set()
    truth = await converged(station, server, since, timeout=45)
    assert len(truth) >= 20
    # Whatever the restart cost the feed (messages committed while Realtime's replication was down are
    # never delivered live), the station found it by itself: a hole in seq, replay, or a resync.


async def test_sandbox_restarted_under_the_client_loses_no_alert(secret_service):
    from tjv_sandbox.postgres import free_port

    root = make_data_root("tjv-restart-")
    port = free_port()
    first = start_sandbox(root / "data", "--port", str(port))
    target = urlparse(first.url)
    proxy = await FaultProxy(target.hostname, target.port).start()
    station = Station(proxy.url, first.anon_key, probe_deadline=DEADLINE)
    server = await Server.connect(first.db_url)
    second = None
    try:
        await station.start()
        await station.wait_state(LinkState.CONNECTED, 20)
        since = now()
        patients = await server.nurse_patients(station.provider_id)
        await burst(server, patients, 6, rate=20, tag="before")
        await server.close()
        stopped_at = time.monotonic()
        assert stop_sandbox(first) == 0
        await station.wait_state(LinkState.LOST, DEADLINE * 3, after=stopped_at)
        second = await asyncio.get_running_loop().run_in_executor(
            None, lambda: start_sandbox(root / "data", "--port", str(port)))
        server = await Server.connect(second.db_url)
        await burst(server, patients, 6, rate=20, tag="after")
        await station.wait_state(LinkState.CONNECTED, 40, after=stopped_at)
        truth = await converged(station, server, since, timeout=40)
        assert len(truth) >= 12
    finally:
        await station.stop()
        await server.close()
        await proxy.stop()
        if second is not None:
            stop_sandbox(second)


async def test_a_token_expiring_mid_stream_loses_no_alert(secret_service):
    root = make_data_root("tjv-expiry-")
    short = start_sandbox(root / "data", "--jwt-expiry", "6")
    server = await Server.connect(short.db_url)
    station = Station(short.url, short.anon_key, probe_deadline=DEADLINE)
    try:
        await station.start()
        # Refresh only 2 s AFTER expiry, so the token really expires while channels are joined.
        station.auth.margin = -2
        refreshed = []
        station.auth.client.auth.on_auth_state_change(
            lambda event, _s: event == "TOKEN_REFRESHED" and refreshed.append(time.monotonic()))
        await station.wait_state(LinkState.CONNECTED, 20)
        since = now()
        patients = await server.nurse_patients(station.provider_id)
        await burst(server, patients, 40, rate=2.5, tag="expiry")  # 16 s: more than two token lifetimes
        assert len(refreshed) >= 2  # the tokens were renewed under the stream…
        # …after really expiring: the server closed the joined channels (the fault happened).
        assert any("CLOSED" in gap for gap in station.gaps), station.gaps
        truth = await converged(station, server, since, timeout=40)
        assert len(truth) >= 40
    finally:
        await station.stop()
        await server.close()
        stop_sandbox(short)


async def test_a_refreshed_token_reaches_the_live_socket_without_a_reconnect(station):
    before = station.link.socket_token
    reconnects = station.link.health.reconnects
    # JWT times are whole seconds: a refresh within the same second would yield the very same token.
    await asyncio.sleep(1.05 - time.time() % 1)
    assert await station.auth.refresh_now()
    assert station.auth.access_token != before
    deadline = time.monotonic() + 5
    while station.link.socket_token != station.auth.access_token:
        assert time.monotonic() < deadline, "the refreshed token never reached the socket"
        await asyncio.sleep(0.05)  # polling for the condition, bounded by the deadline
    assert station.link.health.reconnects == reconnects
