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
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import asyncpg

from tjv_desktop.domain.news2 import ALERT_KINDS, assess, patient_status
from tjv_desktop.domain.vitals import PRIORITY_RANK, VitalAlert, VitalSample

log = logging.getLogger(__name__)

DEMO_TENANTS = ("riverside", "lakeside")

VITAL_FIELDS = ("heart_rate", "spo2", "respiratory_rate", "temperature", "systolic_bp", "diastolic_bp",
                "pain_score")

# Post-operative baseline drawn per patient (uniform), and per-tick noise: AR(1) with this innovation sd.
BASELINE_RANGES = {
    "heart_rate": (65, 95), "spo2": (95, 99), "respiratory_rate": (12, 18), "temperature": (36.4, 37.4),
    "systolic_bp": (110, 140), "diastolic_bp": (65, 85), "pain_score": (2, 5),
}
NOISE_SD = {
    "heart_rate": 1.5, "spo2": 0.35, "respiratory_rate": 0.5, "temperature": 0.04, "systolic_bp": 2.0,
    "diastolic_bp": 1.5, "pain_score": 0.12,
}
NOISE_PERSISTENCE = 0.7
PHYSIOLOGICAL_RANGE = {
    "heart_rate": (30, 200), "spo2": (70, 100), "respiratory_rate": (6, 45), "temperature": (34.0, 42.0),
    "systolic_bp": (60, 230), "diastolic_bp": (35, 130), "pain_score": (0, 10),
}

# Deterioration patterns watched after joint replacement: (field, target when mild, target when severe).
# A target only ever moves a value away from the patient's baseline.
EPISODE_EFFECTS: dict[str, tuple[tuple[str, float, float], ...]] = {
    "infection": (("temperature", 38.4, 39.8), ("heart_rate", 102, 126), ("respiratory_rate", 19, 24)),
    "embolism": (("spo2", 93, 87), ("respiratory_rate", 22, 30), ("heart_rate", 100, 124)),
    "bleeding": (("heart_rate", 108, 142), ("systolic_bp", 102, 78), ("diastolic_bp", 62, 45),
                 ("respiratory_rate", 19, 23)),
    "pain": (("pain_score", 7.5, 9.6), ("heart_rate", 92, 106), ("systolic_bp", 138, 156)),
}
# Started in the first ticks so every priority shows within a minute: bleeding at full severity is HIGH
# (HR > 130, SBP < 91), severe pain is MEDIUM (pain >= 9), mild pain is LOW (pain 7-8).
OPENING_EPISODES = (("bleeding", 1.0), ("pain", 1.0), ("pain", 0.0), ("embolism", 0.7), ("infection", 0.6))

FIRST_NAMES = ("Alice", "Arthur", "Beatrice", "Bernard", "Catherine", "Clifford", "Diane", "Edward", "Frances",
               "Gerald", "Irene", "Harold", "Joyce", "Leonard", "Maureen", "Norman", "Pauline", "Raymond",
               "Sylvia", "Vincent", "Wendy", "Stanley", "Gloria", "Howard")
LAST_NAMES = ("Abbott", "Bauer", "Castillo", "Dunn", "Ellis", "Fitzgerald", "Gallagher", "Hoffman", "Ito",
              "Jansen", "Keller", "Lindgren", "Mendes", "Novak", "Olsen", "Petrov", "Quinn", "Rossi",
              "Sato", "Tanaka", "Underwood", "Vargas", "Weiss", "Young")


@dataclass(frozen=True, slots=True)
class Episode:
    """One deterioration: ramps over ``ramp`` ticks, holds for ``plateau``, recovers over ``recovery``."""

    patient: int
    kind: str
    severity: float
    start: int
    ramp: int
    plateau: int
    recovery: int

    @property
    def end(self) -> int:
        """First tick at which the episode no longer changes the patient's values."""
        return self.start + self.ramp + self.plateau + self.recovery

    def intensity(self, tick: int) -> float:
        t = tick - self.start
        if t < 0 or tick >= self.end:
            return 0.0
        if t < self.ramp:
            return (t + 1) / self.ramp
        if t < self.ramp + self.plateau:
            return 1.0
        return 1.0 - (t - self.ramp - self.plateau + 1) / (self.recovery + 1)


@dataclass(frozen=True, slots=True)
class PatientProfile:
    index: int
    mrn: str
    full_name: str
    date_of_birth: date
    procedure: str
    side: str
    days_since_surgery: int
    length_of_stay: int


@dataclass(frozen=True, slots=True)
class Reading:
    """One simulated set of observations for patient ``index``."""

    index: int
    heart_rate: int
    spo2: int
    respiratory_rate: int
    temperature: float
    systolic_bp: int
    diastolic_bp: int
    pain_score: int

    def sample(self, patient_id: str, measured_at: datetime) -> VitalSample:
        return VitalSample(patient_id=patient_id, measured_at=measured_at, heart_rate=self.heart_rate,
                           spo2=self.spo2, respiratory_rate=self.respiratory_rate, temperature=self.temperature,
                           systolic_bp=self.systolic_bp, diastolic_bp=self.diastolic_bp,
                           pain_score=self.pain_score)


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


