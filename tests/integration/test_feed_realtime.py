"""The live feed end to end on a ``tjv-sandbox`` of its own: database broadcasts on private ``provider:``
topics reach the official clients (realtime-py 2.34.1 and realtime-js), a colleague's topic is refused
with the real error, replay returns what a client missed, seq arrives consecutive from concurrent writers,
and the drop fault and the billed-message counter say exactly what happened.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
import uuid

import asyncpg
import httpx
import pytest
from realtime import AsyncRealtimeClient, RealtimeSubscribeStates

from tests.integration.test_realtime_js import JS_DIR, NODE, JsClient
from tests.support.sandbox import make_data_root, start_sandbox, stop_sandbox

pytestmark = pytest.mark.sandbox

TIMEOUT = 15
NURSE, SURGEON = "nurse@riverside.tjv.test", "surgeon@riverside.tjv.test"
PATIENT_1 = uuid.UUID("c0000000-0000-4000-8000-000000001001")
needs_js = pytest.mark.skipif(NODE is None or not (JS_DIR / "node_modules" / "@supabase" / "realtime-js").is_dir(),
                              reason="JS harness not installed: cd tests/js && npm ci")


@pytest.fixture(scope="module")
def feed_sandbox():
    """A sandbox started with ``--drop-broadcasts 0.5`` (tests set the fraction they need at run time),
    without the 5 s join-error backoff, so that its counters are this module's alone."""
    root = make_data_root("tjv-feed-sandbox-")
    previous = os.environ.get("TJV_SANDBOX_REALTIME_JOIN_ERROR_BACKOFF")
    os.environ["TJV_SANDBOX_REALTIME_JOIN_ERROR_BACKOFF"] = "0"
    try:
        handle = start_sandbox(root / "data", "--drop-broadcasts", "0.5")
    finally:
        if previous is None:
            os.environ.pop("TJV_SANDBOX_REALTIME_JOIN_ERROR_BACKOFF")
        else:
            os.environ["TJV_SANDBOX_REALTIME_JOIN_ERROR_BACKOFF"] = previous
    try:
        yield handle
    finally:
        stop_sandbox(handle)
        shutil.rmtree(root, ignore_errors=True)


def service(sb) -> dict:
    return {"apikey": sb.service_role_key, "Authorization": f"Bearer {sb.service_role_key}"}


def metrics(sb) -> dict:
    r = httpx.get(f"{sb.url}/sandbox/v1/metrics", headers=service(sb), timeout=10)
    r.raise_for_status()
    return r.json()


def set_drop(sb, fraction: float) -> None:
    r = httpx.post(f"{sb.url}/sandbox/v1/faults", headers=service(sb), json={"drop_broadcasts": fraction}, timeout=10)
    assert r.status_code == 200 and r.json() == {"drop_broadcasts": fraction}, r.text


def provider_of(sb, email: str) -> str:
    return sb.user(email)["provider_id"]


async def insert_alert(sb, email: str, kind: str) -> None:
    """One alert for one provider: exactly one message on that provider's topic."""
    db = await asyncpg.connect(sb.db_url)
    try:
        await db.execute(
            "insert into patient_alerts (event_id, tenant_id, patient_id, provider_id, priority, kind, message)"
            " select gen_random_uuid(), tenant_id, $1, $2, 'medium', $3, 'test' from patients where id = $1",
            PATIENT_1, uuid.UUID(provider_of(sb, email)), kind)
    finally:
        await db.close()


def kind_of(payload: dict) -> str:
    """The kind of the first alert a feed message carries ("" for none): one transaction's changes on a
    topic come in one message, its parts in ``parts`` when it changed several tables."""
    for part in payload.get("parts") or (payload,):
        if part.get("table") == "patient_alerts" and part.get("rows"):
            return part["rows"][0].get("kind") or ""
    return ""


