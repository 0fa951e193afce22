"""Helpers of the collaboration tests: stations opened on one session, waits with deadlines, and an
official realtime client joined to a session channel as the server delivers it (an eavesdropper with
channel access, or an attacker replaying and forging messages)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import os
import time
from dataclasses import dataclass, field

from realtime import AsyncRealtimeClient, RealtimeSubscribeStates

from tests.support.station import Station
from tjv_desktop.collab.keys import SessionKeyRing

NURSE = "nurse@riverside.tjv.test"
SURGEON = "surgeon@riverside.tjv.test"
PHYSIO = "physio@riverside.tjv.test"
COORDINATOR = "coordinator@riverside.tjv.test"
LAKESIDE_NURSE = "nurse@lakeside.tjv.test"
RIVERSIDE = "10000000-0000-4000-8000-000000000001"


def key_ring(current: str = "k1", *others: str) -> SessionKeyRing:
    keys = {kid: os.urandom(32) for kid in (current, *others)}
    return SessionKeyRing(current, keys)


async def until(predicate, timeout: float, what: str, step: float = 0.05) -> float:
    """Waits for ``predicate()`` (polled, bounded); returns the seconds it took."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(step)
    return time.monotonic() - start


async def station(sandbox, email: str, url: str | None = None, ring: SessionKeyRing | None = None,
                  probe_deadline: float = 3.0) -> Station:
    """A station on ``url`` (default: the sandbox). The join timeout is above the server's 5 s join-error
    delay, as in production (10 s), so a refused join is seen as refused rather than timed out."""
    s = Station(url or sandbox.url, sandbox.anon_key, email=email, join_timeout=8.0, probe_deadline=probe_deadline)
    if ring is not None:
        s.core.session_keys = lambda tenant: ring if tenant == RIVERSIDE else None
    return await s.start()


def names(session) -> set[str]:
    return {m.name for m in session.engine.members}


@dataclass
class Listener:
    """An official realtime client on ``session:<id>``: records every broadcast and presence state."""

    client: AsyncRealtimeClient
    channel: object
    broadcasts: list[dict] = field(default_factory=list)
    presence: list[dict] = field(default_factory=list)

    def wire_text(self) -> str:
        """Everything received, plus every base64 string in it decoded (a CRDT update carries its
        text as UTF-8 inside base64): what a reader on the server side could make of the traffic."""
        decoded: list[str] = []

        def walk(value) -> None:
            if isinstance(value, dict):
                for v in value.values():
                    walk(v)
            elif isinstance(value, list):
                for v in value:
                    walk(v)
            elif isinstance(value, str):
                with contextlib.suppress(binascii.Error, ValueError):
                    decoded.append(base64.b64decode(value, validate=True).decode("utf-8", "ignore"))

        walk(self.broadcasts)
        walk(self.presence)
        return json.dumps(self.broadcasts) + json.dumps(self.presence) + "\n".join(decoded)

    async def send(self, event: str, payload: dict) -> None:
        await self.channel.send_broadcast(event, payload)

    async def close(self) -> None:
        await self.client.close()


async def listener(sandbox, email: str, session_id: str) -> Listener:
    token = sandbox.sign_in(email)["access_token"]
    client = AsyncRealtimeClient(f"{sandbox.url}/realtime/v1", token=sandbox.anon_key, auto_reconnect=False)
    client.access_token = token
    await client.connect()
    channel = client.channel(f"session:{session_id}", {"config": {
        "broadcast": {"ack": False, "self": False}, "presence": {"key": "", "enabled": True}, "private": True}})
    result = Listener(client, channel)
    channel.on_broadcast("*", lambda p: result.broadcasts.append(dict(p)))
    channel.on_presence_sync(lambda: result.presence.append(json.loads(json.dumps(channel.presence.state))))
    joined = asyncio.get_running_loop().create_future()
    await channel.subscribe(lambda state, err: joined.done() or joined.set_result((state, err)))
    state, err = await asyncio.wait_for(joined, 10)
    assert state == RealtimeSubscribeStates.SUBSCRIBED, err
    return result


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
