"""Patient simulator: post-operative vitals written to the sandbox database, with deterioration episodes
that raise alerts through ``public.raise_alert`` exactly as a production ingest would.

Two layers. ``ScenarioPlan`` is pure and deterministic: a seed gives the same patients, values and
episodes every time (no wall clock, no I/O). ``PatientSimulator`` writes what the plan produces to
PostgreSQL with asyncpg, scoring each sample with the domain's NEWS2 and alert rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg

from tjv_desktop.domain.alerts import priority_rank
from tjv_desktop.domain.news2 import ALERT_KINDS, assess, patient_status
from tjv_desktop.domain.vitals import VitalAlert

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
    alerts_raised: dict[str, int] = field(default_factory=lambda: {"high": 0, "medium": 0, "low": 0})
    alerts_resolved: int = 0
    errors: int = 0
    last_tick_seconds: float = 0.0


class SimulatorError(RuntimeError):
    """The simulator cannot run against this database (e.g. none of its tenants exist)."""


# One statement, so a quiet patient's tick is atomic; executemany sends the whole batch at once.
_WRITE_TICK = """
with vitals as (
  insert into public.vital_signs (tenant_id, patient_id, measured_at, heart_rate, spo2, respiratory_rate,
                                  temperature, systolic_bp, diastolic_bp, pain_score, consciousness,
                                  on_oxygen, source)
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'simulator')
)
insert into public.patient_status (patient_id, tenant_id, provider_id, status, news2_score, news2_risk,
                                   last_vitals_at)
values ($2, $1, $13, $14, $15, $16, $3)
on conflict (patient_id) do update
  set status = excluded.status, news2_score = excluded.news2_score, news2_risk = excluded.news2_risk,
      last_vitals_at = excluded.last_vitals_at