class PyFeed:
    """One realtime-py client joined to a private topic, collecting its ``change`` broadcasts."""

    def __init__(self, client: AsyncRealtimeClient, channel, received: list, system: list, state: asyncio.Future):
        self.client, self.channel, self.received, self.system, self.state = client, channel, received, system, state

    @classmethod
    async def join(cls, sb, email: str, topic: str, broadcast: dict | None = None) -> PyFeed:
        client = AsyncRealtimeClient(f"{sb.url}/realtime/v1", token=sb.anon_key, auto_reconnect=False)
        await client.connect()
        await client.set_auth(sb.sign_in(email)["access_token"])
        received: list = []
        system: list = []
        state: asyncio.Future = asyncio.get_running_loop().create_future()
        channel = client.channel(topic, {"config": {"private": True, "broadcast": broadcast or {},
                                                    "presence": {"key": "", "enabled": False}}})
        channel.on_broadcast("change", received.append)
        channel.on_system(lambda p: system.append(p.message))
        await channel.subscribe(lambda s, e: state.done() or state.set_result((s, e)))
        await asyncio.wait_for(asyncio.shield(state), TIMEOUT)
        return cls(client, channel, received, system, state)

    async def until(self, predicate, what: str, of: str = "received") -> None:
        deadline = time.monotonic() + TIMEOUT
        while not predicate(getattr(self, of)):
            assert time.monotonic() < deadline, f"timed out waiting for {what}; got {getattr(self, of)}"
            await asyncio.sleep(0.02)  # polls the client's callback list, bounded by the deadline

    def kinds(self) -> list[str]:
        """The alert kinds received, in order (other tables' messages are left out)."""
        return [kind_of(m["payload"]) for m in self.received if kind_of(m["payload"])]

    async def close(self) -> None:
        await self.client.close()


async def test_the_cli_flag_sets_the_drop_fraction_and_metrics_need_the_service_key(feed_sandbox):
    assert metrics(feed_sandbox)["faults"] == {"drop_broadcasts": 0.5}
    r = httpx.get(f"{feed_sandbox.url}/sandbox/v1/metrics", headers={"apikey": feed_sandbox.anon_key}, timeout=10)
    assert r.status_code == 401
    r = httpx.post(f"{feed_sandbox.url}/sandbox/v1/faults", headers=service(feed_sandbox),
                   json={"drop_broadcasts": 1.5}, timeout=10)
    assert r.status_code == 422 and "from 0 to 1" in r.json()["message"]
    assert metrics(feed_sandbox)["faults"] == {"drop_broadcasts": 0.5}


async def test_python_client_receives_its_provider_feed_and_is_refused_a_colleagues(feed_sandbox):
    set_drop(feed_sandbox, 0)
    topic = f"provider:{provider_of(feed_sandbox, NURSE)}"
    feed = await PyFeed.join(feed_sandbox, NURSE, topic, {"replication_ready": True})
    try:
        assert feed.state.result()[0] == RealtimeSubscribeStates.SUBSCRIBED
        await feed.until(lambda s: s == ["Replication connection established"], "replication ready", of="system")
        kind = f"py-{uuid.uuid4().hex[:8]}"
        await insert_alert(feed_sandbox, NURSE, kind)
        await feed.until(lambda r: kind in [kind_of(m["payload"]) for m in r], "the alert")
        [msg] = [m for m in feed.received if kind_of(m["payload"]) == kind]
        assert msg["event"] == "change" and "replayed" not in msg.get("meta", {})
        payload = msg["payload"]
        assert payload["table"] == "patient_alerts" and payload["op"] == "INSERT" and payload["seq"] >= 1
        assert msg["meta"]["id"] == payload["id"]  # the realtime.messages row id, also in the payload
        assert payload["rows"][0]["provider_id"] == provider_of(feed_sandbox, NURSE)

        colleague = f"provider:{provider_of(feed_sandbox, SURGEON)}"
        refused = await PyFeed.join(feed_sandbox, NURSE, colleague)
        state, error = refused.state.result()
        await refused.close()
        assert state == RealtimeSubscribeStates.CHANNEL_ERROR
        assert json.loads(str(error)) == {
            "reason": f"Unauthorized: You do not have permissions to read from this Channel topic: {colleague}"}
    finally:
        await feed.close()


