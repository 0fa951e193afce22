"""Shared pieces of the Realtime tests: an in-process server on the session's PostgreSQL, a raw websocket
speaking the wire protocol, a fake postgres_changes hub and private-channel policies."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace

import aiohttp
import asyncpg
from aiohttp import web
from aiohttp.test_utils import TestServer

from tjv_sandbox.keys import ProjectKeys
from tjv_sandbox.realtime import SERVER_KEY, RealtimeConfig, setup
from tjv_sandbox.server import SandboxContext

TIMEOUT = 10


class FakeChangesHub:
    """The PostgresChangesHub interface, driven by the test: ``validate`` rejects table 'doesnotexist'."""

    def __init__(self) -> None:
        self.subs: list = []
        self.claims_updates: list = []
        self.subscribed = asyncio.Event()

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def validate(self, binding: dict) -> str | None:
        if binding.get("table") == "doesnotexist":
            return ("Unable to subscribe to changes with given parameters. Please check Realtime is enabled "
                    "for the given connect parameters: [event: *, schema: public, table: doesnotexist, "
                    "filters: [], select: nil]")
        return None

    async def subscribe(self, sub) -> None:
        self.subs.append(sub)
        self.subscribed.set()

    def unsubscribe(self, sub) -> None:
        if sub in self.subs:
            self.subs.remove(sub)

    def update_claims(self, sub, claims: dict) -> None:
        self.claims_updates.append((sub, claims))


@dataclass
class RealtimeTestServer:
    url: str
    keys: ProjectKeys
    pool: asyncpg.Pool
    app: web.Application
    hub: FakeChangesHub | None
    _sessions: list = field(default_factory=list)

    @property
    def anon_key(self) -> str:
        return self.keys.anon_key

    @property
    def service_role_key(self) -> str:
        return self.keys.service_role_key

    @property
    def realtime(self):
        return self.app[SERVER_KEY]

    def user_token(self, sub: str | None = None, *, expires_in: float = 3600, **extra) -> str:
        now = int(time.time())
        claims = {"sub": sub or str(uuid.uuid4()), "role": "authenticated", "aud": "authenticated",
                  "iat": now, "exp": int(now + expires_in), **extra}
        return self.keys.sign(claims)

    async def raw(self, vsn: str = "1.0.0", apikey: str | None = None, **query) -> RawSocket:
        session = aiohttp.ClientSession()
        self._sessions.append(session)
        params = {"apikey": apikey or self.anon_key, "vsn": vsn, **query}
        ws = await session.ws_connect(f"{self.url}/realtime/v1/websocket", params=params, autoping=True,
                                      max_msg_size=0)
        return RawSocket(ws, vsn)

    async def http(self) -> aiohttp.ClientSession:
        session = aiohttp.ClientSession()
        self._sessions.append(session)
        return session

    async def close(self) -> None:
        for session in self._sessions:
            await session.close()


class RawSocket:
    """A websocket speaking the frames directly, for exact-shape checks."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, vsn: str):
        self.ws = ws
        self.vsn = vsn
        self._ref = 0

    def next_ref(self) -> str:
        self._ref += 1
        return str(self._ref)

    async def send(self, topic: str, event: str, payload, ref: str | None = None, join_ref: str | None = None):
        if self.vsn == "1.0.0":
            frame = {"topic": topic, "event": event, "payload": payload, "ref": ref}
            if join_ref is not None:
                frame["join_ref"] = join_ref
            await self.ws.send_str(json.dumps(frame))
        else:
            await self.ws.send_str(json.dumps([join_ref, ref, topic, event, payload]))

    async def join(self, topic: str, config: dict | None = None, **payload) -> tuple[str, object]:
        """Sends phx_join (ref == join_ref); returns the join_ref and the reply frame."""
        ref = self.next_ref()
        await self.send(topic, "phx_join", {"config": config or {}, **payload}, ref, ref)
        return ref, await self.recv()

    async def recv(self, timeout: float = TIMEOUT):
        msg = await self.ws.receive(timeout=timeout)
        if msg.type == aiohttp.WSMsgType.TEXT:
            return json.loads(msg.data)
        if msg.type == aiohttp.WSMsgType.BINARY:
            return bytes(msg.data)
        raise ConnectionError(f"socket ended: {msg.type} {msg.data} {msg.extra}")

    async def recv_raw(self, timeout: float = TIMEOUT) -> str | bytes:
        msg = await self.ws.receive(timeout=timeout)
        if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
            return msg.data
        raise ConnectionError(f"socket ended: {msg.type}")

    async def recv_until(self, predicate, timeout: float = TIMEOUT):
        """The first frame matching ``predicate`` (earlier frames are skipped)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            frame = await self.recv(max(0.01, deadline - asyncio.get_running_loop().time()))
            if predicate(frame):
                return frame

    async def assert_silent(self, heartbeat_ref: str = "hb") -> None:
        """Proves nothing is queued for this socket: a heartbeat reply is the very next frame."""
        await self.send("phoenix", "heartbeat", {}, heartbeat_ref)
        frame = await self.recv()
        assert event_of(frame) == "phx_reply" and topic_of(frame) == "phoenix", frame

    async def close(self) -> None:
        await self.ws.close()


def event_of(frame) -> str | None:
    if isinstance(frame, dict):
        return frame["event"]
    if isinstance(frame, list):
        return frame[3]
    return None


def topic_of(frame) -> str | None:
    if isinstance(frame, dict):
        return frame["topic"]
    if isinstance(frame, list):
        return frame[2]
    return None


def payload_of(frame):
    return frame["payload"] if isinstance(frame, dict) else frame[4]


async def make_pool(dsn: str) -> asyncpg.Pool:
    async def init(conn):
        await conn.execute("set timezone = 'UTC'")

    return await asyncpg.create_pool(dsn, min_size=1, max_size=8, init=init)


@asynccontextmanager
async def realtime_server(pg_cluster, tmp_path, *, fake_hub: bool = True, **overrides):
    """An aiohttp app with only the Realtime routes, on the session's PostgreSQL."""
    keys = ProjectKeys.load_or_create(tmp_path / "project-keys.json")
    pool = await make_pool(pg_cluster.dsn())
    # ctx.db (the cluster's ClusterInfo) is what the change hub connects with
    ctx = SandboxContext(keys=keys, cluster=SimpleNamespace(info=pg_cluster), pool=pool)
    hub = FakeChangesHub() if fake_hub else None
    config = RealtimeConfig(join_error_backoff=0, **overrides)
    if hub is not None:
        config.hub_factory = lambda: hub
    app = web.Application()
    setup(app, ctx, config)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    rt = RealtimeTestServer(f"http://127.0.0.1:{server.port}", keys, pool, app, hub)
    try:
        yield rt
    finally:
        await rt.close()
        await server.close()
        await pool.close()


@asynccontextmanager
async def private_topic(pool: asyncpg.Pool, *, readers: tuple[str, ...] = (), writers: tuple[str, ...] = ()):
    """A fresh topic ``test-private-<uuid>`` with realtime.messages policies: ``readers`` (user ids) may
    read broadcast and presence, ``writers`` may also write. Yields the topic; drops the policies."""
    topic = f"test-private-{uuid.uuid4()}"
    name = topic.replace("-", "_")

    def ids(users):
        return ",".join(f"'{u}'" for u in users) or "NULL"

    await pool.execute(f"""
        create policy {name}_read on realtime.messages for select to authenticated
          using (realtime.topic() = '{topic}' and auth.uid()::text in ({ids(readers + writers)}));
        create policy {name}_write on realtime.messages for insert to authenticated
          with check (realtime.topic() = '{topic}' and auth.uid()::text in ({ids(writers)}));
    """)
    try:
        yield topic
    finally:
        await pool.execute(f"drop policy {name}_read on realtime.messages; "
                           f"drop policy {name}_write on realtime.messages;")
