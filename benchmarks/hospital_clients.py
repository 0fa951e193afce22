"""What ``hospital_scale.py`` measures with: the sandbox's meters and faults (``Project``), the light
workstations' process (``Workstations``) and the full TJV client (``Watched``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sys
import time
from pathlib import Path

import asyncpg
import httpx
from hospital_model import Commits, Hospital, cpu_seconds

from tests.support.station import Station
from tjv_desktop.domain.events import LinkState

HERE = Path(__file__).resolve().parent
SETTLE_SECONDS = 30.0  # the longest a phase's last deliveries may take after the load ends
LOST_SEQ = re.compile(r"lost seq \[([\d, ]*)\]")


class Project:
    """The sandbox as the benchmark reads and steers it: metrics, faults, feed positions, CPU."""

    def __init__(self, sandbox, conn: asyncpg.Connection):
        self.sandbox, self.conn = sandbox, conn
        key = sandbox.service_role_key
        self.http = httpx.AsyncClient(base_url=sandbox.url, timeout=30,
                                      headers={"apikey": key, "Authorization": f"Bearer {key}"})

    async def metrics(self) -> dict:
        r = await self.http.get("/sandbox/v1/metrics")
        r.raise_for_status()
        return r.json()

    async def drop_broadcasts(self, fraction: float) -> None:
        r = await self.http.post("/sandbox/v1/faults", json={"drop_broadcasts": fraction})
        r.raise_for_status()

    async def positions(self) -> dict[str, int]:
        return {r[0]: r[1] for r in await self.conn.fetch("select topic, seq from private.feed_topics")}

    async def feed_triggers(self, enabled: bool) -> None:
        """On or off: the feed's statement triggers (``feed_insert``/``feed_update``/``feed_delete``)."""
        rows = await self.conn.fetch(
            "select c.relname, t.tgname from pg_trigger t join pg_class c on c.oid = t.tgrelid "
            "join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'public' and t.tgname in ('feed_insert', 'feed_update', 'feed_delete')")
        for table, trigger in rows:
            await self.conn.execute(f'alter table public."{table}" {"enable" if enabled else "disable"} '
                                    f'trigger "{trigger}"')

    async def alert_changes(self, since) -> int:
        """Alert rows inserted, plus rows updated, since ``since`` (a row updated twice counts once)."""
        return await self.conn.fetchval(
            "select count(*) filter (where created_at >= $1) + count(*) filter (where updated_at > created_at) "
            "from public.patient_alerts where updated_at >= $1", since)

    def cpu(self) -> float:
        return cpu_seconds(self.sandbox.proc.pid)

    async def close(self) -> None:
        await self.http.aclose()


async def sign_in_all(sandbox, hospital: Hospital) -> list[dict]:
    """Each clinician's access token, through /auth/v1 as the app signs in."""
    limit = asyncio.Semaphore(8)
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=30, headers={"apikey": sandbox.anon_key}) as http:
        async def one(p: dict) -> dict:
            async with limit:
                r = await http.post("/auth/v1/token?grant_type=password",
                                    json={"email": p["email"], "password": "tjv-demo-2026"})
            r.raise_for_status()
            return {"provider_id": p["provider_id"], "token": r.json()["access_token"], "patients": p["patients"]}

        return list(await asyncio.gather(*(one(p) for p in hospital.providers)))