"""
_RAISE = "select count(*) from public.raise_alert($1, $2, $3, $4, $5, $6, $7, $8)"
_RESOLVE = "select public.resolve_alerts($1, $2)"
_OPEN_STATES = ("active", "acknowledged", "accepted")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _num(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@dataclass(frozen=True, slots=True)
class _SimPatient:
    id: str
    tenant_id: str
    provider_id: str | None  # primary clinician, shown as responsible in patient_status


@dataclass
class _PatientWrite:
    index: int
    row: tuple
    raise_alerts: list[VitalAlert]
    resolve_kinds: list[str]
    open_after: dict[str, VitalAlert]
    cleared_after: dict[str, int]


class PatientSimulator:
    """Keeps ``patients`` simulated patients (mrn ``SIM-0001``…) in the given tenants and writes one set of
    vitals per patient every ``interval`` seconds. Connects as the superuser ``dsn``.

    Each patient is assigned to two of its tenant's clinicians (overlapping panels) and to the tenant's
    coordinators. An alert kind is resolved after ``resolve_after`` consecutive ticks without it."""

    def __init__(self, dsn: str, patients: int, seed: int = 1, interval: float = 2.0, *,
                 tenant_slugs: Sequence[str] = DEMO_TENANTS, mrn_prefix: str = "SIM-",
                 episode_rate: float = 0.0015, resolve_after: int = 3,
                 clock: Callable[[], datetime] = _utcnow):
        self.dsn = dsn
        self.interval = interval
        self.tenant_slugs = tuple(tenant_slugs)
        self.mrn_prefix = mrn_prefix
        self.resolve_after = max(1, resolve_after)
        self.clock = clock
        self.plan = ScenarioPlan(seed, patients, episode_rate=episode_rate, mrn_prefix=mrn_prefix)
        self.stats = SimulatorStats()
        self.patients: list[_SimPatient] = []
        self._open: list[dict[str, VitalAlert]] = [{} for _ in range(patients)]
        self._cleared: list[dict[str, int]] = [{} for _ in range(patients)]
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def open_alerts(self) -> dict[str, dict[str, VitalAlert]]:
        """Alert kinds the simulator holds open, by patient id (what the database should show unresolved)."""
        return {p.id: dict(self._open[i]) for i, p in enumerate(self.patients) if self._open[i]}

    async def prepare(self) -> None:
        """Connects and ensures the simulated patients exist (idempotent), without starting the clock."""
        if self._pool is not None:
            return
        pool = await asyncpg.create_pool(self.dsn, min_size=1, max_size=4, command_timeout=30)
        try:
            async with pool.acquire() as conn, conn.transaction():
                self.patients = await self._ensure_patients(conn)
                await self._load_open_alerts(conn)
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
        """Advances every simulated patient by one tick and writes it."""
        async with self._lock:
            await self.prepare()
            started = time.perf_counter()
            measured_at = self.clock()
            writes = [self._judge(r, measured_at) for r in self.plan.advance()]
            quiet = [w for w in writes if not w.raise_alerts and not w.resolve_kinds]
            busy = [w for w in writes if w.raise_alerts or w.resolve_kinds]
            outcomes = await asyncio.gather(self._write_batch(quiet), *(self._write_one(w) for w in busy),
                                            return_exceptions=True)
            failures = [o for o in outcomes if isinstance(o, BaseException)]
            for batch, outcome in zip([quiet, *([w] for w in busy)], outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    continue
                for w in batch:
                    self._open[w.index] = w.open_after
                    self._cleared[w.index] = w.cleared_after
                    self.stats.vitals_written += 1
                    for alert in w.raise_alerts:
                        self.stats.alerts_raised[alert.priority] += 1
                    self.stats.alerts_resolved += len(w.resolve_kinds)
            self.stats.ticks += 1
            self.stats.last_tick_seconds = time.perf_counter() - started
            if failures:
                self.stats.errors += len(failures)
                raise failures[0]

    # -- one patient's tick ---------------------------------------------------------------------------

    def _judge(self, reading: Reading, measured_at: datetime) -> _PatientWrite:
        patient = self.patients[reading.index]
        opened = self._open[reading.index]
        sample = reading.sample(patient.id, measured_at)
        result = assess(sample, previous=opened.values())
        open_after = dict(opened)
        cleared_after = {k: n for k, n in self._cleared[reading.index].items() if result.alert(k) is None}
        resolve: list[str] = []
        for kind in result.resolved:
            cleared_after[kind] = cleared_after.get(kind, 0) + 1
            if cleared_after[kind] >= self.resolve_after:
                resolve.append(kind)
                del cleared_after[kind], open_after[kind]
        for alert in result.raised:
            open_after[alert.kind] = alert
        news2 = result.news2
        row = (patient.tenant_id, patient.id, measured_at, sample.heart_rate, sample.spo2,
               sample.respiratory_rate, _num(sample.temperature), sample.systolic_bp, sample.diastolic_bp,
               sample.pain_score, sample.consciousness, sample.on_oxygen, patient.provider_id,
               patient_status(news2, result.alerts), news2.aggregate, news2.risk)
        raised = sorted(result.raised, key=lambda a: -priority_rank(a.priority))
        return _PatientWrite(reading.index, row, raised, resolve, open_after, cleared_after)

    async def _write_batch(self, writes: list[_PatientWrite]) -> None:
        if writes:
            async with self._pool.acquire() as conn:
                await conn.executemany(_WRITE_TICK, [w.row for w in writes])

    async def _write_one(self, w: _PatientWrite) -> None:
        patient_id, news2_score = w.row[1], w.row[14]
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(_WRITE_TICK, *w.row)
            for a in w.raise_alerts:
                await conn.fetchval(_RAISE, patient_id, a.priority, a.kind, a.message, _num(a.value),
                                    _num(a.limit), a.unit, news2_score)
            for kind in w.resolve_kinds:
                await conn.fetchval(_RESOLVE, patient_id, kind)

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
        patients = []
        for profile, (tenant, team) in zip(self.plan.profiles, assignments, strict=True):
            pid = ids[(tenant, profile.mrn)]
            primary = team[0] if team else None
            patients.append(_SimPatient(pid, tenant, primary))
        await conn.executemany(
            """insert into public.provider_assignments (tenant_id, provider_id, patient_id)
               values ($1, $2, $3) on conflict (provider_id, patient_id) do nothing""",
            [(tenant, provider, p.id) for p, (tenant, team) in zip(patients, assignments, strict=True)
             for provider in team])
        await conn.executemany(
            """insert into public.patient_status (patient_id, tenant_id, provider_id, status)
               values ($1, $2, $3, 'stable') on conflict (patient_id) do nothing""",
            [(p.id, p.tenant_id, p.provider_id) for p in patients])
        return patients

    async def _load_open_alerts(self, conn: asyncpg.Connection) -> None:
        """Alerts still open from an earlier run, so a restart neither re-raises nor forgets to resolve them."""
        index_of = {p.id: i for i, p in enumerate(self.patients)}
        rows = await conn.fetch(
            """select patient_id::text, kind, priority, message, value, limit_value, unit
               from public.patient_alerts
               where patient_id = any($1::uuid[]) and state = any($2::text[]) and kind = any($3::text[])""",
            list(index_of), list(_OPEN_STATES), list(ALERT_KINDS))
        for r in rows:
            opened = self._open[index_of[r["patient_id"]]]
            held = opened.get(r["kind"])
            if held is None or priority_rank(r["priority"]) > priority_rank(held.priority):
                opened[r["kind"]] = VitalAlert(
                    kind=r["kind"], priority=r["priority"], message=r["message"],
                    value=float(r["value"]) if r["value"] is not None else math.nan,
                    limit=float(r["limit_value"]) if r["limit_value"] is not None else math.nan,
                    unit=r["unit"] or "")
