"""The patient simulator: deterministic scenarios written as vitals, and the alerts and statuses the
database's own rules (the migrations' vital_signs trigger) make of them. The simulator judges nothing.

The database tests run in a database of their own in the session cluster (migrations and seed applied),
so the patients, alerts and append-only audit rows they create never reach the database whose rows other
tests count; each test also works in a tenant of its own."""

from __future__ import annotations

import ast
import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from tests.support.sandbox import fresh_database
from tjv_desktop.domain.news2 import assess
from tjv_desktop.domain.vitals import VitalSample
from tjv_sandbox.simulator import PatientSimulator, ScenarioPlan

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


class FakeClock:
    """Two seconds per reading, like the default interval, without waiting for them."""

    def __init__(self, start: datetime = T0, step: float = 2.0):
        self.now = start - timedelta(seconds=step)
        self.step = timedelta(seconds=step)

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


async def make_tenant(dsn: str, clear_after: timedelta = timedelta(minutes=2)) -> tuple[str, dict[str, str]]:
    """A fresh tenant with three clinicians and a coordinator. Returns its slug and provider ids by name."""
    slug = f"sim-{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(dsn)
    try:
        tenant = await conn.fetchval("insert into public.tenants (name, slug, alert_clear_after) values ($1, $1, $2) "
                                     "returning id", slug, clear_after)
        staff = {}
        for name, role, discipline in [("nurse", "clinician", "nurse"), ("surgeon", "clinician", "surgeon"),
                                       ("physio", "clinician", "physiotherapist"),
                                       ("coordinator", "coordinator", None)]:
            staff[name] = str(await conn.fetchval(
                "insert into public.providers (tenant_id, full_name, email, role, discipline) "
                "values ($1, $2, $3, $4, $5) returning id",
                tenant, name.title(), f"{name}@{slug}.test", role, discipline))
        return slug, staff
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def sim_dsn(pg_cluster):
    with fresh_database(pg_cluster, "tjv_simulator_tests") as dsn:
        yield dsn


@pytest.fixture
async def db(sim_dsn):
    conn = await asyncpg.connect(sim_dsn)
    yield conn
    await conn.close()


@pytest.fixture
async def simulators(sim_dsn):
    """Builds simulators on the session cluster and stops them all at the end of the test."""
    made: list[PatientSimulator] = []

    async def make(patients: int, tenant_slug: str, **options) -> PatientSimulator:
        options.setdefault("clock", FakeClock())
        sim = PatientSimulator(sim_dsn, patients, tenant_slugs=[tenant_slug], **options)
        made.append(sim)
        await sim.prepare()
        return sim

    yield make
    for sim in made:
        await sim.stop()


def run_plan(seed: int, patients: int, ticks: int) -> list:
    plan = ScenarioPlan(seed, patients)
    return [plan.advance() for _ in range(ticks)], plan.episodes, plan.profiles


# --- the pure scenario layer -------------------------------------------------------------------------------

def test_same_seed_gives_the_same_patients_values_and_episodes():
    first = run_plan(7, 40, 120)
    assert first == run_plan(7, 40, 120)
    assert first != run_plan(8, 40, 120)


def test_baselines_are_plausible_post_operative_values():
    (readings, *_), episodes, profiles = run_plan(3, 200, 1)
    in_episode = {e.patient for e in episodes}
    for r in readings:
        if r.index in in_episode:
            continue
        assert 60 <= r.heart_rate <= 100 and 94 <= r.spo2 <= 100 and 11 <= r.respiratory_rate <= 19
        assert 36.2 <= r.temperature <= 37.6 and 104 <= r.systolic_bp <= 146 and 0 <= r.pain_score <= 6
    assert {p.procedure for p in profiles} == {"THA", "TKA"}
    assert all(1 <= p.days_since_surgery <= 10 for p in profiles)
    assert [p.mrn for p in profiles[:2]] == ["SIM-0001", "SIM-0002"]


def test_episodes_ramp_hold_and_recover():
    _, episodes, _ = run_plan(1, 40, 200)
    kinds = {e.kind for e in episodes}
    assert kinds == {"infection", "embolism", "bleeding", "pain"}
    e = episodes[0]
    levels = [e.intensity(t) for t in range(e.start, e.end + 1)]
    assert levels[0] < levels[1] < levels[e.ramp - 1] == 1.0
    assert all(x == 1.0 for x in levels[e.ramp:e.ramp + e.plateau])
    assert levels[-2] > 0 and levels[-1] == 0.0


