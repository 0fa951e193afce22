"""The sandbox's Realtime with the official JavaScript client (@supabase/realtime-js, pinned in
tests/js/package.json; install with ``cd tests/js && npm ci``), side by side with the Python client."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from realtime import AsyncRealtimeClient, RealtimeSubscribeStates

from tests.support.realtime_support import TIMEOUT, private_topic, realtime_server

JS_DIR = Path(__file__).resolve().parents[1] / "js"
NODE = shutil.which("node")

pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(NODE is None, reason="node is not installed"),
    pytest.mark.skipif(not (JS_DIR / "node_modules" / "@supabase" / "realtime-js").is_dir(),
                       reason="JS harness not installed: cd tests/js && npm ci"),
]


def _node_args() -> list[str]:
    major = int(subprocess.run([NODE, "--version"], capture_output=True, text=True, check=True)
                .stdout.strip().lstrip("v").split(".")[0])
    # Node 22+ has a global WebSocket; Node 20 has it behind a flag.
    return [NODE] + (["--experimental-websocket"] if major < 22 else []) + [str(JS_DIR / "driver.mjs")]


class JsClient:
    """One realtime-js RealtimeClient in a Node process, driven through tests/js/driver.mjs."""

    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc
        self.events: list[dict] = []
        self._new_event = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())
        self._cmd = 0

    @classmethod
    async def start(cls, rt, **env) -> JsClient:
        proc = await asyncio.create_subprocess_exec(
            *_node_args(), cwd=JS_DIR, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "RT_URL": f"{rt.url}/realtime/v1", "RT_APIKEY": rt.anon_key, **env})
        client = cls(proc)
        await client.expect(lambda e: e["ev"] == "ready")
        return client

    async def _read(self) -> None:
        while line := await self.proc.stdout.readline():
            event = json.loads(line)
            async with self._new_event:
                self.events.append(event)
                self._new_event.notify_all()

    async def send(self, op: str, **args) -> str:
        self._cmd += 1
        cmd = str(self._cmd)
        self.proc.stdin.write((json.dumps({"op": op, "cmd": cmd, **args}) + "\n").encode())
        await self.proc.stdin.drain()
        return cmd

    async def call(self, op: str, **args):
        """Runs a command and returns its result value."""
        cmd = await self.send(op, **args)
        return (await self.expect(lambda e: e["ev"] == "result" and e["cmd"] == cmd))["value"]

    async def expect(self, predicate, timeout: float = TIMEOUT) -> dict:
        """The first event (seen so far or arriving) matching ``predicate``; consumed so it matches once."""

        def find():
            for i, event in enumerate(self.events):
                if event["ev"] == "error":
                    raise AssertionError(f"driver error: {event['message']}")
                if predicate(event):
                    return self.events.pop(i)
            return None

        async def wait():
            async with self._new_event:
                while (found := find()) is None:
                    if self._reader.done():
                        raise AssertionError(f"node exited: {(await self.proc.stderr.read()).decode()}")
                    await self._new_event.wait()
                return found

        return await asyncio.wait_for(wait(), timeout)

    async def channel(self, id: str, topic: str, config: dict | None = None, **listen) -> None:
        await self.send("channel", id=id, topic=topic, config=config or {}, listen=listen)

    async def subscribe(self, id: str) -> dict:
        await self.send("subscribe", id=id)
        return await self.expect(lambda e: e["ev"] == "status" and e["id"] == id)

    async def close(self) -> None:
        if self.proc.returncode is None:
            try:
                await self.send("exit")
                await asyncio.wait_for(self.proc.wait(), 5)
            except (TimeoutError, ConnectionError):
                self.proc.kill()
                await self.proc.wait()
        self._reader.cancel()


@pytest.fixture
async def realtime(pg_cluster, tmp_path):
    """The Realtime routes in-process on the session's PostgreSQL, with a fake postgres_changes hub."""
    async with realtime_server(pg_cluster, tmp_path) as rt:
        yield rt


