"""Simulated patients' home apps: each one the official realtime client (realtime-py) signed in as its
patient, tracking presence on ``patient:<id>:app`` as the real app does, so stations see "app online" and
"last seen". One socket per app, as a phone has; kept to a few dozen for the demo (``--patient-apps``).

Apps come and go: every ``cycle`` seconds a deterministic few go offline (socket closed) and others come
back. An online app marks the clinicians' messages to its patient delivered at once and read a cycle
later, as a patient opening the app would (``delivered_at``/``read_at``; the database keeps them moving
forward only)."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import asyncpg
from realtime import AsyncRealtimeClient, RealtimeSubscribeStates

log = logging.getLogger(__name__)

OFFLINE_SHARE = 0.2  # of the apps, offline in any one cycle


class PatientApps:
    def __init__(self, pool: asyncpg.Pool, realtime_url: str, anon_key: str, token_for: Callable[[str], str],
                 patients: Sequence[str], *, cycle: float = 60.0, seed: int = 1):
        """``patients``: the simulated patients whose app runs."""
        self.pool, self.url, self.anon_key, self.token_for = pool, realtime_url, anon_key, token_for
        self.patients = list(patients)
        self.cycle, self.rng = cycle, random.Random(seed)
        self.clients: dict[str, AsyncRealtimeClient] = {}
        self._task: asyncio.Task | None = None

    async def _users(self) -> dict[str, str]:
        """Each patient's login (created for simulated patients that have none): patient id -> user id."""
        async with self.pool.acquire() as conn, conn.transaction():
            for patient_id in self.patients:
                if await conn.fetchval("select user_id is null from public.patients where id = $1::uuid", patient_id):
                    user = await conn.fetchval(
                        "insert into auth.users (id, email) values (md5('sim-app-' || $1)::uuid, 'app-' || $1 || "
                        "'@sim.tjv.test') on conflict (id) do update set email = excluded.email returning id",
                        patient_id)
                    await conn.execute("update public.patients set user_id = $2 where id = $1::uuid", patient_id, user)
            rows = await conn.fetch("select id::text, user_id::text from public.patients where id = any($1::uuid[])",
                                    self.patients)
        return {r["id"]: r["user_id"] for r in rows if r["user_id"]}

    async def go_online(self, patient_id: str, user_id: str) -> None:
        client = AsyncRealtimeClient(self.url, token=self.anon_key, auto_reconnect=False)
        await client.connect()
        await client.set_auth(self.token_for(user_id))
        channel = client.channel(f"patient:{patient_id}:app", {"config": {
            "private": True, "broadcast": {}, "presence": {"key": "app", "enabled": True}}})
        joined: asyncio.Future = asyncio.get_running_loop().create_future()
        await channel.subscribe(lambda state, _error: joined.done() or joined.set_result(state))
        async with asyncio.timeout(15):
            state = await asyncio.shield(joined)
        if state != RealtimeSubscribeStates.SUBSCRIBED:
            await client.close()
            raise ConnectionError(f"app of {patient_id}: {state}")
        await channel.track({"app": "patient", "since": datetime.now(UTC).isoformat()})
        self.clients[patient_id] = client

    async def go_offline(self, patient_id: str) -> None:
        client = self.clients.pop(patient_id, None)
        if client is not None:
            await client.close()

    async def _receipts(self) -> None:
        online = list(self.clients)
        if not online:
            return
        async with self.pool.acquire() as conn:
            await conn.execute(
                """update public.messages set read_at = now()
                   where patient_id = any($1::uuid[]) and sender_role = 'provider' and read_at is null
                     and delivered_at < now() - make_interval(secs => $2)""", online, self.cycle / 2)
            await conn.execute(
                """update public.messages set delivered_at = now()
                   where patient_id = any($1::uuid[]) and sender_role = 'provider' and delivered_at is null""",
                online)

    async def start(self) -> None:
        users = await self._users()
        for patient_id in self.patients:
            if patient_id in users:
                try:
                    await self.go_online(patient_id, users[patient_id])
                except (OSError, ConnectionError, TimeoutError) as exc:
                    log.warning("simulated app of %s not online: %s", patient_id, exc)
        self._task = asyncio.create_task(self._run(users), name="patient-apps")

    async def _run(self, users: dict[str, str]) -> None:
        while True:
            started = time.monotonic()
            try:
                await self._receipts()
                ids = [p for p in self.patients if p in users]
                offline = set(self.rng.sample(ids, int(len(ids) * OFFLINE_SHARE)))
                for patient_id in ids:
                    if patient_id in offline:
                        await self.go_offline(patient_id)
                    elif patient_id not in self.clients:
                        await self.go_online(patient_id, users[patient_id])
            except (OSError, ConnectionError, TimeoutError, asyncpg.PostgresError) as exc:
                log.warning("simulated apps: %s; trying again next cycle", exc)
            await asyncio.sleep(max(1.0, self.cycle - (time.monotonic() - started)))

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for patient_id in list(self.clients):
            await self.go_offline(patient_id)