class _SimulatedPatient:
    def __init__(self, seed: int, index: int):
        self.rng = random.Random(f"{seed}:vitals:{index}")
        self.baseline = {name: self.rng.uniform(lo, hi) for name, (lo, hi) in BASELINE_RANGES.items()}
        self.noise = dict.fromkeys(VITAL_FIELDS, 0.0)
        self.episode: Episode | None = None
        self.quiet_until = 0

    def read(self, index: int, tick: int) -> Reading:
        values = dict(self.baseline)
        if self.episode is not None:
            f = self.episode.intensity(tick)
            for name, mild, severe in EPISODE_EFFECTS[self.episode.kind]:
                target = mild + self.episode.severity * (severe - mild)
                base = values[name]
                target = max(base, target) if severe > mild else min(base, target)
                values[name] = base + f * (target - base)
        for name in VITAL_FIELDS:
            self.noise[name] = NOISE_PERSISTENCE * self.noise[name] + self.rng.gauss(0.0, NOISE_SD[name])
            lo, hi = PHYSIOLOGICAL_RANGE[name]
            values[name] = min(hi, max(lo, values[name] + self.noise[name]))
        return Reading(
            index=index, temperature=round(values["temperature"], 1),
            **{name: _round_half_up(values[name]) for name in VITAL_FIELDS if name != "temperature"},
        )


class ScenarioPlan:
    """Deterministic patients, values and deterioration episodes for ``patients`` simulated patients.

    ``advance()`` returns the next tick's readings. Episodes start in the first ticks (see
    OPENING_EPISODES) and then at random with ``episode_rate`` per patient per tick, one at a time
    per patient, each followed by a quiet spell."""

    def __init__(self, seed: int, patients: int, *, episode_rate: float = 0.0015, mrn_prefix: str = "SIM-"):
        self.seed = seed
        self.episode_rate = episode_rate
        self.tick = 0
        self.episodes: list[Episode] = []
        self._scheduler = random.Random(f"{seed}:scenario")
        self._patients = [_SimulatedPatient(seed, i) for i in range(patients)]
        self.profiles = tuple(self._profile(seed, i, mrn_prefix) for i in range(patients))
        order = list(range(patients))
        self._scheduler.shuffle(order)
        for slot, (patient, (kind, severity)) in enumerate(zip(order, OPENING_EPISODES, strict=False)):
            self._begin(Episode(patient=patient, kind=kind, severity=severity, start=slot // 2, ramp=3,
                                plateau=self._scheduler.randint(45, 60), recovery=6))

    @staticmethod
    def _profile(seed: int, index: int, prefix: str) -> PatientProfile:
        rng = random.Random(f"{seed}:profile:{index}")
        age_days = rng.randint(50 * 365, 85 * 365)
        return PatientProfile(
            index=index, mrn=f"{prefix}{index + 1:04d}",
            full_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            date_of_birth=date(2025, 1, 1) - timedelta(days=age_days),
            procedure=rng.choice(("THA", "TKA")),
            side=rng.choices(("left", "right", "bilateral"), weights=(45, 45, 10))[0],
            days_since_surgery=rng.randint(1, 10), length_of_stay=rng.randint(0, 3),
        )

    def _begin(self, episode: Episode) -> None:
        self._patients[episode.patient].episode = episode
        self.episodes.append(episode)

    def _schedule(self) -> None:
        rng = self._scheduler
        for index, patient in enumerate(self._patients):
            episode = patient.episode
            if episode is not None and self.tick >= episode.end:
                patient.episode = None
                patient.quiet_until = self.tick + rng.randint(20, 60)
            if patient.episode is None and self.tick >= patient.quiet_until and rng.random() < self.episode_rate:
                self._begin(Episode(patient=index, kind=rng.choice(tuple(EPISODE_EFFECTS)),
                                    severity=rng.random(), start=self.tick, ramp=rng.randint(3, 8),
                                    plateau=rng.randint(15, 60), recovery=rng.randint(5, 12)))

    def advance(self) -> tuple[Reading, ...]:
        self._schedule()
        readings = tuple(p.read(i, self.tick) for i, p in enumerate(self._patients))
        self.tick += 1
        return readings


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
        raised = sorted(result.raised, key=lambda a: -PRIORITY_RANK[a.priority])
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
                await asyncio.wait_for(self._stopping.wait(), due - now)

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
            if held is None or PRIORITY_RANK[r["priority"]] > PRIORITY_RANK[held.priority]:
                opened[r["kind"]] = VitalAlert(
                    kind=r["kind"], priority=r["priority"], message=r["message"],
                    value=float(r["value"]) if r["value"] is not None else math.nan,
                    limit=float(r["limit_value"]) if r["limit_value"] is not None else math.nan,
                    unit=r["unit"] or "")