@pytest.fixture
async def js(realtime):
    clients: list[JsClient] = []

    async def start(**env) -> JsClient:
        client = await JsClient.start(realtime, **env)
        clients.append(client)
        return client

    yield start
    for client in clients:
        await client.close()


async def test_js_broadcast_with_self_and_ack_is_binary_and_reaches_python(realtime, js):
    client = await js()
    await client.channel("a", "room-js", {"broadcast": {"self": True, "ack": True}}, broadcast=["*"])
    assert (await client.subscribe("a"))["status"] == "SUBSCRIBED"

    py = AsyncRealtimeClient(f"{realtime.url}/realtime/v1", token=realtime.anon_key, auto_reconnect=False)
    received: asyncio.Queue = asyncio.Queue()
    channel = py.channel("room-js").on_broadcast("*", received.put_nowait)
    done: asyncio.Future = asyncio.get_running_loop().create_future()
    await channel.subscribe(lambda s, e: done.done() or done.set_result(s))
    assert await asyncio.wait_for(done, TIMEOUT) == RealtimeSubscribeStates.SUBSCRIBED

    # ack resolves 'ok'; the sender sees its own message (self); Python gets the JSON form of the kind-3 push
    assert await client.call("send", id="a", event="hello", payload={"from": "js"}) == "ok"
    echo = await client.expect(lambda e: e["ev"] == "broadcast")
    assert echo["payload"] == {"type": "broadcast", "event": "hello", "payload": {"from": "js"}}
    msg = await asyncio.wait_for(received.get(), TIMEOUT)
    assert msg == {"event": "hello", "payload": {"from": "js"}}  # realtime-py's model keeps these two keys

    # a binary payload reaches JS as an ArrayBuffer and is not delivered to the 1.0.0 (Python) socket
    assert await client.call("sendBinary", id="a", event="bin", bytes=[0, 1, 2, 255]) == "ok"
    binary = await client.expect(lambda e: e["ev"] == "broadcast" and e["payload"]["event"] == "bin")
    assert binary["payload"]["payload"] == {"binary": [0, 1, 2, 255]}

    await channel.send_broadcast("from-py", {"n": 1})
    from_py = await client.expect(lambda e: e["ev"] == "broadcast" and e["payload"]["event"] == "from-py")
    assert from_py["payload"]["payload"] == {"n": 1}
    assert received.empty()
    await py.close()


async def test_presence_is_shared_between_python_and_js(realtime, js):
    client = await js()
    await client.channel("p", "lobby", {"presence": {"key": "js-user"}}, presence=True)
    assert (await client.subscribe("p"))["status"] == "SUBSCRIBED"
    assert await client.call("track", id="p", payload={"name": "js"}) == "ok"
    await client.expect(lambda e: e["ev"] == "presence" and e["kind"] == "join" and e["key"] == "js-user")

    py = AsyncRealtimeClient(f"{realtime.url}/realtime/v1", token=realtime.anon_key, auto_reconnect=False)
    synced = asyncio.Event()
    channel = py.channel("lobby", {"config": {"presence": {"key": "py-user", "enabled": True}}})
    channel.on_presence_sync(synced.set)
    await channel.subscribe()
    await asyncio.wait_for(synced.wait(), TIMEOUT)
    assert [m["name"] for m in channel.presence_state()["js-user"]] == ["js"]

    await channel.track({"name": "py"})
    joined = await client.expect(lambda e: e["ev"] == "presence" and e["kind"] == "join" and e["key"] == "py-user")
    assert [m["name"] for m in joined["state"]["py-user"]] == ["py"]
    assert all("presence_ref" in m for metas in joined["state"].values() for m in metas)

    # Python sees its own join too, then JS leaving
    left = asyncio.Event()
    channel.presence.on_leave(lambda key, current, leaves: key == "js-user" and left.set())
    await client.call("untrack", id="p")
    await asyncio.wait_for(left.wait(), TIMEOUT)
    assert set(channel.presence_state()) == {"py-user"}

    await py.close()  # the socket closes: JS sees the Python entry leave
    await client.expect(lambda e: e["ev"] == "presence" and e["kind"] == "leave" and e["key"] == "py-user")


