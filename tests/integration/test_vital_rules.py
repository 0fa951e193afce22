"""The database's clinical rules (migration 20261206001000): every vital_signs insert is scored and judged
by a statement-level trigger that sets patient_status and raises, raises the priority of and resolves
alerts. Each test works in a tenant of its own, in a database of its own in the session cluster."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import asyncpg
import pytest

from tests.support.sandbox import fresh_database

NORMAL = {"heart_rate": 72, "spo2": 97, "respiratory_rate": 16, "temperature": 36.8, "systolic_bp": 124,
          "consciousness": "A"}
COLUMNS = ("heart_rate", "spo2", "respiratory_rate", "temperature", "systolic_bp", "consciousness", "on_oxygen")


@pytest.fixture(scope="module")
def rules_dsn(pg_cluster):
    with fresh_database(pg_cluster, "tjv_vital_rules_tests") as dsn:
        yield dsn


@pytest.fixture
async def db(rules_dsn):
    conn = await asyncpg.connect(rules_dsn)
    yield conn
    await conn.close()


class Ward:
    """A tenant with a nurse, a physio and a coordinator, and patients assigned to the two clinicians."""

    def __init__(self, db: asyncpg.Connection, tenant: uuid.UUID, staff: dict[str, uuid.UUID]):
        self.db, self.tenant, self.staff = db, tenant, staff

    @classmethod
    async def create(cls, db: asyncpg.Connection) -> Ward:
        slug = f"rules-{uuid.uuid4().hex[:10]}"
        tenant = await db.fetchval("insert into tenants (name, slug) values ($1, $1) returning id", slug)
        staff = {}
        for name, role in [("nurse", "clinician"), ("physio", "clinician"), ("coordinator", "coordinator")]:
            staff[name] = await db.fetchval(
                "insert into providers (tenant_id, full_name, role) values ($1, $2, $3) returning id",
                tenant, name, role)
        return cls(db, tenant, staff)

    async def patient(self, assigned: tuple[str, ...] = ("nurse", "physio")) -> uuid.UUID:
        pid = await self.db.fetchval("insert into patients (tenant_id, full_name) values ($1, 'P') returning id",
                                     self.tenant)
        for name in assigned:
            await self.db.execute("insert into provider_assignments (tenant_id, provider_id, patient_id) "
                                  "values ($1, $2, $3)", self.tenant, self.staff[name], pid)
        return pid

    async def vitals(self, rows: list[tuple[uuid.UUID, datetime, dict]]) -> None:
        """One INSERT statement carrying every row (as a gateway sends a batch)."""
        full = [(p, at, {**NORMAL, "on_oxygen": False, **values}) for p, at, values in rows]
        await self.db.execute(
            """insert into vital_signs (patient_id, measured_at, heart_rate, spo2, respiratory_rate, temperature,
                                        systolic_bp, consciousness, on_oxygen)
               select * from unnest($1::uuid[], $2::timestamptz[], $3::int[], $4::int[], $5::int[],
                                    $6::numeric[], $7::int[], $8::text[], $9::bool[])""",
            [p for p, _, _ in full], [at for _, at, _ in full],
            *[[v[c] for _, _, v in full] for c in COLUMNS])

    async def now(self) -> datetime:
        return await self.db.fetchval("select now()")

    async def alerts(self, patient: uuid.UUID, *, open_only: bool = True) -> list[asyncpg.Record]:
        return await self.db.fetch(
            "select * from patient_alerts where patient_id = $1 and ($2 = false or state <> 'resolved') "
            "order by kind, provider_id", patient, open_only)

    async def status(self, patient: uuid.UUID) -> asyncpg.Record:
        return await self.db.fetchrow("select * from patient_status where patient_id = $1", patient)


async def test_spo2_85_raises_one_high_hypoxia_alert_per_assigned_clinician_and_sets_status(db):
    ward = await Ward.create(db)
    patient = await ward.patient()
    now = await ward.now()
    await ward.vitals([(patient, now, {"spo2": 85})])
    alerts = await ward.alerts(patient)
    hypoxia = [a for a in alerts if a["kind"] == "hypoxia"]
    assert {a["provider_id"] for a in hypoxia} == {ward.staff["nurse"], ward.staff["physio"]}
    assert {(a["priority"], a["state"], a["message"]) for a in hypoxia} == {
        ("high", "active", "SpO2 85 % (limit 92 %)")}
    assert len({a["event_id"] for a in hypoxia}) == 1
    news2 = [a for a in alerts if a["kind"] == "news2"]
    assert {a["message"] for a in news2} == {
        "NEWS2 single-parameter score 3 points (limit 2 points): SpO2 85 %"}
    status = await ward.status(patient)
    assert (status["status"], status["news2_score"], status["news2_risk"]) == ("deteriorating", 3, "low-medium")
    assert status["provider_id"] in (ward.staff["nurse"], ward.staff["physio"])
    audit = await db.fetch("select action, details from audit_log where patient_id = $1", patient)
    assert sorted(a["action"] for a in audit) == ["alert.raise", "alert.raise"]


async def test_the_same_condition_does_not_raise_again_while_open_but_a_worse_one_raises_its_priority(db):
    ward = await Ward.create(db)
    patient = await ward.patient()
    now = await ward.now()
    for i in range(20):  # a storm of separate statements with the same condition
        await ward.vitals([(patient, now + timedelta(seconds=i), {"spo2": 93})])
    first = [a for a in await ward.alerts(patient) if a["kind"] == "hypoxia"]
    assert len(first) == 2 and {a["priority"] for a in first} == {"medium"}
    await db.execute("update patient_alerts set state = 'acknowledged' where id = $1", first[0]["id"])

    await ward.vitals([(patient, now + timedelta(seconds=30), {"spo2": 88})])
    worse = [a for a in await ward.alerts(patient) if a["kind"] == "hypoxia"]
    assert {a["id"] for a in worse} == {a["id"] for a in first}  # the same alert, not a new one
    assert {(a["priority"], a["state"]) for a in worse} == {("high", "active")}  # annunciated again
    assert {a["message"] for a in worse} == {"SpO2 88 % (limit 92 %)"}
    actions = await db.fetch("select action from audit_log where patient_id = $1 and details->>'kind' = 'hypoxia'",
                             patient)
    assert sorted(a["action"] for a in actions) == ["alert.escalate", "alert.raise"]


async def test_a_statement_with_many_rows_is_judged_per_patient_in_time_order(db):
    ward = await Ward.create(db)
    patients = [await ward.patient() for _ in range(40)]
    now = await ward.now()
    rows = []
    for i, p in enumerate(patients):
        for k in range(5):  # five samples a minute apart; the odd patients bleed in the middle ones
            bleeding = i % 2 == 1 and k in (1, 2, 3)
            rows.append((p, now - timedelta(minutes=5 - k), {"heart_rate": 140 if bleeding else 75}))
    await ward.vitals(rows)
    assert len(rows) == 200
    for i, p in enumerate(patients):
        kinds = {(a["kind"], a["priority"]) for a in await ward.alerts(p)}
        if i % 2:
            # raised, and still open: the condition has not been absent for the clearing time (2 min)
            assert ("tachycardia", "high") in kinds
            events = await db.fetchval("select count(distinct event_id) from patient_alerts where patient_id = $1 "
                                       "and kind = 'tachycardia'", p)
            assert events == 1
        else:
            assert kinds == set()
        status = await ward.status(p)
        assert status["last_vitals_at"] == now - timedelta(minutes=1)  # the newest sample decides
        assert status["news2_score"] == 0


async def test_an_alert_resolves_once_its_condition_was_absent_for_the_clearing_time(db):
    ward = await Ward.create(db)
    await db.execute("update tenants set alert_clear_after = interval '10 minutes' where id = $1", ward.tenant)
    patient = await ward.patient()
    now = await ward.now()
    at = lambda minutes_ago: now - timedelta(minutes=minutes_ago)  # noqa: E731
    await ward.vitals([(patient, at(40), {"temperature": 38.6})])
    assert {a["kind"] for a in await ward.alerts(patient)} == {"fever"}
    await ward.vitals([(patient, at(30), {})])  # absent since 30 min ago
    await ward.vitals([(patient, at(25), {"temperature": None})])  # not measured: judges nothing
    await ward.vitals([(patient, at(22), {})])  # absent for 8 min only
    assert {a["kind"] for a in await ward.alerts(patient)} == {"fever"}
    await ward.vitals([(patient, at(19), {})])  # 11 min
    assert await ward.alerts(patient) == []
    resolved = await ward.alerts(patient, open_only=False)
    assert {(a["state"], a["resolved_at"], a["raised_at"]) for a in resolved} == {("resolved", at(19), at(40))}
    # A fever coming back is a new alert.
    await ward.vitals([(patient, at(5), {"temperature": 38.4})])
    assert len({a["event_id"] for a in await ward.alerts(patient, open_only=False)}) == 2


async def test_a_fever_returning_within_the_clearing_time_keeps_the_same_alert(db):
    ward = await Ward.create(db)
    patient = await ward.patient()
    now = await ward.now()
    await ward.vitals([(patient, now - timedelta(minutes=3), {"temperature": 38.6}),
                       (patient, now - timedelta(minutes=2), {}),
                       (patient, now - timedelta(seconds=70), {"temperature": 38.5}),
                       (patient, now, {})])
    alerts = await ward.alerts(patient, open_only=False)
    assert {(a["kind"], a["state"]) for a in alerts} == {("fever", "active")}
    assert len({a["event_id"] for a in alerts}) == 1


async def test_a_care_plans_own_limits_and_scale_2_replace_the_tenants_for_that_patient_only(db):
    ward = await Ward.create(db)
    copd, other = await ward.patient(), await ward.patient()
    plan = await db.fetchval(
        "insert into care_plans (patient_id, tenant_id, title, spo2_scale) values ($1, $2, 'COPD', 2) returning id",
        copd, ward.tenant)
    await db.executemany(
        "insert into patient_alert_limits (care_plan_id, kind, priority, measure, limit_value) "
        "values ($1, 'hypoxia', $2, 'spo2', $3)", [(plan, "medium", 88), (plan, "high", 86)])
    limits = await db.fetch("select patient_id, tenant_id from patient_alert_limits where care_plan_id = $1", plan)
    assert {(r["patient_id"], r["tenant_id"]) for r in limits} == {(copd, ward.tenant)}  # derived from the plan

    now = await ward.now()
    await ward.vitals([(copd, now, {"spo2": 89}), (other, now, {"spo2": 89})])
    assert await ward.alerts(copd) == []  # 89 % is within this patient's target range (scale 2: scores 0)
    assert (await ward.status(copd))["news2_score"] == 0
    assert {(a["kind"], a["priority"]) for a in await ward.alerts(other)} == {("hypoxia", "high"), ("news2", "medium")}
    assert (await ward.status(other))["news2_score"] == 3

    await ward.vitals([(copd, now + timedelta(seconds=1), {"spo2": 85})])
    hypoxia = [a for a in await ward.alerts(copd) if a["kind"] == "hypoxia"]
    assert {(a["priority"], a["limit_value"]) for a in hypoxia} == {("high", 86)}

    # Scale 2 on oxygen: 97 % scores 3 (over-oxygenation), so NEWS2's single-parameter rule fires.
    await ward.vitals([(copd, now + timedelta(seconds=2), {"spo2": 97, "on_oxygen": True})])
    status = await ward.status(copd)
    assert status["news2_score"] == 3 + 2
    assert any(a["kind"] == "news2" for a in await ward.alerts(copd))

    # A completed plan no longer applies: the tenant's rules and scale 1 are back.
    await db.execute("update care_plans set status = 'completed' where id = $1", plan)
    await ward.vitals([(copd, now + timedelta(seconds=3), {"spo2": 97, "on_oxygen": True})])
    assert (await ward.status(copd))["news2_score"] == 0 + 2
    changes = await db.fetch("select action from audit_log where tenant_id = $1 and entity = 'patient_alert_limits'",
                             ward.tenant)
    assert [c["action"] for c in changes] == ["patient_alert_limits.insert"] * 2


async def test_a_patient_nobody_is_assigned_to_alerts_the_coordinators(db):
    ward = await Ward.create(db)
    patient = await ward.patient(assigned=())
    await ward.vitals([(patient, await ward.now(), {"systolic_bp": 85})])
    assert {a["provider_id"] for a in await ward.alerts(patient)} == {ward.staff["coordinator"]}


async def test_a_late_sample_does_not_overwrite_a_newer_status(db):
    ward = await Ward.create(db)
    patient = await ward.patient()
    now = await ward.now()
    await ward.vitals([(patient, now, {})])
    await ward.vitals([(patient, now - timedelta(hours=1), {"heart_rate": 135, "systolic_bp": 88})])
    status = await ward.status(patient)
    assert (status["status"], status["last_vitals_at"]) == ("stable", now)
    assert {a["kind"] for a in await ward.alerts(patient)} == {"tachycardia", "hypotension", "news2"}


async def test_tenant_rules_are_data_new_tenants_get_the_defaults(db):
    ward = await Ward.create(db)
    rules = await db.fetch("select kind, priority, measure, direction, limit_value from alert_rules "
                           "where tenant_id = $1", ward.tenant)
    assert len(rules) == 15
    patient = await ward.patient()
    await db.execute("update alert_rules set limit_value = 100 where tenant_id = $1 and kind = 'tachycardia' "
                     "and priority = 'medium'", ward.tenant)
    await ward.vitals([(patient, await ward.now(), {"heart_rate": 105})])
    assert {(a["kind"], a["priority"], a["limit_value"]) for a in await ward.alerts(patient)} == {
        ("tachycardia", "medium", 100)}
