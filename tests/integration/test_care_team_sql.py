"""The care team's database rules (migration 20261206005000): replies only from assigned clinicians, once
per action id, at most 8 KB; delivery/read marks that only move forward; the tenant's quick replies;
workstation heartbeats; per-minute tenant metrics by the real pg_cron job and the coordinators' low
alert when a limit is crossed; the audit of handoff exports. Real PostgreSQL, as the API roles."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import timedelta

import asyncpg
import pytest


async def as_user(db: asyncpg.Connection, user, query: str, *args, fetch: str = "fetch"):
    """Runs ``query`` as the authenticated user ``user`` (claims as PostgREST sets them), in a transaction."""
    async with db.transaction():
        await db.execute("select set_config('request.jwt.claims', $1, true)",
                         json.dumps({"sub": str(user), "role": "authenticated"}))
        await db.execute("set local role authenticated")
        return await getattr(db, fetch)(query, *args)


async def make_ward(db: asyncpg.Connection, **tenant) -> dict:
    slug = f"care-{uuid.uuid4().hex[:10]}"
    columns = ", ".join(["name", "slug", *tenant])
    values = ", ".join(f"${i}" for i in range(2, len(tenant) + 3))
    ward = {"tenant": await db.fetchval(f"insert into tenants ({columns}) values ($1, {values}) returning id",
                                        slug, slug, *tenant.values())}
    for name, role in [("nurse", "clinician"), ("surgeon", "clinician"), ("coordinator", "coordinator")]:
        user = await db.fetchval("insert into auth.users (id, email) values (gen_random_uuid(), $1) returning id",
                                 f"{name}@{slug}.test")
        ward[name] = await db.fetchval(
            "insert into providers (tenant_id, user_id, full_name, role) values ($1, $2, $3, $4) returning id",
            ward["tenant"], user, name, role)
        ward[f"{name}_user"] = user
    patient_user = await db.fetchval("insert into auth.users (id, email) values (gen_random_uuid(), $1) returning id",
                                     f"patient@{slug}.test")
    ward["patient_user"] = patient_user
    ward["patient"] = await db.fetchval(
        "insert into patients (tenant_id, full_name, user_id) values ($1, 'P', $2) returning id",
        ward["tenant"], patient_user)
    ward["other_patient"] = await db.fetchval(
        "insert into patients (tenant_id, full_name) values ($1, 'Q') returning id", ward["tenant"])
    await db.execute("insert into provider_assignments (tenant_id, provider_id, patient_id) values ($1, $2, $3)",
                     ward["tenant"], ward["nurse"], ward["patient"])
    await db.execute("insert into provider_assignments (tenant_id, provider_id, patient_id) values ($1, $2, $3)",
                     ward["tenant"], ward["surgeon"], ward["other_patient"])
    return ward


@pytest.fixture
async def db(pg_cluster):
    connection = await asyncpg.connect(pg_cluster.dsn())
    try:
        yield connection
    finally:
        await connection.close()


async def test_an_assigned_clinician_replies_once_per_action_id_and_others_are_refused(db):
    ward = await make_ward(db)
    action = uuid.uuid4()
    send = "select * from send_message($1, $2, $3)"
    first = await as_user(db, ward["nurse_user"], send, ward["patient"], "Keep the leg raised.", action,
                          fetch="fetchrow")
    again = await as_user(db, ward["nurse_user"], send, ward["patient"], "Keep the leg raised.", action,
                          fetch="fetchrow")
    assert first["id"] == again["id"]
    assert (first["sender_role"], first["provider_id"], first["action_id"]) == ("provider", ward["nurse"], action)
    assert await db.fetchval("select count(*) from messages where action_id = $1", action) == 1
    audit = await db.fetch("select * from audit_log where action = 'message.send' and action_id = $1", action)
    assert len(audit) == 1 and audit[0]["patient_id"] == ward["patient"]

    # Not assigned (the surgeon sees only the other patient), a coordinator of the tenant, a patient.
    for user in ("surgeon_user", "coordinator_user", "patient_user"):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await as_user(db, ward[user], send, ward["patient"], "hello", uuid.uuid4())
    with pytest.raises(asyncpg.InvalidParameterValueError, match="8192"):
        await as_user(db, ward["nurse_user"], send, ward["patient"], "x" * 8193, uuid.uuid4())
    with pytest.raises(asyncpg.InvalidParameterValueError, match="already used"):
        await as_user(db, ward["surgeon_user"], send, ward["other_patient"], "hi", action)
    assert await db.fetchval("select count(*) from messages where patient_id = $1", ward["patient"]) == 1


async def test_the_patient_marks_a_reply_delivered_then_read_and_marks_never_go_back(db):
    ward = await make_ward(db)
    message = await as_user(db, ward["nurse_user"], "select * from send_message($1, 'Call us', $2)",
                            ward["patient"], uuid.uuid4(), fetch="fetchrow")
    mark = "update messages set {} = now() where id = $1 returning delivered_at, read_at"
    delivered = await as_user(db, ward["patient_user"], mark.format("delivered_at"), message["id"], fetch="fetchrow")
    assert delivered["delivered_at"] is not None and delivered["read_at"] is None
    read = await as_user(db, ward["patient_user"], mark.format("read_at"), message["id"], fetch="fetchrow")
    assert read["read_at"] is not None and read["delivered_at"] == delivered["delivered_at"]
    cleared = await as_user(db, ward["patient_user"],
                            "update messages set read_at = null, delivered_at = null where id = $1 "
                            "returning delivered_at, read_at", message["id"], fetch="fetchrow")
    assert (cleared["delivered_at"], cleared["read_at"]) == (delivered["delivered_at"], read["read_at"])
    # The sender cannot mark their own reply read (the recipients' policy): no row changes.
    assert await as_user(db, ward["surgeon_user"], mark.format("read_at"), message["id"]) == []
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_user(db, ward["patient_user"], "update messages set body = 'x' where id = $1", message["id"])


async def test_quick_replies_are_read_by_the_tenant_and_written_by_its_coordinators(db):
    ward = await make_ward(db)
    other = await make_ward(db)
    insert = "insert into quick_replies (tenant_id, label, body, position) values ($1, $2, $3, $4) returning id"
    await as_user(db, ward["coordinator_user"], insert, ward["tenant"], "Ice", "Ice the knee 20 min.", 1)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_user(db, ward["nurse_user"], insert, ward["tenant"], "Mine", "x", 2)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_user(db, other["coordinator_user"], insert, ward["tenant"], "Theirs", "x", 3)
    read = "select label from quick_replies order by position"
    assert [r["label"] for r in await as_user(db, ward["nurse_user"], read)] == ["Ice"]
    assert await as_user(db, other["nurse_user"], read) == []


async def test_heartbeats_metrics_and_a_crossed_limit_alert_the_coordinators_once(db):
    # No vitals at all: both patients are stale, over a limit of 1.
    ward = await make_ward(db, metrics_stale_patients_limit=1)
    await as_user(db, ward["nurse_user"], "select workstation_heartbeat('WS-1', false)", fetch="fetchval")
    await as_user(db, ward["surgeon_user"], "select workstation_heartbeat('WS-2', true)", fetch="fetchval")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_user(db, ward["nurse_user"],
                      "insert into workstation_heartbeats (provider_id, workstation, tenant_id) values ($1, 'x', $2)",
                      ward["nurse"], ward["tenant"])
    # An alert acknowledged after 20 minutes: p90 of 1200 s, over the default 10-minute limit.
    await db.execute("insert into vital_signs (patient_id, measured_at, spo2) values ($1, now(), 85)", ward["patient"])
    alert = await db.fetchrow("select * from patient_alerts where patient_id = $1 and kind = 'hypoxia'", ward["patient"])
    await db.execute("update patient_alerts set raised_at = now() - interval '20 minutes', "
                     "acknowledged_at = now(), state = 'acknowledged' where id = $1", alert["id"])

    at = await db.fetchval("select now() + interval '1 second'")
    await db.fetchval("select private.record_tenant_metrics($1)", at)
    rows = {r["metric"]: r["value"] for r in await db.fetch(
        "select metric, value from system_metrics where tenant_id = $1 and recorded_at = $2", ward["tenant"], at)}
    assert rows["stations_online"] == 2
    assert rows["stale_patients"] == 1  # the patient with a vital sign now is not stale
    assert rows["alerts_raised"] == 1
    assert rows["ack_p90_s"] == pytest.approx(1200, abs=5)

    tenant_alerts = await db.fetch("select * from patient_alerts where tenant_id = $1 and patient_id is null",
                                   ward["tenant"])
    assert {(a["kind"], a["priority"], a["provider_id"]) for a in tenant_alerts} == {
        ("tenant.ack_p90", "low", ward["coordinator"])}
    # Once while it lasts: a second run raises nothing new; back within the limit resolves it.
    await db.fetchval("select private.record_tenant_metrics($1)", at + timedelta(minutes=1))
    assert await db.fetchval("select count(*) from patient_alerts where tenant_id = $1 and patient_id is null",
                             ward["tenant"]) == 1
    await db.execute("update tenants set metrics_ack_p90_limit = interval '1 hour' where id = $1", ward["tenant"])
    await db.fetchval("select private.record_tenant_metrics($1)", at + timedelta(minutes=2))
    assert await db.fetchval("select state from patient_alerts where id = $1", tenant_alerts[0]["id"]) == "resolved"

    # The coordinator reads the tenant's buckets; another tenant's provider reads none of them.
    buckets = await as_user(db, ward["coordinator_user"],
                            "select * from tenant_metrics(now() - interval '1 hour', interval '1 hour')")
    assert {b["metric"] for b in buckets} >= {"stale_patients", "ack_p90_s", "stations_online"}
    other = await make_ward(db)
    theirs = await as_user(db, other["nurse_user"], "select * from tenant_metrics(now() - interval '1 hour')")
    mine = {b["metric"]: b["max_value"] for b in buckets}
    assert mine["stations_online"] == 2
    assert all(b["max_value"] in (0, None) for b in theirs if b["metric"] == "stations_online")


async def test_the_stale_limit_alert_comes_from_the_real_cron_job(db):
    job = await db.fetchrow("select schedule, active from cron.job where jobname = 'tjv-tenant-metrics'")
    assert (job["schedule"], job["active"]) == ("* * * * *", True)
    ward = await make_ward(db, metrics_stale_patients_limit=1)
    await db.execute("insert into provider_assignments (tenant_id, provider_id, patient_id) values ($1, $2, $3)",
                     ward["tenant"], ward["nurse"], ward["other_patient"])
    deadline = time.monotonic() + 75
    while True:  # the job runs at the start of each minute: poll the database, bounded by the deadline
        alert = await db.fetchrow("select * from patient_alerts where tenant_id = $1 and kind = 'tenant.stale_patients'",
                                  ward["tenant"])
        if alert is not None or time.monotonic() > deadline:
            break
        await asyncio.sleep(1)
    assert alert is not None, "no stale-patients alert within 75 s"
    assert (alert["priority"], alert["provider_id"], alert["patient_id"]) == ("low", ward["coordinator"], None)
    assert "2 patients" in alert["message"]
    feed = await db.fetchval("select seq from private.feed_topics where topic = $1", f"tenant:{ward['tenant']}")
    assert feed and feed > 0  # the metrics rows went out on the tenant's topic


async def test_a_handoff_export_is_audited_per_patient_and_refused_for_a_patient_not_seen(db):
    ward = await make_ward(db)
    action = uuid.uuid4()
    count = await as_user(db, ward["nurse_user"], "select audit_handoff_export($1, 'es', $2)",
                          [ward["patient"]], action, fetch="fetchval")
    assert count == 1
    audit = await db.fetch("select * from audit_log where action = 'handoff.export' and action_id = $1", action)
    assert [(a["patient_id"], a["actor_provider_id"]) for a in audit] == [(ward["patient"], ward["nurse"])]
    assert json.loads(audit[0]["details"])["language"] == "es"
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_user(db, ward["nurse_user"], "select audit_handoff_export($1, 'en', $2)",
                      [ward["patient"], ward["other_patient"]], uuid.uuid4())


async def test_care_team_of_names_the_colleagues_of_patients_the_caller_sees_only(db):
    ward = await make_ward(db)
    await db.execute("insert into provider_assignments (tenant_id, provider_id, patient_id) values ($1, $2, $3)",
                     ward["tenant"], ward["surgeon"], ward["patient"])
    query = "select patient_id, provider_id from care_team_of($1)"
    rows = await as_user(db, ward["nurse_user"], query, [ward["patient"], ward["other_patient"]])
    # The nurse sees patient P (her and the surgeon), not Q (the surgeon's only).
    assert {(r["patient_id"], r["provider_id"]) for r in rows} == {
        (ward["patient"], ward["nurse"]), (ward["patient"], ward["surgeon"])}
    # Her own assignment rows are still all she reads from the table itself.
    assert {r["provider_id"] for r in await as_user(db, ward["nurse_user"], "select provider_id from provider_assignments")} \
        == {ward["nurse"]}
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_user(db, ward["patient_user"], query, [ward["patient"]])