async def test_private_channels_allowed_refused_and_token_refresh(realtime, js):
    reader_id, writer_id = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"
    async with private_topic(realtime.pool, readers=(reader_id,), writers=(writer_id,)) as topic:
        writer = await js()
        assert await writer.call("setAuth", token=realtime.user_token(writer_id)) == "ok"
        await writer.channel("w", topic, {"private": True, "broadcast": {"self": True, "ack": True}}, broadcast=["*"])
        assert (await writer.subscribe("w"))["status"] == "SUBSCRIBED"

        outsider = await js()
        assert await outsider.call("setAuth", token=realtime.user_token()) == "ok"
        await outsider.channel("o", topic, {"private": True})
        refused = await outsider.subscribe("o")
        assert refused["status"] == "CHANNEL_ERROR"
        assert refused["error"] == f"Unauthorized: You do not have permissions to read from this Channel topic: {topic}"

        # a reader (no write policy) joins, but its broadcasts are dropped silently; the writer's arrive
        reader = await js()
        assert await reader.call("setAuth", token=realtime.user_token(reader_id)) == "ok"
        await reader.channel("r", topic, {"private": True}, broadcast=["*"], system=True)
        assert (await reader.subscribe("r"))["status"] == "SUBSCRIBED"
        assert await reader.call("send", id="r", event="nope", payload={}) == "ok"  # no ack requested
        assert await writer.call("send", id="w", event="yes", payload={"v": 1}) == "ok"
        await reader.expect(lambda e: e["ev"] == "broadcast" and e["payload"]["event"] == "yes")
        await writer.expect(lambda e: e["ev"] == "broadcast" and e["payload"]["event"] == "yes")

        # REST: the single endpoint refuses a private write without policy (403), accepts with one (202)
        assert await reader.call("httpSend", id="r", event="x", payload={"a": 1}) == {"error": "Unauthorized"}  # 403
        assert await writer.call("httpSend", id="w", event="via-http", payload={"a": 1}) == "ok"
        await reader.expect(lambda e: e["ev"] == "broadcast" and e["payload"]["event"] == "via-http")

        # setAuth with a token that lost read access ends the channel with the real message
        assert await reader.call("setAuth", token=realtime.user_token()) == "ok"
        system = await reader.expect(lambda e: e["ev"] == "system")
        assert system["payload"]["message"] == f"You no longer have permission to read from this Channel topic: {topic}"
        assert (await reader.expect(lambda e: e["ev"] == "status" and e["id"] == "r"))["status"] == "CLOSED"

        # a still-valid new token keeps the channel: no reply, nothing else happens
        assert await writer.call("setAuth", token=realtime.user_token(writer_id, expires_in=7200)) == "ok"
        assert await writer.call("send", id="w", event="after-refresh", payload={}) == "ok"
        await writer.expect(lambda e: e["ev"] == "broadcast" and e["payload"]["event"] == "after-refresh")
        # the writer (self: true) saw every broadcast the server fanned out, in order: never the reader's
        assert not [e for e in writer.events + reader.events if e["ev"] == "broadcast" and e["payload"]["event"] == "nope"]