@pytest.mark.parametrize("seed", range(1, 21))
@pytest.mark.parametrize("patients", [3, 40, 200])
def test_every_priority_is_warranted_within_thirty_ticks_whatever_the_seed(seed, patients):
    plan = ScenarioPlan(seed, patients)
    opened = [{} for _ in range(patients)]
    for _ in range(30):
        for r in plan.advance():
            sample = VitalSample(patient_id=str(r.index), measured_at=T0, heart_rate=r.heart_rate, spo2=r.spo2,
                                 respiratory_rate=r.respiratory_rate, temperature=r.temperature,
                                 systolic_bp=r.systolic_bp, diastolic_bp=r.diastolic_bp, pain_score=r.pain_score)
            judged = assess(sample, opened[r.index].values())
            opened[r.index].update({a.kind: a for a in judged.raised})
            for kind in judged.resolved:
                del opened[r.index][kind]
    assert {a.priority for alerts in opened for a in alerts.values()} == {"high", "medium", "low"}


async def open_kinds(db, sim) -> dict[str, set[str]]:
    rows = await db.fetch(
        "select distinct patient_id::text, kind from public.patient_alerts "
        "where patient_id = any($1::uuid[]) and state <> 'resolved'", [p.id for p in sim.patients])
    found: dict[str, set[str]] = {}
    for r in rows:
        found.setdefault(r["patient_id"], set()).add(r["kind"])
    return found


async def open_duplicates(db, tenant_slug: str) -> int:
    """Open alert events of the same kind for the same patient: the storm bound allows none."""
    return await db.fetchval(
        """select count(*) from (select a.patient_id, a.kind from public.patient_alerts a
           join public.tenants t on t.id = a.tenant_id
           where t.slug = $1 and a.state <> 'resolved' group by 1, 2 having count(distinct a.event_id) > 1) d""",
        tenant_slug)


def test_the_sandbox_never_imports_the_app():
    root = Path(__file__).resolve().parents[2] / "tjv_sandbox"
    offending = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offending += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "tjv_desktop"]
    assert offending == []


# --- against PostgreSQL ------------------------------------------------------------------------------------

async def test_forty_patients_for_a_minute_write_vitals_and_routed_alerts_of_every_priority(
        sim_dsn, db, simulators):
    slug, staff = await make_tenant(sim_dsn)
    sim = await simulators(40, slug, seed=11)
    for _ in range(30):  # 60 s at the default 2 s interval
        await sim.step()

    ids = [p.id for p in sim.patients]
    assert await db.fetchval("select count(*) from public.patients where id = any($1::uuid[])", ids) == 40
    vitals = await db.fetchval(
        "select count(*) from public.vital_signs where patient_id = any($1::uuid[]) and source = 'simulator'", ids)
    assert vitals == 40 * 30 == sim.stats.vitals_written
    assert sim.stats.ticks == 30 and sim.stats.errors == 0
    assert sim.stats.statements == 30 * 2  # two gateways of 25 patients, one INSERT each per tick

    active = await db.fetch(
        """select a.event_id, a.priority, a.kind, a.message, a.provider_id::text, a.patient_id::text,
                  exists (select 1 from public.provider_assignments pa
                          where pa.patient_id = a.patient_id and pa.provider_id = a.provider_id and pa.active)
                    as assigned
           from public.patient_alerts a where a.patient_id = any($1::uuid[]) and a.state = 'active'""", ids)
    assert {r["priority"] for r in active} == {"high", "medium", "low"}
    assert all(r["assigned"] for r in active)
    assert all("limit" in r["message"] for r in active)
    # Each event reaches both clinicians of the patient's panel and the coordinator.
    routed: dict = {}
    for r in active:
        routed.setdefault(r["event_id"], set()).add(r["provider_id"])
    assert all(len(providers) == 3 and staff["coordinator"] in providers for providers in routed.values())
    # Panels overlap: every clinician sees some simulated patients, none sees all of them.
    panels = await db.fetch(
        "select provider_id::text, count(*) from public.provider_assignments where patient_id = any($1::uuid[]) "
        "group by provider_id", ids)
    counts = {r["provider_id"]: r["count"] for r in panels}
    assert counts[staff["coordinator"]] == 40
    assert all(0 < counts[staff[c]] < 40 for c in ("nurse", "surgeon", "physio"))
    assert await open_duplicates(db, slug) == 0

    statuses = await db.fetch(
        "select status, news2_score, news2_risk, last_vitals_at from public.patient_status "
        "where patient_id = any($1::uuid[])", ids)
    assert len(statuses) == 40
    assert "critical" in {s["status"] for s in statuses} and "stable" in {s["status"] for s in statuses}
    assert all(s["last_vitals_at"] == sim.clock.now for s in statuses)


