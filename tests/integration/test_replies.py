"""Replies to patients through the outbox, against the sandbox through a fault-injecting proxy: written
offline, shown at once as pending, sent once after reconnecting, received on the patient's own
``patient:{id}`` feed by the official realtime client signed in as the patient, and refused (kept,
marked failed) for a patient the clinician is not assigned to."""

from __future__ import annotations

import asyncio
import time
import uuid

from realtime import AsyncRealtimeClient, RealtimeSubscribeStates

from tests.support.station import Station
from tjv_desktop.domain.events import LinkState
from tjv_desktop.store import LocalStore
from tjv_desktop.sync import read_side

PATIENT_1 = "c0000000-0000-4000-8000-000000001001"  # the nurse's, with an app login
PATIENT_9 = "c0000000-0000-4000-8000-000000001009"  # the nurse's inactive assignment: not hers
TIMEOUT = 20.0


async def until(predicate, what: str, timeout: float = TIMEOUT):
    deadline = time.monotonic() + timeout
    while not (value := await predicate()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)  # polls for the condition, bounded by the deadline
    return value


async def patient_feed(sandbox, topic: str) -> tuple[AsyncRealtimeClient, list]:
    """The patient's app: the official client, signed in as patient 1, on its private topic."""
    client = AsyncRealtimeClient(f"{sandbox.url}/realtime/v1", token=sandbox.anon_key, auto_reconnect=False)
    await client.connect()
    await client.set_auth(sandbox.sign_in("patient1@riverside.tjv.test")["access_token"])
    received: list = []
    joined: asyncio.Future = asyncio.get_running_loop().create_future()
    channel = client.channel(topic, {"config": {"private": True, "broadcast": {},
                                                "presence": {"key": "", "enabled": False}}})
    channel.on_broadcast("change", lambda m: received.append(m["payload"]))
    await channel.subscribe(lambda s, e: joined.done() or joined.set_result(s))
    async with asyncio.timeout(TIMEOUT):
        assert await asyncio.shield(joined) == RealtimeSubscribeStates.SUBSCRIBED
    return client, received


async def test_a_reply_written_offline_reaches_the_patients_feed_once_and_an_unassigned_one_is_refused(
        sandbox, proxy, server):
    station = Station(proxy.url, sandbox.anon_key, probe_deadline=3.0)
    await station.start()
    app, received = await patient_feed(sandbox, f"patient:{PATIENT_1}")
    try:
        await station.wait_state(LinkState.CONNECTED, 20)
        offline_at = time.monotonic()
        proxy.set_mode("refuse")
        assert proxy.cut() >= 1  # the fault happened: the station's connections were closed
        await station.wait_state(LinkState.LOST, 10, after=offline_at)

        body = f"Keep the leg raised tonight ({uuid.uuid4().hex[:6]})."
        action = await station.engine.reply(PATIENT_1, body, station.provider_id)
        refused = await station.engine.reply(PATIENT_9, "Not my patient.", station.provider_id)
        shown = await station.worker.call(read_side.patient_messages, PATIENT_1)
        assert [(m["body"], m["local_state"]) for m in shown if m.get("local_state")] == [(body, "pending")]
        count = "select count(*) from messages where action_id = $1"
        assert await server.conn.fetchval(count, uuid.UUID(action)) == 0  # offline: nothing sent

        proxy.set_mode("pass")
        await station.wait_state(LinkState.CONNECTED, 30, after=offline_at)
        await until(lambda: server.conn.fetchval(count, uuid.UUID(action)), "the reply on the server")
        message = await server.conn.fetchrow("select * from messages where action_id = $1", uuid.UUID(action))
        assert (str(message["patient_id"]), message["body"], message["sender_role"]) == (PATIENT_1, body, "provider")

        # The patient's app gets it on its own topic.
        async def on_feed():
            return [row for m in received if m["table"] == "messages" and m["op"] == "INSERT"
                    for row in m["rows"] if row.get("action_id") == action]
        rows = await until(on_feed, "the reply on the patient's feed")
        assert [r["body"] for r in rows] == [body]

        # A second replay (a reconnect right after) sends nothing again; the feed carried one insert.
        await station.engine.replay_outbox()
        assert await server.conn.fetchval(count, uuid.UUID(action)) == 1
        assert await server.conn.fetchval(
            "select count(*) from realtime.messages where topic = $1 and payload->>'table' = 'messages' "
            "and payload->>'op' = 'INSERT' and payload->'rows' @> jsonb_build_array(jsonb_build_object("
            "'action_id', $2::text))", f"patient:{PATIENT_1}", action) == 1
        sent = await station.worker.call(LocalStore.reply, action)
        assert (sent.state, sent.message_id) == ("sent", str(message["id"]))
        assert await server.conn.fetchval("select count(*) from audit_log where action = 'message.send' "
                                          "and action_id = $1", uuid.UUID(action)) == 1

        failed = await until(lambda: _failed(station, refused), "the refusal of the unassigned patient's reply")
        assert "not assigned" in failed.last_error
        assert await server.conn.fetchval(count, uuid.UUID(refused)) == 0
        trail = await station.worker.call(LocalStore.audit_trail, entity_id=PATIENT_9)
        assert {"command.reply", "command.reply_failed"} <= {e.action for e in trail}
    finally:
        await app.close()
        await station.stop()


async def _failed(station: Station, action_id: str):
    reply = await station.worker.call(LocalStore.reply, action_id)
    return reply if reply.state == "failed" else None