async def test_js_receives_postgres_changes_from_the_hub(realtime, js):
    client = await js()
    binding = {"event": "INSERT", "schema": "public", "table": "patient_alerts", "filter": "provider_id=eq.7"}
    await client.channel("pg", "alerts", {}, postgres=[binding], system=True)
    assert (await client.subscribe("pg"))["status"] == "SUBSCRIBED"
    system = await client.expect(lambda e: e["ev"] == "system")
    assert system["payload"] == {"extension": "postgres_changes", "status": "ok",
                                 "message": "Subscribed to PostgreSQL", "channel": "alerts"}
    [sub] = realtime.hub.subs
    [sent] = sub.bindings
    sub.deliver([sent["id"]], {
        "schema": "public", "table": "patient_alerts", "commit_timestamp": "2026-01-01T00:00:00.000Z",
        "type": "INSERT", "columns": [{"name": "id", "type": "int8"}, {"name": "provider_id", "type": "int8"}],
        "record": {"id": 1, "provider_id": 7}, "errors": None})
    change = await client.expect(lambda e: e["ev"] == "postgres")
    assert change["payload"]["eventType"] == "INSERT" and change["payload"]["new"] == {"id": 1, "provider_id": 7}


async def test_js_postgres_changes_with_a_filter_from_the_database(pg_cluster, tmp_path):
    pytest.importorskip("tjv_sandbox.realtime.changes", reason="the postgres_changes hub is not installed")
    async with realtime_server(pg_cluster, tmp_path, fake_hub=False) as rt:
        client = await JsClient.start(rt)
        try:
            metric = f"rt-test-{uuid.uuid4()}"
            assert await client.call("setAuth", token=rt.service_role_key) == "ok"
            binding = {"event": "INSERT", "schema": "public", "table": "system_metrics", "filter": f"metric=eq.{metric}"}
            await client.channel("db", "metrics-test", {}, postgres=[binding], system=True)
            assert (await client.subscribe("db"))["status"] == "SUBSCRIBED"
            system = await client.expect(lambda e: e["ev"] == "system")
            assert system["payload"]["message"] == "Subscribed to PostgreSQL", system
            tenant = await rt.pool.fetchval("select id from public.tenants order by id limit 1")
            await rt.pool.execute("insert into public.system_metrics (tenant_id, metric, value) values"
                                  " ($1, 'some-other-metric', 1), ($1, $2, 42)", tenant, metric)
            change = (await client.expect(lambda e: e["ev"] == "postgres"))["payload"]
            assert change["eventType"] == "INSERT" and change["table"] == "system_metrics"
            assert change["new"]["metric"] == metric and change["new"]["value"] == 42
            assert not [e for e in client.events if e["ev"] == "postgres"]
        finally:
            await client.close()


async def test_provider_channel_of_the_running_sandbox_with_python_and_js(sandbox):
    """End to end on ``tjv-sandbox``: the schema's own policies admit a provider to ``provider:<id>``."""
    provider = next(u for u in sandbox.users if u["provider_id"])
    token = sandbox.sign_in(provider["email"])["access_token"]
    topic = f"provider:{provider['provider_id']}"
    client = await JsClient.start(sandbox)
    try:
        assert await client.call("setAuth", token=token) == "ok"
        await client.channel("prov", topic, {"private": True, "presence": {"key": "js-station"}}, presence=True)
        assert (await client.subscribe("prov"))["status"] == "SUBSCRIBED"
        assert await client.call("track", id="prov", payload={"station": "js"}) == "ok"

        py = AsyncRealtimeClient(f"{sandbox.url}/realtime/v1", token=sandbox.anon_key, auto_reconnect=False)
        await py.connect()
        await py.set_auth(token)
        joined = asyncio.Event()
        channel = py.channel(topic, {"config": {"private": True, "presence": {"key": "py-station", "enabled": True}}})
        channel.on_presence_sync(lambda: "js-station" in channel.presence_state() and joined.set())
        await channel.subscribe()
        await asyncio.wait_for(joined.wait(), TIMEOUT)
        await channel.track({"station": "py"})
        await client.expect(lambda e: e["ev"] == "presence" and e["kind"] == "join" and e["key"] == "py-station")
        await py.close()
    finally:
        await client.close()
