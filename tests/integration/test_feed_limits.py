"""The project limits on database broadcasts, on the Realtime routes in-process (so the rate counter's tick
can be short): over the payload limit a message is dropped and logged; while the events rate is tripped
database broadcasts are dropped and a channel that receives a broadcast is shut down, as on Supabase."""

from __future__ import annotations

import asyncio
import logging
import uuid

import pytest

from tests.support.realtime_support import event_of, payload_of, realtime_server

pytestmark = pytest.mark.sandbox

NURSE_USER = "a0000000-0000-4000-8000-000000001001"
NURSE_PROVIDER = uuid.UUID("b0000000-0000-4000-8000-000000001001")
PATIENT_1 = uuid.UUID("c0000000-0000-4000-8000-000000001001")
TOPIC = f"provider:{NURSE_PROVIDER}"


async def until(predicate, what: str, timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)  # polls in-process server state, bounded by the deadline


async def insert_alert(rt, kind: str, conn=None) -> None:
    await (conn or rt.pool).execute(
        "insert into patient_alerts (event_id, tenant_id, patient_id, provider_id, priority, kind, message)"
        " select gen_random_uuid(), tenant_id, $1, $2, 'low', $3, 'limits test' from patients where id = $1",
        PATIENT_1, NURSE_PROVIDER, kind)


async def join_feed(rt):
    ws = await rt.raw("1.0.0")
    _, reply = await ws.join(f"realtime:{TOPIC}", {"private": True}, access_token=rt.user_token(NURSE_USER))
    assert payload_of(reply)["status"] == "ok", reply
    return ws


async def next_change(ws) -> dict:
    frame = await ws.recv_until(lambda f: event_of(f) == "broadcast")
    return frame["payload"]["payload"]


@pytest.fixture
async def cleanup(pg_cluster):
    kinds: list[str] = []
    yield kinds
    import asyncpg

    db = await asyncpg.connect(pg_cluster.dsn())
    try:
        await db.execute("delete from patient_alerts where kind = any($1::text[])", kinds)
    finally:
        await db.close()


async def test_a_database_broadcast_over_the_payload_limit_is_dropped_and_logged(pg_cluster, tmp_path, caplog,
                                                                                 cleanup):
    async with realtime_server(pg_cluster, tmp_path, max_payload_kb=1) as rt:
        ws = await join_feed(rt)
        meter = rt.realtime.meter
        caplog.set_level(logging.ERROR, "tjv_sandbox.realtime.db_broadcast")
        await rt.pool.execute("select realtime.send(jsonb_build_object('seq', -1, 'big', repeat('x', 1600)),"
                              " 'change', $1, true)", TOPIC)
        kind = f"small-{uuid.uuid4().hex[:6]}"
        cleanup.append(kind)
        await insert_alert(rt, kind)
        change = await next_change(ws)
        assert change["rows"][0]["kind"] == kind  # the big one never came; the next one did
        assert meter.db_broadcasts["dropped_payload_size"] == 1
        assert [(d["reason"], d["topic"], d["seq"]) for d in meter.dropped] == [("payload_size", TOPIC, -1)]
        assert "UnableToBroadcastChanges: payload_size_exceeded" in caplog.text


async def test_over_the_events_rate_database_broadcasts_drop_and_receiving_channels_close(pg_cluster, tmp_path,
                                                                                         caplog, cleanup):
    async with realtime_server(pg_cluster, tmp_path, max_events_per_second=1, rate_tick=0.2) as rt:
        ws = await join_feed(rt)
        meter = rt.realtime.meter
        caplog.set_level(logging.ERROR, "tjv_sandbox.realtime")
        tag = uuid.uuid4().hex[:6]
        # One transaction raising an alert for the tenant's four clinicians: one message on each of their
        # four topics (the feed sends one per topic per transaction), the nurse's delivered: 4 sent + 1
        # delivered, far over 1 message/s once a tick averages them, all before any tick can trip it.
        async with rt.pool.acquire() as conn, conn.transaction():
            providers = await conn.fetch(
                "select id from providers where tenant_id = (select tenant_id from patients where id = $1)"
                " and id <> $2 order by id", PATIENT_1, NURSE_PROVIDER)
            assert len(providers) == 3
            for i, provider in enumerate([NURSE_PROVIDER, *(r["id"] for r in providers)]):
                cleanup.append(f"rate-{tag}-{i}")
                await conn.execute(
                    "insert into patient_alerts (event_id, tenant_id, patient_id, provider_id, priority, kind, message)"
                    " select gen_random_uuid(), tenant_id, $1, $2, 'low', $3, 'limits test' from patients where id = $1",
                    PATIENT_1, provider, f"rate-{tag}-{i}")
        seqs = [(await next_change(ws))["seq"]]
        await until(lambda: meter.rate.triggered, "the rate limit to trip")

        cleanup.append(f"rate-{tag}-dropped")
        await insert_alert(rt, f"rate-{tag}-dropped")
        await until(lambda: meter.db_broadcasts["dropped_rate_limit"] == 1, "the drop")
        assert [(d["reason"], d["seq"]) for d in meter.dropped] == [("rate_limit", seqs[-1] + 1)]
        assert "UnableToBroadcastChanges: too_many_requests" in caplog.text
        assert "MessagePerSecondRateLimitReached" in caplog.text

        # a client broadcast still goes out, and each channel that receives it is shut down
        sender, receiver = await rt.raw("1.0.0"), await rt.raw("1.0.0")
        await sender.join("realtime:rate-room")
        receiver_ref, _ = await receiver.join("realtime:rate-room")
        await sender.send("realtime:rate-room", "broadcast", {"type": "broadcast", "event": "e", "payload": {}}, "9", "1")
        assert event_of(await receiver.recv()) == "broadcast"
        assert await receiver.recv() == {"topic": "realtime:rate-room", "event": "system", "ref": None, "payload": {
            "extension": "system", "status": "error", "message": "Too many messages per second",
            "channel": "rate-room"}}
        assert await receiver.recv() == {"topic": "realtime:rate-room", "event": "phx_close", "payload": {},
                                         "ref": receiver_ref}

        # once the window's average falls below the limit, messages flow again; the seq shows the gap
        await until(lambda: not meter.rate.triggered, "the rate limit to clear", timeout=15)
        cleanup.append(f"rate-{tag}-after")
        await insert_alert(rt, f"rate-{tag}-after")
        change = await next_change(ws)
        assert change["rows"][0]["kind"] == f"rate-{tag}-after" and change["seq"] == seqs[-1] + 2
