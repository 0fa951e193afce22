"""Test harness: the client core (auth, store, sync, realtime link) assembled as the app assembles it,
plus server-side helpers to write alerts and read the truth from PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from datetime import datetime
from pathlib import Path

import asyncpg
from keyring.backends import fail

from tjv_desktop.app.core import ClientCore
from tjv_desktop.backend.vault import Vault
from tjv_desktop.domain.events import LinkState, LinkStateChanged
from tjv_desktop.store import LocalStore

NURSE = "nurse@riverside.tjv.test"
PASSWORD = "tjv-demo-2026"


def instant(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))


class Station:
    """One workstation's engine. ``states`` records every link transition with its monotonic time."""

    def __init__(self, url: str, anon_key: str, *, email: str = NURSE, store_path: Path | None = None,
                 probe_deadline: float = 3.0, join_timeout: float = 4.0, backend=None, on_changes=None,
                 position_check_seconds: float = 15.0):
        self.url, self.anon_key, self.email = url, anon_key, email
        self.vault = Vault(f"{url}#{uuid.uuid4().hex}", backend=backend or fail.Keyring())
        self.core = ClientCore(url, anon_key, self.vault, store_path=store_path, probe_deadline=probe_deadline,
                               join_timeout=join_timeout, backoff_max=4.0, auth_timeout=join_timeout,
                               position_check_seconds=position_check_seconds)
        self.worker = self.core.worker
        self.health = self.core.health
        self.states: list[tuple[LinkState, str, float]] = []
        self._state_changed = asyncio.Event()
        self.resyncs = 0
        self.gaps: list[str] = []
        self.core.events.link_state_changed.add(self._on_state)
        self.core.events.feed_gap.add(lambda gap: self.gaps.append(gap.reason))
        self.core.events.resync_finished.add(self._on_resync)
        self.caught_up = 0  # rejoins after which replay alone brought every topic back
        self.core.events.feed_caught_up.add(lambda _event: setattr(self, "caught_up", self.caught_up + 1))
        if on_changes is not None:
            self.core.events.changes_applied.add(lambda event: on_changes(event.changes))

    def _on_state(self, event: LinkStateChanged) -> None:
        self.states.append((event.state, event.reason, time.monotonic()))
        self._state_changed.set()

    def _on_resync(self, _result) -> None:
        self.resyncs += 1

    @property
    def auth(self):
        return self.core.auth

    @property
    def engine(self):
        return self.core.engine

    @property
    def link(self):
        return self.core.link

    async def start(self) -> Station:
        await self.core.open()
        identity = await self.core.auth.sign_in(self.email, PASSWORD)
        self.provider_id = identity.provider_id
        self.core.build(identity)
        self.core.run()
        return self

    async def wait_state(self, state: LinkState, timeout: float, after: float = 0.0) -> float:
        """Monotonic time at which the link reached ``state`` (at or after ``after``)."""
        deadline = time.monotonic() + timeout
        while True:
            for s, _reason, at in self.states:
                if s is state and at >= after:
                    return at
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"link never reached {state.value}; transitions: {self.states}")
            self._state_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._state_changed.wait(), remaining)

    async def alerts(self) -> dict[str, dict]:
        return {a["id"]: a for a in await self.worker.call(LocalStore.alerts_for_provider, self.provider_id)}

    async def stop(self) -> None:
        await self.core.stop()


class Server:
    """Writes alerts the way the platform does (``raise_alert``) and reads the truth."""

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn

    @classmethod
    async def connect(cls, db_url: str) -> Server:
        return cls(await asyncpg.connect(db_url))

    async def nurse_patients(self, provider_id: str) -> list[str]:
        rows = await self.conn.fetch("select patient_id::text from provider_assignments where provider_id = $1 "
                                     "and active order by patient_id", uuid.UUID(provider_id))
        return [r[0] for r in rows]

    async def raise_alert(self, patient_id: str, kind: str, priority: str = "medium") -> None:
        await self.conn.execute("select count(*) from raise_alert($1, $2, $3, $4, 120, 110, '/min')",
                                uuid.UUID(patient_id), priority, kind, f"Heart rate 120 /min (limit 110 /min) [{kind}]")

    async def resolve(self, patient_id: str, kind: str) -> None:
        await self.conn.execute("select resolve_alerts($1, $2)", uuid.UUID(patient_id), kind)

    async def alerts_since(self, provider_id: str, since: datetime) -> dict[str, datetime]:
        rows = await self.conn.fetch("select id::text, updated_at from patient_alerts where provider_id = $1 "
                                     "and updated_at >= $2", uuid.UUID(provider_id), since)
        return {r[0]: r[1] for r in rows}

    async def close(self) -> None:
        await self.conn.close()


async def converged(station: Station, server: Server, since: datetime, timeout: float = 30.0) -> dict[str, datetime]:
    """Waits until every alert changed on the server since ``since`` is in the store with its latest
    version; returns the server's set. Fails with the difference otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        truth = await server.alerts_since(station.provider_id, since)
        local = await station.alerts()
        missing = {i for i in truth if i not in local}
        stale = {i for i in truth if i in local and instant(local[i]["updated_at"]) != truth[i]}
        if truth and not missing and not stale:
            return truth
        if time.monotonic() > deadline:
            raise AssertionError(f"store did not converge: {len(missing)} missing, {len(stale)} stale of {len(truth)}")
        await asyncio.sleep(0.2)  # polling the store for the condition, bounded by the deadline


async def burst(server: Server, patients: list[str], count: int, rate: float, tag: str,
                during=None) -> list[str]:
    """Raises ``count`` alerts at ``rate`` per second (every third resolved again); calls ``during()``
    once, halfway. Retries a write the database refuses while it is restarting."""
    kinds = []
    for i in range(count):
        kind = f"{tag}-{i}"
        for _attempt in range(100):
            try:
                await server.raise_alert(patients[i % len(patients)], kind, ("low", "medium", "high")[i % 3])
                if i % 3 == 2:
                    await server.resolve(patients[i % len(patients)], kind)
                break
            except (asyncpg.PostgresConnectionError, asyncpg.InterfaceError, OSError, asyncpg.CannotConnectNowError):
                await asyncio.sleep(0.2)
                server.conn = await _reconnect(server.conn)
        kinds.append(kind)
        if during is not None and i == count // 2:
            await during()
        await asyncio.sleep(1 / rate)  # the load's pace, not synchronisation
    return kinds


async def _reconnect(conn: asyncpg.Connection) -> asyncpg.Connection:
    params = conn._params
    addr = conn._addr
    for _ in range(100):
        try:
            return await asyncpg.connect(host=addr[0], port=addr[1], user=params.user,
                                         password=params.password, database=params.database)
        except (OSError, asyncpg.PostgresError):
            await asyncio.sleep(0.2)
    raise AssertionError("database did not come back")
