"""Escalation of unanswered alerts by the real pg_cron job the migrations schedule (every minute), on a
cluster of its own started as the sandbox starts it (pg_cron preloaded), with a 5-second tenant delay."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
import uuid

import asyncpg
import pytest

from tests.support.sandbox import make_data_root
from tjv_sandbox.database import prepare_database
from tjv_sandbox.postgres import PostgresCluster

DELAY = 5.0


@pytest.fixture(scope="module")
def cron_dsn():
    root = make_data_root("tjv-cron-")
    cluster = PostgresCluster(root / "db")
    info = cluster.start()
    try:
        asyncio.run(prepare_database(info.dsn()))
        yield info.dsn()
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


async def make_ward(db: asyncpg.Connection) -> dict:
    slug = f"esc-{uuid.uuid4().hex[:10]}"
    tenant = await db.fetchval(
        "insert into tenants (name, slug, alert_escalation_after) values ($1, $1, make_interval(secs => $2)) "
        "returning id", slug, DELAY)
    ward = {"tenant": tenant}
    for name, role in [("nurse", "clinician"), ("physio", "clinician"), ("coordinator", "coordinator")]:
        user = await db.fetchval("insert into auth.users (id, email) values (gen_random_uuid(), $1) returning id",
                                 f"{name}@{slug}.test")
        ward[name] = await db.fetchval(
            "insert into providers (tenant_id, user_id, full_name, role) values ($1, $2, $3, $4) returning id",
            tenant, user, name, role)
        ward[f"{name}_user"] = user
    return ward


async def patient_with_hypoxia(db: asyncpg.Connection, ward: dict) -> asyncpg.Record:
    """A patient assigned to the nurse only, whose SpO2 of 85 % raised a high hypoxia alert."""
    patient = await db.fetchval("insert into patients (tenant_id, full_name) values ($1, 'P') returning id",
                                ward["tenant"])
    await db.execute("insert into provider_assignments (tenant_id, provider_id, patient_id) values ($1, $2, $3)",
                     ward["tenant"], ward["nurse"], patient)
    await db.execute("insert into vital_signs (patient_id, measured_at, spo2) values ($1, now(), 85)", patient)
    return await db.fetchrow("select * from patient_alerts where patient_id = $1 and kind = 'hypoxia'", patient)


async def acknowledge_as(db: asyncpg.Connection, user: uuid.UUID, alert_id: uuid.UUID) -> None:
    async with db.transaction():
        await db.execute("select set_config('request.jwt.claims', $1, true)",
                         json.dumps({"sub": str(user), "role": "authenticated"}))
        await db.execute("set local role authenticated")
        await db.fetchrow("select * from acknowledge_alert($1, gen_random_uuid())", alert_id)


async def wait_for(db: asyncpg.Connection, query: str, *args, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        value = await db.fetchval(query, *args)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout:.0f} s: {query}")
        await asyncio.sleep(0.5)  # polling the database for the condition, bounded by the deadline


async def test_unanswered_alert_is_escalated_by_the_cron_job_and_an_acknowledged_one_is_not(cron_dsn):
    db = await asyncpg.connect(cron_dsn)
    try:
        job = await db.fetchrow("select schedule, command, active from cron.job "
                                "where jobname = 'tjv-escalate-unanswered-alerts'")
        assert (job["schedule"], job["active"]) == ("* * * * *", True)
        ward = await make_ward(db)
        ignored = await patient_with_hypoxia(db, ward)
        answered = await patient_with_hypoxia(db, ward)
        # A second clinician assigned after the alert was raised holds no copy yet.
        await db.execute("insert into provider_assignments (tenant_id, provider_id, patient_id) values ($1, $2, $3)",
                         ward["tenant"], ward["physio"], ignored["patient_id"])
        await acknowledge_as(db, ward["nurse_user"], answered["id"])
        raised = time.monotonic()

        escalated_at = await wait_for(db, "select escalated_at from patient_alerts where id = $1", ignored["id"],
                                      timeout=DELAY + 60 + 10)
        waited = time.monotonic() - raised
        assert DELAY <= waited <= DELAY + 60 + 10
        original = await db.fetchrow("select * from patient_alerts where id = $1", ignored["id"])
        assert set(original["escalated_to"]) == {ward["coordinator"], ward["physio"]}
        assert original["state"] == "active" and original["escalated_at"] == escalated_at
        copies = await db.fetch("select * from patient_alerts where escalated_from = $1", ignored["id"])
        assert {c["provider_id"] for c in copies} == {ward["coordinator"], ward["physio"]}
        assert all(c["event_id"] == ignored["event_id"] and c["priority"] == "high" and c["state"] == "active"
                   and c["message"] == ignored["message"] for c in copies)
        audit = await db.fetch("select details from audit_log where action = 'alert.escalate_unanswered' "
                               "and entity_id = $1", str(ignored["event_id"]))
        assert len(audit) == 1
        assert set(json.loads(audit[0]["details"])["escalated_to"]) == {str(ward["coordinator"]), str(ward["physio"])}

        # The same job run found the acknowledged alert overdue too, and left it alone.
        run = await db.fetchval(
            """select max(end_time) from cron.job_run_details d join cron.job j using (jobid)
               where j.jobname = 'tjv-escalate-unanswered-alerts' and d.status = 'succeeded'
                 and d.start_time >= $1::timestamptz + make_interval(secs => $2)""", answered["created_at"], DELAY)
        assert run is not None
        kept = await db.fetchrow("select state, escalated_at from patient_alerts where id = $1", answered["id"])
        assert (kept["state"], kept["escalated_at"]) == ("acknowledged", None)
        assert await db.fetchval("select count(*) from patient_alerts where event_id = $1",
                                 answered["event_id"]) == 1

        # Running it again escalates nothing twice.
        assert await db.fetchval("select private.escalate_unanswered_alerts()") == 0
        assert await db.fetchval("select count(*) from patient_alerts where escalated_from = $1", ignored["id"]) == 2
    finally:
        await db.close()


async def test_two_concurrent_runs_escalate_an_overdue_alert_once(cron_dsn):
    db = await asyncpg.connect(cron_dsn)
    others = [await asyncpg.connect(cron_dsn) for _ in range(2)]
    try:
        ward = await make_ward(db)
        alert = await patient_with_hypoxia(db, ward)
        # Age the alert by an hour. The database owns row times (stamp_row_times keeps created_at on
        # update), so the test steps around its triggers for this one statement, as only a superuser can.
        async with db.transaction():
            await db.execute("set local session_replication_role = replica")
            await db.execute("update patient_alerts set created_at = now() - interval '1 hour' where id = $1",
                             alert["id"])
        assert await db.fetchval("select created_at < now() - interval '59 minutes' from patient_alerts "
                                 "where id = $1", alert["id"]), "the alert really is an hour old"
        counts = await asyncio.gather(*(c.fetchval("select private.escalate_unanswered_alerts()") for c in others))
        assert sum(counts) <= 1  # the cron job may have taken it first; never both
        copies = await db.fetch("select provider_id from patient_alerts where escalated_from = $1", alert["id"])
        assert [c["provider_id"] for c in copies] == [ward["coordinator"]]
        assert await db.fetchval("select count(*) from audit_log where action = 'alert.escalate_unanswered' "
                                 "and entity_id = $1", str(alert["event_id"])) == 1
    finally:
        for c in [db, *others]:
            await c.close()
