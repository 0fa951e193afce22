"""Patient simulator: a fleet of home devices writing post-operative vitals to the sandbox database.

It is a device and nothing more: it writes ``vital_signs`` the way a wearable gateway does (one INSERT
per gateway per tick, as the service role), and the database's own rules (the migrations' trigger) score
them, set ``patient_status`` and raise, escalate and resolve alerts, exactly as on a real project.

Two layers. ``ScenarioPlan`` is pure and deterministic: a seed gives the same patients, values and
episodes every time (no wall clock, no I/O). ``PatientSimulator`` writes what the plan produces with
asyncpg. On a first start it can backfill history: the same plan at a coarser cadence, in bulk
statements through the same trigger, so past alerts were raised and resolved when their samples say.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg

from .scenarios import (  # noqa: F401 - re-exported for callers of the simulator
    DEMO_TENANTS,
    OPENING_EPISODES,
    VITAL_FIELDS,
    Episode,
    PatientProfile,
    Reading,
    ScenarioPlan,
)

log = logging.getLogger(__name__)


@dataclass
class SimulatorStats:
    ticks: int = 0
    vitals_written: int = 0
    statements: int = 0
    backfilled: int = 0
    backfill_seconds: float = 0.0
    errors: int = 0
    last_tick_seconds: float = 0.0


class SimulatorError(RuntimeError):
    """The simulator cannot run against this database (e.g. none of its tenants exist)."""


# One statement per gateway batch: the rows arrive together, as a gateway's upload does, and the
# database's statement-level trigger judges them together. tenant_id is derived by the database.
_INSERT_BATCH = """
insert into public.vital_signs (patient_id, measured_at, heart_rate, spo2, respiratory_rate, temperature,
                                systolic_bp, diastolic_bp, pain_score, source)
select r.*, 'simulator' from unnest($1::uuid[], $2::timestamptz[], $3::int[], $4::int[], $5::int[],
                                    $6::numeric[], $7::int[], $8::int[], $9::int[]) as r
"""


def _utcnow() -> datetime:
    return datetime.now(UTC)


async def _as_service_role(conn: asyncpg.Connection) -> None:
    # A gateway writes as the project's service role, not as a superuser: the rules must hold for it.
    # On every acquire: the pool's reset on release (RESET ALL) drops the role.
    await conn.execute("set role service_role")


@dataclass(frozen=True, slots=True)
class _SimPatient:
    id: str
    tenant_id: str


def _columns(batch: Sequence[tuple[_SimPatient, Reading, datetime]]) -> list[list]:
    """The batch as the INSERT's column arrays."""
    return [
        [p.id for p, _, _ in batch], [at for _, _, at in batch],
        [r.heart_rate for _, r, _ in batch], [r.spo2 for _, r, _ in batch],
        [r.respiratory_rate for _, r, _ in batch], [Decimal(str(r.temperature)) for _, r, _ in batch],
        [r.systolic_bp for _, r, _ in batch], [r.diastolic_bp for _, r, _ in batch],
        [r.pain_score for _, r, _ in batch],
    ]