async def test_replay_returns_what_a_client_missed_oldest_first_with_replayed_meta(feed_sandbox):
    set_drop(feed_sandbox, 0)
    topic = f"provider:{provider_of(feed_sandbox, NURSE)}"
    since = int(time.time() * 1000) - 1000
    kinds = [f"missed-{i}-{uuid.uuid4().hex[:6]}" for i in range(3)]
    for kind in kinds:
        await insert_alert(feed_sandbox, NURSE, kind)

    feed = await PyFeed.join(feed_sandbox, NURSE, topic, {"replay": {"since": since, "limit": 25}})
    two = await PyFeed.join(feed_sandbox, NURSE, topic, {"replay": {"since": since, "limit": 2}})
    try:
        await feed.until(lambda r: set(kinds) <= {kind_of(m["payload"]) for m in r}, "the replay")
        assert feed.kinds()[-3:] == kinds
        assert all(m["meta"]["replayed"] is True and m["meta"]["id"] for m in feed.received)
        # oldest first by inserted_at (the sending transaction's start): ours were three transactions
        ours = [m["payload"]["seq"] for m in feed.received if kind_of(m["payload"]) in kinds]
        assert ours == list(range(ours[0], ours[0] + 3))
        await two.until(lambda r: kinds[2] in {kind_of(m["payload"]) for m in r}, "the newest two")
        assert two.kinds() == kinds[1:]
    finally:
        await feed.close()
        await two.close()

    for broadcast, private, reason in (
        ({"replay": {"since": "yesterday"}}, True, "UnableToReplayMessages: Replay params are not valid"),
        ({"replay": {"since": since, "limit": 2.5}}, True, "UnableToReplayMessages: Replay params are not valid"),
        ({"replay": {"since": since}}, False, "UnableToReplayMessages: Replay is not allowed for public channels"),
    ):
        client = AsyncRealtimeClient(f"{feed_sandbox.url}/realtime/v1", token=feed_sandbox.anon_key,
                                     auto_reconnect=False)
        await client.connect()
        await client.set_auth(feed_sandbox.sign_in(NURSE)["access_token"])
        done: asyncio.Future = asyncio.get_running_loop().create_future()
        channel = client.channel(topic, {"config": {"private": private, "broadcast": broadcast,
                                                    "presence": {"key": "", "enabled": False}}})
        await channel.subscribe(lambda s, e, done=done: done.done() or done.set_result((s, e)))
        state, error = await asyncio.wait_for(done, TIMEOUT)
        await client.close()
        assert state == RealtimeSubscribeStates.CHANNEL_ERROR and json.loads(str(error)) == {"reason": reason}


async def test_seq_arrives_consecutive_from_concurrent_writers(feed_sandbox):
    set_drop(feed_sandbox, 0)
    topic = f"provider:{provider_of(feed_sandbox, NURSE)}"
    feed = await PyFeed.join(feed_sandbox, NURSE, topic)
    tag = uuid.uuid4().hex[:6]
    try:
        async def writer(i: int) -> None:
            for k in range(5):
                await insert_alert(feed_sandbox, NURSE, f"conc-{tag}-{i}-{k}")

        await asyncio.gather(*(writer(i) for i in range(6)))
        await feed.until(lambda r: sum(tag in k for k in [kind_of(m["payload"]) for m in r]) == 30,
                         "30 alerts")
        seqs = [m["payload"]["seq"] for m in feed.received]
        assert seqs == list(range(seqs[0], seqs[0] + 30)), seqs  # arrival (commit) order is seq order
    finally:
        await feed.close()


async def test_dropped_broadcasts_are_counted_noticed_by_seq_and_recovered_by_replay(feed_sandbox):
    topic = f"provider:{provider_of(feed_sandbox, NURSE)}"
    set_drop(feed_sandbox, 0)
    first = await PyFeed.join(feed_sandbox, NURSE, topic)
    second = await PyFeed.join(feed_sandbox, NURSE, topic)
    try:
        before = metrics(feed_sandbox)
        since = int(time.time() * 1000) - 1000
        set_drop(feed_sandbox, 0.5)  # restarts the count: the 2nd, 4th, … message is dropped
        tag = uuid.uuid4().hex[:6]
        for i in range(10):
            await insert_alert(feed_sandbox, NURSE, f"drop-{tag}-{i}")
        set_drop(feed_sandbox, 0)
        await insert_alert(feed_sandbox, NURSE, f"fence-{tag}")  # commit order: once it arrives, all are decided
        for feed in (first, second):
            await feed.until(lambda r: f"fence-{tag}" in [kind_of(m["payload"]) for m in r], "the fence")
        after = metrics(feed_sandbox)

        got = [k for k in first.kinds() if tag in k]
        assert got == [f"drop-{tag}-{i}" for i in range(0, 10, 2)] + [f"fence-{tag}"]
        assert second.kinds() == first.kinds()
        seqs = [m["payload"]["seq"] for m in first.received]
        missing = sorted(set(range(seqs[0], seqs[-1] + 1)) - set(seqs))
        dropped = after["dropped_db_broadcasts"][len(before["dropped_db_broadcasts"]):]
        assert [(d["reason"], d["topic"]) for d in dropped] == [("fault", topic)] * 5
        assert [d["seq"] for d in dropped] == missing  # the client sees exactly the dropped ones as gaps
        assert after["db_broadcasts"]["dropped_fault"] - before["db_broadcasts"].get("dropped_fault", 0) == 5

        # billed: 11 sent by the database, 6 delivered to each of the 2 clients
        assert after["messages"] - before["messages"] == 11 + 2 * 6
        assert after["messages_by_kind"]["db_broadcast"] - before["messages_by_kind"]["db_broadcast"] == 11
        assert after["authorization"]["delivery_checks"] == before["authorization"]["delivery_checks"]

        replayed = await PyFeed.join(feed_sandbox, NURSE, topic, {"replay": {"since": since, "limit": 25}})
        try:
            await replayed.until(lambda r: sum(tag in kind_of(m["payload"]) for m in r) == 11, "replay")
            by_seq = {m["payload"]["seq"]: m for m in replayed.received}
            assert all(by_seq[s]["meta"]["replayed"] is True for s in missing)
            assert [kind_of(by_seq[s]["payload"]) for s in missing] == [
                f"drop-{tag}-{i}" for i in range(1, 10, 2)]
        finally:
            await replayed.close()
        assert metrics(feed_sandbox)["messages"] - after["messages"] == len(replayed.received)
    finally:
        await first.close()
        await second.close()