class Workstations:
    """The light workstations' process (``hospital_workstations.py``)."""

    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc

    @classmethod
    async def start(cls, sandbox, plan: str, specs: list[dict]) -> Workstations:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(HERE / "hospital_workstations.py"), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, limit=256 * 1024 * 1024)
        self = cls(proc)
        await self._send({"url": sandbox.url, "anon_key": sandbox.anon_key, "plan": plan, "workstations": specs})
        ready = await self._read(300)
        if ready["ready"] != len(specs):
            await self.quit()
            raise RuntimeError(f"only {ready['ready']}/{len(specs)} workstations joined: {ready['errors']}")
        return self

    async def _send(self, obj: dict) -> None:
        self.proc.stdin.write(json.dumps(obj).encode() + b"\n")
        await self.proc.stdin.drain()

    async def _read(self, timeout: float) -> dict:
        async with asyncio.timeout(timeout):
            line = await self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the workstations' process ended")
        return json.loads(line)

    async def report(self, commits: Commits, expect: dict, deadline: float = SETTLE_SECONDS) -> dict:
        await self._send({"cmd": "report", "stamps": commits.stamps, "expect": expect, "deadline": deadline})
        return await self._read(deadline + 120)

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)

    async def quit(self) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            await self._send({"cmd": "quit"})
        try:
            async with asyncio.timeout(30):
                await self.proc.wait()
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()


class Watched:
    """The full TJV client and what it applied: each vital row's first time in the store, gaps seen."""

    def __init__(self, sandbox, email: str):
        self.applied: dict[int, float] = {}
        self.applied_twice = 0
        self.gaps: list[tuple[str, str | None, bool]] = []
        self.station = Station(sandbox.url, sandbox.anon_key, email=email, probe_deadline=10,
                               on_changes=self._on_changes)
        self.station.core.events.feed_gap.add(lambda g: self.gaps.append((g.reason, g.topic, g.resync)))
        self.resynced_to: list[int] = []  # the topic's position each finished resync read before fetching
        self.station.core.events.resync_finished.add(
            lambda r: self.resynced_to.append(r.positions.get(self.topic, 0)))

    def _on_changes(self, changes) -> None:
        now = time.time()
        for key in changes["vitals"].inserted:
            if int(key) in self.applied:
                self.applied_twice += 1
            self.applied.setdefault(int(key), now)

    @property
    def topic(self) -> str:
        return f"provider:{self.station.provider_id}"

    def feed(self):
        return self.station.link.feed.feeds.get(self.topic)

    async def start(self) -> None:
        await self.station.start()
        await self.station.wait_state(LinkState.CONNECTED, 60)
        deadline = time.monotonic() + 60
        while self.station.resyncs < 1 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)  # polling for the first resync, bounded

    async def settle(self, vital_ids: list[int], position: int) -> bool:
        """Waits until every row is in the store and the feed reached ``position``."""
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline:
            feed = self.feed()
            if all(i in self.applied for i in vital_ids) and feed is not None and (feed.last_seq or 0) >= position:
                return True
            await asyncio.sleep(0.1)  # polling the store's record, bounded
        return False

    def mark(self) -> tuple[int, int, int]:
        """Where the gap and resync records stand now (for ``lost_seqs`` and ``covered``)."""
        feed = self.feed()
        return len(self.gaps), len(getattr(feed, "lost_seqs", ()) if feed is not None else ()), len(self.resynced_to)

    def covered(self, seqs: list[int], mark: tuple[int, int, int]) -> list[int]:
        """Of ``seqs``, those a resync finished since ``mark`` had already fetched (its position was at
        or past them): the hole closed by itself, before it was old enough to be called lost."""
        top = max(self.resynced_to[mark[2]:], default=0)
        return [s for s in seqs if s <= top]

    def lost_seqs(self, mark: tuple[int, int, int]) -> list[int]:
        """Seqs the Station found lost on its topic since ``mark``: ``TopicFeed.lost_seqs`` when the feed
        keeps them, else read from the gap events' reasons (which list at most ten per gap)."""
        feed = self.feed()
        if feed is not None and hasattr(feed, "lost_seqs"):
            return sorted(list(feed.lost_seqs)[mark[1]:])
        seqs = []
        for reason, topic, _resync in self.gaps[mark[0]:]:
            match = LOST_SEQ.search(reason)
            if topic == self.topic and match and match.group(1):
                seqs.extend(int(x) for x in match.group(1).split(","))
        return sorted(seqs)