class PatientSimulator:
    """Keeps ``patients`` simulated patients (mrn ``SIM-0001``…) in the given tenants and writes one set of
    vitals per patient every ``interval`` seconds, in batches of ``gateway_size`` patients (one INSERT
    each). Connects with the superuser ``dsn`` and writes as ``service_role``.

    Each patient is assigned to two of its tenant's clinicians (overlapping panels) and to the tenant's
    coordinators. With ``backfill``, patients without any vitals first get that much history at
    ``backfill_every`` (one INSERT per ``backfill_chunk`` of history for all of them)."""

    def __init__(self, dsn: str, patients: int, seed: int = 1, interval: float = 2.0, *,
                 tenant_slugs: Sequence[str] = DEMO_TENANTS, mrn_prefix: str = "SIM-",
                 episode_rate: float = 0.0015, gateway_size: int = 25,
                 backfill: timedelta | None = None, backfill_every: timedelta = timedelta(minutes=5),
                 backfill_chunk: timedelta = timedelta(hours=2),
                 clock: Callable[[], datetime] = _utcnow):
        self.dsn = dsn
        self.interval = interval
        self.tenant_slugs = tuple(tenant_slugs)
        self.mrn_prefix = mrn_prefix
        self.seed = seed
        self.episode_rate = episode_rate
        self.gateway_size = max(1, gateway_size)
        self.backfill = backfill
        self.backfill_every = backfill_every
        self.backfill_chunk = backfill_chunk
        self.clock = clock
        self.plan = ScenarioPlan(seed, patients, episode_rate=episode_rate, mrn_prefix=mrn_prefix)
        self.stats = SimulatorStats()
        self.patients: list[_SimPatient] = []
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def prepare(self) -> None:
        """Connects, ensures the simulated patients exist (idempotent) and backfills their history when
        asked and they have none, without starting the clock."""
        if self._pool is not None:
            return
        pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=4, command_timeout=120,
                                         setup=_as_service_role)
        try:
            async with pool.acquire() as conn, conn.transaction():
                self.patients = await self._ensure_patients(conn)
            if self.backfill:
                await self._backfill(pool)
        except BaseException:
            await pool.close()
            raise
        self._pool = pool

    async def start(self) -> None:
        await self.prepare()
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="patient-simulator")
        self._task.add_done_callback(self._report_crash)

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def step(self) -> None:
        """Advances every simulated patient by one tick and uploads it, one statement per gateway."""
        async with self._lock:
            await self.prepare()
            started = time.perf_counter()
            measured_at = self.clock()
            rows = [(self.patients[r.index], r, measured_at) for r in self.plan.advance()]
            batches = [rows[i:i + self.gateway_size] for i in range(0, len(rows), self.gateway_size)]
            outcomes = await asyncio.gather(*(self._write(b) for b in batches), return_exceptions=True)
            failures = [o for o in outcomes if isinstance(o, BaseException)]
            for batch, outcome in zip(batches, outcomes, strict=True):
                if not isinstance(outcome, BaseException):
                    self.stats.vitals_written += len(batch)
                    self.stats.statements += 1
            self.stats.ticks += 1
            self.stats.last_tick_seconds = time.perf_counter() - started
            if failures:
                self.stats.errors += len(failures)
                raise failures[0]

    async def _write(self, batch: Sequence[tuple[_SimPatient, Reading, datetime]]) -> None:
        async with self._pool.acquire() as conn:
            await conn.execute(_INSERT_BATCH, *_columns(batch))

    # -- history ----------------------------------------------------------------------------------------

    async def _backfill(self, pool: asyncpg.Pool) -> None:
        """History for the patients that have none: a plan of its own (same seed, so the same patients)
        stepped at ``backfill_every`` up to now, written in chunks in time order."""
        async with pool.acquire() as conn:
            empty = set(await conn.fetchval(
                """select coalesce(array_agg(p::text), '{}') from unnest($1::uuid[]) p
                   where not exists (select 1 from public.vital_signs v where v.patient_id = p)""",
                [p.id for p in self.patients]))
        if not empty:
            return
        started = time.perf_counter()
        history = ScenarioPlan(self.seed, len(self.patients), episode_rate=self.episode_rate,
                               mrn_prefix=self.mrn_prefix)
        end = self.clock() - self.interval * timedelta(seconds=1)
        steps = int(self.backfill / self.backfill_every)
        per_chunk = max(1, int(self.backfill_chunk / self.backfill_every))
        chunk: list[tuple[_SimPatient, Reading, datetime]] = []
        for k in range(steps, 0, -1):
            at = end - (k - 1) * self.backfill_every
            chunk += [(self.patients[r.index], r, at) for r in history.advance()
                      if self.patients[r.index].id in empty]
            if (steps - k + 1) % per_chunk == 0 or k == 1:
                async with pool.acquire() as conn:
                    await conn.execute(_INSERT_BATCH, *_columns(chunk))
                self.stats.backfilled += len(chunk)
                chunk = []
        self.stats.backfill_seconds = time.perf_counter() - started
        log.info("backfilled %d vitals (%s of history for %d patients) in %.1f s", self.stats.backfilled,
                 self.backfill, len(empty), self.stats.backfill_seconds)

    # -- clock ------------------------------------------------------------------------------------------

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while not self._stopping.is_set():
            try:
                await self.step()
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                log.warning("simulator tick %d failed, retrying next tick: %s", self.plan.tick, exc)
            due += self.interval
            now = loop.time()
            if due < now:  # overran: skip the missed ticks instead of bursting to catch up
                due = now
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(due - now):
                    await self._stopping.wait()

    @staticmethod
    def _report_crash(task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("patient simulator stopped", exc_info=task.exception())

    # -- setup ------------------------------------------------------------------------------------------

    async def _ensure_patients(self, conn: asyncpg.Connection) -> list[_SimPatient]:
        tenants = await conn.fetch(
            "select id::text, slug from public.tenants where slug = any($1::text[])", list(self.tenant_slugs))
        by_slug = {r["slug"]: r["id"] for r in tenants}
        tenant_ids = [by_slug[s] for s in self.tenant_slugs if s in by_slug]
        if not tenant_ids:
            raise SimulatorError(f"none of the simulator's tenants exist: {', '.join(self.tenant_slugs)}")
        staff = await conn.fetch(
            """select id::text, tenant_id::text, role, discipline from public.providers
               where tenant_id = any($1::uuid[]) and active and role in ('clinician', 'coordinator')
               order by email nulls last, full_name, id""", tenant_ids)
        clinicians = {t: [r for r in staff if r["tenant_id"] == t and r["role"] == "clinician"] for t in tenant_ids}
        coordinators = {t: [r["id"] for r in staff if r["tenant_id"] == t and r["role"] == "coordinator"]
                        for t in tenant_ids}
        today = self.clock().date()
        rows, assignments = [], []
        for profile in self.plan.profiles:
            i = profile.index
            tenant = tenant_ids[i % len(tenant_ids)]
            local = i // len(tenant_ids)
            panel = clinicians[tenant]
            team = [panel[local % len(panel)]["id"], panel[(local + 1) % len(panel)]["id"]] if panel else []
            surgeon = next((c["id"] for c in panel if c["discipline"] == "surgeon"), None)
            surgery = today - timedelta(days=profile.days_since_surgery)
            discharge = surgery + timedelta(days=min(profile.length_of_stay, profile.days_since_surgery))
            rows.append((tenant, profile.mrn, profile.full_name, profile.date_of_birth, profile.procedure,
                         profile.side, surgery, discharge, surgeon))
            assignments.append((tenant, list(dict.fromkeys(team + coordinators[tenant]))))
        await conn.executemany(
            """insert into public.patients (tenant_id, mrn, full_name, date_of_birth, procedure, side,
                                            surgery_date, discharge_date, surgeon_id)
               values ($1, $2, $3, $4, $5, $6, $7, $8, $9) on conflict (tenant_id, mrn) do nothing""", rows)
        found = await conn.fetch(
            "select id::text, tenant_id::text, mrn from public.patients where tenant_id = any($1::uuid[]) "
            "and mrn = any($2::text[])", tenant_ids, [p.mrn for p in self.plan.profiles])
        ids = {(r["tenant_id"], r["mrn"]): r["id"] for r in found}
        patients = [_SimPatient(ids[(tenant, profile.mrn)], tenant)
                    for profile, (tenant, _team) in zip(self.plan.profiles, assignments, strict=True)]
        await conn.executemany(
            """insert into public.provider_assignments (tenant_id, provider_id, patient_id)
               values ($1, $2, $3) on conflict (provider_id, patient_id) do nothing""",
            [(tenant, provider, p.id) for p, (tenant, team) in zip(patients, assignments, strict=True)
             for provider in team])
        return patients