async def test_same_seed_writes_the_same_values_and_alerts_for_two_patient_sets(sim_dsn, db, simulators):
    slug_a, _ = await make_tenant(sim_dsn)
    slug_b, _ = await make_tenant(sim_dsn)
    a = await simulators(12, slug_a, seed=5, episode_rate=0.02)
    b = await simulators(12, slug_b, seed=5, episode_rate=0.02)
    for _ in range(25):
        await a.step()
        await b.step()

    async def history(sim):
        vitals = await db.fetch(
            """select p.mrn, v.measured_at, v.heart_rate, v.spo2, v.respiratory_rate, v.temperature,
                      v.systolic_bp, v.diastolic_bp, v.pain_score
               from public.vital_signs v join public.patients p on p.id = v.patient_id
               where v.patient_id = any($1::uuid[]) order by p.mrn, v.measured_at""", [p.id for p in sim.patients])
        alerts = await db.fetch(
            """select distinct p.mrn, a.kind, a.priority, a.message, a.state
               from public.patient_alerts a join public.patients p on p.id = a.patient_id
               where a.patient_id = any($1::uuid[]) order by 1, 2, 3, 4, 5""", [p.id for p in sim.patients])
        return [tuple(r) for r in vitals], [tuple(r) for r in alerts]

    vitals_a, alerts_a = await history(a)
    vitals_b, alerts_b = await history(b)
    assert len(vitals_a) == 12 * 25
    assert vitals_a == vitals_b
    assert alerts_a and alerts_a == alerts_b


async def test_a_recovered_patients_alerts_are_resolved(sim_dsn, db, simulators):
    slug, _ = await make_tenant(sim_dsn, clear_after=timedelta(seconds=6))  # three readings at 2 s
    sim = await simulators(3, slug, seed=2, episode_rate=0.0)
    bleeding = next(e for e in sim.plan.episodes if e.kind == "bleeding")
    patient = sim.patients[bleeding.patient].id
    open_sql = ("select array_agg(distinct kind order by kind) from public.patient_alerts "
                "where patient_id = $1 and state <> 'resolved'")

    for _ in range(bleeding.start + bleeding.ramp + 2):
        await sim.step()
    during = await db.fetchval(open_sql, patient)
    assert {"tachycardia", "hypotension", "news2"} <= set(during)
    assert await db.fetchval("select status from public.patient_status where patient_id = $1", patient) == "critical"

    while sim.plan.tick < bleeding.end + 3 + 2:
        await sim.step()
    assert await db.fetchval(open_sql, patient) is None
    resolved = await db.fetch(
        "select distinct kind from public.patient_alerts where patient_id = $1 and state = 'resolved' "
        "and resolved_at is not null", patient)
    assert set(during) <= {r["kind"] for r in resolved}
    assert await db.fetchval("select status from public.patient_status where patient_id = $1", patient) in (
        "stable", "watch")


async def test_restart_reuses_the_simulated_patients_and_the_database_keeps_one_alert_per_condition(
        sim_dsn, db, simulators):
    slug, _ = await make_tenant(sim_dsn)
    first = await simulators(6, slug, seed=4)
    for _ in range(8):
        await first.step()
    await first.stop()
    before = await open_kinds(db, first)
    assert before != {}

    again = await simulators(6, slug, seed=4, episode_rate=0.0)
    assert [p.id for p in again.patients] == [p.id for p in first.patients]
    for _ in range(12):  # the scenario starts over: the same conditions again never open a second alert
        await again.step()
        assert await open_duplicates(db, slug) == 0

    more = await simulators(8, slug, seed=4)
    assert [p.id for p in more.patients[:6]] == [p.id for p in first.patients]
    tenant = await db.fetchval("select id from public.tenants where slug = $1", slug)
    assert await db.fetchval("select count(*) from public.patients where tenant_id = $1", tenant) == 8
    assert await db.fetchval(
        "select count(*) from public.provider_assignments where tenant_id = $1", tenant) == 8 * 3
    await more.step()
    assert await db.fetchval("select count(*) from public.patient_status where tenant_id = $1", tenant) == 8