async def test_postgres_changes_check_rls_per_subscriber_per_change_and_broadcasts_do_not(feed_sandbox):
    set_drop(feed_sandbox, 0)
    nurse_id = provider_of(feed_sandbox, NURSE)
    token = feed_sandbox.sign_in(NURSE)["access_token"]
    clients, got = [], []
    try:
        for _ in range(3):
            client = AsyncRealtimeClient(f"{feed_sandbox.url}/realtime/v1", token=feed_sandbox.anon_key,
                                         auto_reconnect=False)
            await client.connect()
            await client.set_auth(token)
            live = asyncio.Event()
            channel = client.channel(f"pg-{uuid.uuid4().hex[:6]}")
            channel.on_postgres_changes("INSERT", lambda p: got.append(p), table="patient_alerts", schema="public",
                                        filter=f"provider_id=eq.{nurse_id}")
            channel.on_system(lambda p, live=live: p.message == "Subscribed to PostgreSQL" and live.set())
            await channel.subscribe()
            await asyncio.wait_for(live.wait(), TIMEOUT)
            clients.append(client)
        feed = await PyFeed.join(feed_sandbox, NURSE, f"provider:{nurse_id}")
        try:
            before = metrics(feed_sandbox)["authorization"]
            kind = f"authz-{uuid.uuid4().hex[:6]}"
            await insert_alert(feed_sandbox, NURSE, kind)
            await feed.until(lambda r: kind in [kind_of(m["payload"]) for m in r], "the broadcast")
            deadline = time.monotonic() + TIMEOUT
            while len([p for p in got if p["data"]["record"]["kind"] == kind]) < 3:
                assert time.monotonic() < deadline, got
                await asyncio.sleep(0.02)  # polls the callbacks' list, bounded by the deadline
            after = metrics(feed_sandbox)["authorization"]
        finally:
            await feed.close()
        assert after["delivery_checks"] - before["delivery_checks"] == 3  # postgres_changes: one per subscriber
        assert after["delivery_queries"] > before["delivery_queries"]
        assert after["join_checks"] == before["join_checks"]
    finally:
        for client in clients:
            await client.close()


@needs_js
async def test_js_client_receives_the_feed_replays_and_is_refused_a_colleagues(feed_sandbox):
    set_drop(feed_sandbox, 0)
    token = feed_sandbox.sign_in(NURSE)["access_token"]
    topic = f"provider:{provider_of(feed_sandbox, NURSE)}"
    since = int(time.time() * 1000) - 1000
    missed = f"js-missed-{uuid.uuid4().hex[:6]}"
    await insert_alert(feed_sandbox, NURSE, missed)
    client = await JsClient.start(feed_sandbox)
    try:
        assert await client.call("setAuth", token=token) == "ok"
        await client.channel("own", topic, {"private": True, "broadcast": {"replay": {"since": since, "limit": 25}}},
                             broadcast=["change"])
        assert (await client.subscribe("own"))["status"] == "SUBSCRIBED"
        replayed = await client.expect(lambda e: e["ev"] == "broadcast"
                                       and kind_of(e["payload"]["payload"]) == missed)
        assert replayed["payload"]["meta"]["replayed"] is True

        live = f"js-live-{uuid.uuid4().hex[:6]}"
        await insert_alert(feed_sandbox, NURSE, live)
        msg = (await client.expect(lambda e: e["ev"] == "broadcast"
                                   and kind_of(e["payload"]["payload"]) == live))["payload"]
        assert msg["event"] == "change" and msg["meta"] == {"id": msg["payload"]["id"]}  # kind-4 frame, vsn 2.0.0
        assert msg["payload"]["seq"] == replayed["payload"]["payload"]["seq"] + 1

        colleague = f"provider:{provider_of(feed_sandbox, SURGEON)}"
        await client.channel("other", colleague, {"private": True}, broadcast=["change"])
        refused = await client.subscribe("other")
        assert refused["status"] == "CHANNEL_ERROR"
        assert refused["error"] == f"Unauthorized: You do not have permissions to read from this Channel topic: {colleague}"
    finally:
        await client.close()