async def test_backfill_writes_history_through_the_rules_once(sim_dsn, db, simulators):
    slug, _ = await make_tenant(sim_dsn)
    clock = FakeClock()
    sim = await simulators(6, slug, seed=3, clock=clock, backfill=timedelta(hours=12),
                           backfill_chunk=timedelta(hours=1))
    ids = [p.id for p in sim.patients]
    assert sim.stats.backfilled == 6 * 12 * 12  # every 5 minutes for 12 hours
    span = await db.fetchrow(
        "select min(measured_at), max(measured_at), count(distinct measured_at) from public.vital_signs "
        "where patient_id = any($1::uuid[])", ids)
    assert span["max"] < clock.now and span["max"] - span["min"] == timedelta(hours=12) - timedelta(minutes=5)
    assert span["count"] == 12 * 12
    # The opening episodes happened in the past: alerts raised and resolved then, by the database.
    past = await db.fetch(
        "select raised_at, resolved_at from public.patient_alerts where patient_id = any($1::uuid[]) "
        "and state = 'resolved'", ids)
    assert past and all(span["min"] <= r["raised_at"] < r["resolved_at"] <= span["max"] for r in past)
    statuses = await db.fetch("select last_vitals_at from public.patient_status where patient_id = any($1::uuid[])",
                              ids)
    assert [s["last_vitals_at"] for s in statuses] == [span["max"]] * 6

    again = await simulators(6, slug, seed=3, backfill=timedelta(hours=12))
    assert again.stats.backfilled == 0  # they have history now
    assert await db.fetchval("select count(*) from public.vital_signs where patient_id = any($1::uuid[])",
                             ids) == 6 * 12 * 12


async def test_a_tick_for_two_hundred_patients_takes_well_under_the_interval(sim_dsn, simulators):
    slug, _ = await make_tenant(sim_dsn)
    sim = await simulators(200, slug, seed=9, interval=2.0)
    durations = []  # the database's rules included
    for _ in range(6):
        await sim.step()
        durations.append(sim.stats.last_tick_seconds)
    print(f"tick for 200 patients: max {max(durations) * 1000:.0f} ms, ticks {[round(d * 1000) for d in durations]}")
    assert sim.stats.vitals_written == 1200
    assert max(durations) < sim.interval / 4


async def test_start_ticks_on_the_interval_until_stopped(sim_dsn, simulators):
    slug, _ = await make_tenant(sim_dsn)
    sim = await simulators(4, slug, seed=1, interval=0.05, clock=lambda: datetime.now(UTC))
    await sim.start()
    assert sim.running
    async with asyncio.timeout(10):
        while sim.stats.ticks < 3:
            await asyncio.sleep(0.01)  # polling a condition, bounded by the timeout
    await sim.stop()
    ticks = sim.stats.ticks
    assert ticks >= 3 and sim.stats.errors == 0
    assert not sim.running
    assert sim.stats.ticks == ticks  # nothing runs after stop()


async def test_unknown_tenants_are_refused(sim_dsn):
    from tjv_sandbox.simulator import SimulatorError

    sim = PatientSimulator(sim_dsn, 2, tenant_slugs=["no-such-tenant"])
    with pytest.raises(SimulatorError):
        await sim.prepare()


async def test_demo_tenants_get_overlapping_panels_of_their_clinicians_and_coordinator(sim_dsn, db):
    sim = PatientSimulator(sim_dsn, 12, seed=1, clock=FakeClock())
    try:
        await sim.prepare()
        await sim.step()
    finally:
        await sim.stop()
    rows = await db.fetch(
        """select p.mrn, t.slug, array_agg(pr.email order by pr.email) as team
           from public.patients p join public.tenants t on t.id = p.tenant_id
           join public.provider_assignments a on a.patient_id = p.id
           join public.providers pr on pr.id = a.provider_id
           where p.mrn like 'SIM-%' and t.slug in ('riverside', 'lakeside') group by 1, 2 order by 1""")
    assert [r["mrn"] for r in rows] == [f"SIM-{i:04d}" for i in range(1, 13)]
    assert {r["slug"] for r in rows[0::2]} == {"riverside"} and {r["slug"] for r in rows[1::2]} == {"lakeside"}
    for r in rows:
        clinicians = [e for e in r["team"] if not e.startswith("coordinator@")]
        assert len(clinicians) == 2 and f"coordinator@{r['slug']}.tjv.test" in r["team"]
    nurse_panel = [r["mrn"] for r in rows if "nurse@riverside.tjv.test" in r["team"]]
    surgeon_panel = [r["mrn"] for r in rows if "surgeon@riverside.tjv.test" in r["team"]]
    assert set(nurse_panel) & set(surgeon_panel) and set(nurse_panel) != set(surgeon_panel)
