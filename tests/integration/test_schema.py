"""The database schema (supabase/migrations + seed.sql) on the sandbox's PostgreSQL: who sees what
through RLS, the alert commands, the append-only audit log and the realtime channel policies.

Every test that writes works inside a transaction it rolls back, so the shared cluster keeps the seed.
"""

from __future__ import annotations

import json
import uuid
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest

from tests.support.sandbox import fresh_database

SUPABASE = Path(__file__).resolve().parents[2] / "supabase"

TABLES = {
    "tenants", "providers", "patients", "provider_assignments", "vital_signs", "patient_alerts",
    "patient_status", "messages", "care_plans", "system_metrics", "collaboration_sessions", "audit_log",
    "alert_actions", "alert_rules", "patient_alert_limits", "quick_replies", "workstation_heartbeats",
}
PUBLISHED = {
    "patient_alerts", "patient_status", "vital_signs", "messages", "care_plans", "system_metrics",
    "collaboration_sessions",
}
RIVERSIDE, LAKESIDE = 1, 2
NURSE, SURGEON, PHYSIO, COORDINATOR = 1, 2, 3, 4


def tenant_id(t: int) -> uuid.UUID:
    return uuid.UUID(f"10000000-0000-4000-8000-00000000000{t}")


def provider_user(t: int, slot: int) -> uuid.UUID:
    return uuid.UUID(f"a0000000-0000-4000-8000-00000000{t}0{slot:02d}")


def provider_id(t: int, slot: int) -> uuid.UUID:
    return uuid.UUID(f"b0000000-0000-4000-8000-00000000{t}0{slot:02d}")


def patient_id(t: int, n: int) -> uuid.UUID:
    return uuid.UUID(f"c0000000-0000-4000-8000-00000000{t}0{n:02d}")


def patient_user(t: int, n: int) -> uuid.UUID:
    return uuid.UUID(f"d0000000-0000-4000-8000-00000000{t}0{n:02d}")


def session_id(t: int) -> uuid.UUID:
    return uuid.UUID(f"5e550000-0000-4000-8000-00000000{t}001")


@pytest.fixture(scope="module")
def schema_dsn(pg_cluster):
    # A database of its own: these tests count every table and row, which other tests must not disturb.
    with fresh_database(pg_cluster, "tjv_schema_tests") as dsn:
        yield dsn


@pytest.fixture
async def db(schema_dsn):
    conn = await asyncpg.connect(schema_dsn)
    try:
        yield conn
    finally:
        await conn.close()


async def act_as(conn: asyncpg.Connection, user: uuid.UUID | None, role: str = "authenticated") -> None:
    """Inside a transaction: continue as an API role with these JWT claims (as PostgREST does)."""
    claims = {"role": role} | ({"sub": str(user)} if user else {})
    await conn.execute("reset role")
    await conn.execute(f"set local role {role}")
    await conn.execute("select set_config('request.jwt.claims', $1, true)", json.dumps(claims))


@asynccontextmanager
async def rolled_back(conn: asyncpg.Connection):
    tx = conn.transaction()
    await tx.start()
    try:
        yield conn
    finally:
        await tx.rollback()


async def error_of(conn: asyncpg.Connection, sql: str, *args) -> asyncpg.PostgresError:
    """Runs ``sql`` in a savepoint and returns the error it must raise."""
    try:
        async with conn.transaction():
            await conn.execute(sql, *args)
    except asyncpg.PostgresError as exc:
        return exc
    raise AssertionError(f"expected an error from: {sql}")


async def ids(conn: asyncpg.Connection, sql: str, *args) -> set:
    return {r[0] for r in await conn.fetch(sql, *args)}


async def public_tables(conn: asyncpg.Connection) -> list[str]:
    return [
        r["relname"]
        for r in await conn.fetch(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'public' and c.relkind in ('r', 'p') order by 1"
        )
    ]


async def row_counts(conn: asyncpg.Connection) -> dict[str, int]:
    counts = {t: await conn.fetchval(f"select count(*) from public.{t}") for t in await public_tables(conn)}
    counts["auth.users"] = await conn.fetchval("select count(*) from auth.users")
    return counts


# --- migrations and seed ---------------------------------------------------------------------------


async def test_migrations_are_applied_and_recorded(db):
    files = sorted(p.stem.partition("_")[0] for p in (SUPABASE / "migrations").glob("*.sql"))
    recorded = sorted(await ids(db, "select version from supabase_migrations.schema_migrations"))
    assert recorded == files
    assert set(await public_tables(db)) == TABLES
    published = await ids(
        db, "select tablename from pg_publication_tables where pubname = 'supabase_realtime' and schemaname = 'public'"
    )
    assert published == PUBLISHED


async def test_preparing_the_database_again_changes_nothing(db, schema_dsn):
    from tjv_sandbox.database import prepare_database

    before = await row_counts(db)
    assert await prepare_database(schema_dsn) == []
    assert await row_counts(db) == before


async def test_running_the_seed_again_adds_no_rows(db):
    before = await row_counts(db)
    seeded = await db.fetchrow(
        "select (select count(*) from patients where id::text like 'c0000000-%') as patients,"
        " (select count(*) from providers where id::text like 'b0000000-%') as providers,"
        " (select count(*) from auth.users where id::text like 'a0000000-%' or id::text like 'd0000000-%') as users")
    assert (seeded["patients"], seeded["providers"], seeded["users"]) == (24, 8, 12)
    async with rolled_back(db):
        await db.execute((SUPABASE / "seed.sql").read_text())
        assert await row_counts(db) == before


async def test_demo_password_is_stored_as_bcrypt(db):
    ok = await db.fetchval(
        "select bool_and(encrypted_password = extensions.crypt('tjv-demo-2026', encrypted_password)) "
        "from auth.users where email like '%.tjv.test'"
    )
    assert ok is True


# --- RLS --------------------------------------------------------------------------------------------


async def test_every_public_table_has_row_level_security(db):
    rows = await db.fetch(
        "select c.relname, c.relrowsecurity from pg_class c join pg_namespace n on n.oid = c.relnamespace "
        "where n.nspname = 'public' and c.relkind in ('r', 'p')"
    )
    assert rows, "no tables in public"
    assert [r["relname"] for r in rows if not r["relrowsecurity"]] == []


async def test_anon_reads_nothing_from_any_table(db):
    tables = await public_tables(db)
    populated = [t for t, n in (await row_counts(db)).items() if n and t in tables]
    assert {"patients", "vital_signs", "patient_alerts", "messages", "providers"} <= set(populated)
    async with rolled_back(db):
        await act_as(db, None, "anon")
        for table in tables:
            assert await db.fetchval(f"select count(*) from public.{table}") == 0, table


async def test_nurse_sees_exactly_her_actively_assigned_patients(db):
    nurse = provider_id(RIVERSIDE, NURSE)
    expected = await ids(
        db, "select patient_id from provider_assignments where provider_id = $1 and active", nurse
    )
    assert expected == {patient_id(RIVERSIDE, n) for n in range(1, 9)}
    expected_vitals = await db.fetchval("select count(*) from vital_signs where patient_id = any($1)", list(expected))
    async with rolled_back(db):
        await act_as(db, provider_user(RIVERSIDE, NURSE))
        assert await ids(db, "select id from patients") == expected
        assert await ids(db, "select patient_id from patient_status") == expected
        assert await ids(db, "select distinct patient_id from vital_signs") == expected
        assert await db.fetchval("select count(*) from vital_signs") == expected_vitals
        assert await ids(db, "select distinct patient_id from patient_alerts") <= expected
        assert await db.fetchval("select count(*) from patients where tenant_id = $1", tenant_id(LAKESIDE)) == 0
        surgeon_only = {patient_id(RIVERSIDE, n) for n in range(9, 13)}
        assert await ids(db, "select id from patients where id = any($1)", list(surgeon_only)) == set()
        assert await ids(db, "select id from tenants") == {tenant_id(RIVERSIDE)}
        assert await ids(db, "select id from providers") == {provider_id(RIVERSIDE, s) for s in range(1, 5)}
        assert await ids(db, "select distinct provider_id from provider_assignments") == {nurse}


async def test_inactive_assignment_grants_nothing(db):
    nurse, former = provider_id(RIVERSIDE, NURSE), patient_id(RIVERSIDE, 9)
    assert await db.fetchval(
        "select active from provider_assignments where provider_id = $1 and patient_id = $2", nurse, former
    ) is False
    queries = [
        "select count(*) from patients where id = $1",
        "select count(*) from vital_signs where patient_id = $1",
        "select count(*) from patient_status where patient_id = $1",
    ]
    async with rolled_back(db):
        await act_as(db, provider_user(RIVERSIDE, NURSE))
        assert [await db.fetchval(q, former) for q in queries] == [0, 0, 0]
        # The same row made active does grant access: the zero above is the active flag's doing.
        await db.execute("reset role")
        await db.execute(
            "update provider_assignments set active = true where provider_id = $1 and patient_id = $2", nurse, former
        )
        await act_as(db, provider_user(RIVERSIDE, NURSE))
        assert [await db.fetchval(q, former) > 0 for q in queries] == [True, True, True]


async def test_inactive_provider_sees_no_patients(db):
    async with rolled_back(db):
        await db.execute("update providers set active = false where id = $1", provider_id(RIVERSIDE, NURSE))
        await act_as(db, provider_user(RIVERSIDE, NURSE))
        assert await db.fetchval("select count(*) from patients") == 0
        assert await ids(db, "select id from providers") == {provider_id(RIVERSIDE, NURSE)}


async def test_patient_sees_only_their_own_rows(db):
    me = patient_id(RIVERSIDE, 1)
    own_vitals = await db.fetchval("select count(*) from vital_signs where patient_id = $1", me)
    assert own_vitals > 0
    async with rolled_back(db):
        await act_as(db, patient_user(RIVERSIDE, 1))
        assert await ids(db, "select id from patients") == {me}
        assert await db.fetchval("select count(*) from vital_signs") == own_vitals
        assert await ids(db, "select distinct patient_id from vital_signs") == {me}
        assert await ids(db, "select patient_id from patient_status") == {me}
        assert await ids(db, "select distinct patient_id from messages") == {me}
        assert await ids(db, "select distinct patient_id from care_plans") == {me}
        for table in ("providers", "tenants", "provider_assignments", "collaboration_sessions", "audit_log"):
            assert await db.fetchval(f"select count(*) from {table}") == 0, table


async def test_patient_records_manual_vitals_only_for_themselves(db):
    insert = "insert into vital_signs (patient_id, measured_at, heart_rate, source) values ($1, now(), 80, $2)"
    async with rolled_back(db):
        await act_as(db, patient_user(RIVERSIDE, 1))
        await db.execute(
            "insert into vital_signs (tenant_id, patient_id, measured_at, spo2, source) values ($1, $2, now(), 95, 'manual')",
            tenant_id(LAKESIDE), patient_id(RIVERSIDE, 1),
        )
        tenant = await db.fetchval("select tenant_id from vital_signs where source = 'manual'")
        assert tenant == tenant_id(RIVERSIDE)  # derived from the patient, whatever the client sent
        assert "row-level security" in str(await error_of(db, insert, patient_id(RIVERSIDE, 1), "device"))
        assert "row-level security" in str(await error_of(db, insert, patient_id(RIVERSIDE, 2), "manual"))
        await act_as(db, provider_user(RIVERSIDE, NURSE))
        assert "row-level security" in str(await error_of(db, insert, patient_id(RIVERSIDE, 1), "manual"))


async def test_messages_are_written_by_the_patient_or_an_assigned_provider(db):
    patient_msg = "insert into messages (patient_id, sender_role, body) values ($1, 'patient', 'hello')"
    provider_msg = (
        "insert into messages (patient_id, provider_id, sender_role, body) values ($1, $2, 'provider', 'hi')"
    )
    nurse = provider_id(RIVERSIDE, NURSE)
    async with rolled_back(db):
        await act_as(db, patient_user(RIVERSIDE, 1))
        await db.execute(patient_msg, patient_id(RIVERSIDE, 1))
        assert isinstance(await error_of(db, patient_msg, patient_id(RIVERSIDE, 2)), asyncpg.InsufficientPrivilegeError)
        await act_as(db, provider_user(RIVERSIDE, NURSE))
        await db.execute(provider_msg, patient_id(RIVERSIDE, 1), nurse)
        assert isinstance(
            await error_of(db, provider_msg, patient_id(RIVERSIDE, 10), nurse), asyncpg.InsufficientPrivilegeError
        )
        assert isinstance(
            await error_of(db, "update messages set body = 'edited'"), asyncpg.InsufficientPrivilegeError
        )


async def test_sessions_are_shared_within_a_tenant_and_frozen_when_closed(db):
    async with rolled_back(db):
        await act_as(db, provider_user(RIVERSIDE, PHYSIO))
        assert await ids(db, "select id from collaboration_sessions") == {session_id(RIVERSIDE)}
        update = "update collaboration_sessions set document_text = $2, status = $3 where id = $1"
        assert await db.execute(update, session_id(RIVERSIDE), "note", "open") == "UPDATE 1"
        # only the creator (here the coordinator) or a coordinator closes it
        assert isinstance(await error_of(db, update, session_id(RIVERSIDE), "note", "closed"),
                          asyncpg.InsufficientPrivilegeError)
        await act_as(db, provider_user(RIVERSIDE, COORDINATOR))
        assert await db.execute(update, session_id(RIVERSIDE), "note", "closed") == "UPDATE 1"
        assert await db.fetchval("select closed_at from collaboration_sessions") is not None
        await act_as(db, provider_user(RIVERSIDE, PHYSIO))
        assert await db.execute(update, session_id(RIVERSIDE), "late edit", "closed") == "UPDATE 0"
        assert await db.execute(update, session_id(LAKESIDE), "x", "open") == "UPDATE 0"


# --- alert commands ---------------------------------------------------------------------------------


async def raise_alert(conn, patient: uuid.UUID, priority="medium", kind="fever", message="Temperature 38.6 °C"):
    await act_as(conn, None, "service_role")
    rows = await conn.fetch("select * from raise_alert($1, $2, $3, $4, 38.6, 38.0, '°C')", patient, priority, kind, message)
    return {r["provider_id"]: r for r in rows}


async def test_raise_alert_routes_one_row_per_active_assignment(db):
    async with rolled_back(db):
        audited = await db.fetchval("select count(*) from audit_log where action = 'alert.raise'")
        for n in (5, 9):
            expected = await ids(
                db,
                "select a.provider_id from provider_assignments a join providers p on p.id = a.provider_id "
                "where a.patient_id = $1 and a.active and p.active",
                patient_id(RIVERSIDE, n),
            )
            routed = await raise_alert(db, patient_id(RIVERSIDE, n))
            assert set(routed) == expected
            assert len({r["event_id"] for r in routed.values()}) == 1
            await db.execute("reset role")
        assert provider_id(RIVERSIDE, NURSE) not in expected  # patient 9: the inactive assignment
        assert await db.fetchval("select count(*) from audit_log where action = 'alert.raise'") == audited + 2


async def test_raising_an_open_alert_again_escalates_it(db):
    async with rolled_back(db):
        first = await raise_alert(db, patient_id(RIVERSIDE, 5), "medium")
        lower = await raise_alert(db, patient_id(RIVERSIDE, 5), "low", message="lower")
        assert {r["id"] for r in lower.values()} == {r["id"] for r in first.values()}
        assert {r["priority"] for r in lower.values()} == {"medium"}
        higher = await raise_alert(db, patient_id(RIVERSIDE, 5), "high", message="Temperature 39.4 °C")
        assert {r["id"] for r in higher.values()} == {r["id"] for r in first.values()}
        assert {(r["priority"], r["message"]) for r in higher.values()} == {("high", "Temperature 39.4 °C")}
        assert await db.fetchval("select count(*) from patient_alerts where patient_id = $1",
                                 patient_id(RIVERSIDE, 5)) == len(first)


async def test_an_unassigned_patients_alert_goes_to_the_coordinators_never_nowhere(db):
    async with rolled_back(db):
        await db.execute("update provider_assignments set active = false where patient_id = $1",
                         patient_id(RIVERSIDE, 4))
        routed = await raise_alert(db, patient_id(RIVERSIDE, 4))
        await db.execute("reset role")
        coordinators = await ids(db, "select id from providers where tenant_id = (select tenant_id from patients "
                                     "where id = $1) and role = 'coordinator' and active", patient_id(RIVERSIDE, 4))
        assert coordinators and set(routed) == coordinators
        await db.execute("update providers set active = false where id = any($1::uuid[])", list(coordinators))
        err = await error_of(db, "select raise_alert($1, 'high', 'hypoxia', 'SpO2 89 % (limit 91 %)')",
                             patient_id(RIVERSIDE, 4))
        assert err.sqlstate == "P0001" and "no one to route to" in str(err)


async def test_escalation_annunciates_an_acknowledged_alert_again(db):
    nurse = provider_id(RIVERSIDE, NURSE)
    async with rolled_back(db):
        alert = (await raise_alert(db, patient_id(RIVERSIDE, 2), "medium"))[nurse]
        await act_as(db, provider_user(RIVERSIDE, NURSE))
        acked = await db.fetchrow("select * from acknowledge_alert($1, $2)", alert["id"], uuid.uuid4())
        assert acked["state"] == "acknowledged"
        await db.execute("reset role")
        same = (await raise_alert(db, patient_id(RIVERSIDE, 2), "low", message="lower"))[nurse]
        assert same["state"] == "acknowledged"  # a milder repeat changes nothing
        worse = (await raise_alert(db, patient_id(RIVERSIDE, 2), "high", message="SpO2 89 % (limit 91 %)"))[nurse]
        assert (worse["id"], worse["state"], worse["priority"]) == (alert["id"], "active", "high")
        assert worse["acknowledged_at"] is None


async def test_acknowledge_is_idempotent_per_action_id(db):
    nurse = provider_id(RIVERSIDE, NURSE)
    action = uuid.uuid4()
    async with rolled_back(db):
        alert = (await raise_alert(db, patient_id(RIVERSIDE, 2)))[nurse]
        await act_as(db, provider_user(RIVERSIDE, NURSE))
        first = await db.fetchrow("select * from acknowledge_alert($1, $2)", alert["id"], action)
        replay = await db.fetchrow("select * from acknowledge_alert($1, $2)", alert["id"], action)
        assert first["state"] == replay["state"] == "acknowledged"
        assert first["acknowledged_by"] == nurse
        assert replay["updated_at"] == first["updated_at"]
        await db.execute("reset role")
        assert await db.fetchval("select count(*) from alert_actions where action_id = $1", action) == 1
        audit = await db.fetch("select * from audit_log where action = 'alert.acknowledge'")
        assert [(a["action_id"], a["entity_id"], a["actor_provider_id"]) for a in audit] == [
            (action, str(alert["id"]), nurse)
        ]
        assert json.loads(audit[0]["details"])["previous_state"] == "active"


async def test_alert_commands_are_refused_when_not_routed_or_misused(db):
    nurse, physio = provider_id(RIVERSIDE, NURSE), provider_id(RIVERSIDE, PHYSIO)
    async with rolled_back(db):
        routed = await raise_alert(db, patient_id(RIVERSIDE, 2))
        await act_as(db, provider_user(RIVERSIDE, PHYSIO))  # physio sees patient 2 but this copy is the nurse's
        err = await error_of(db, "select acknowledge_alert($1, $2)", routed[nurse]["id"], uuid.uuid4())
        assert err.sqlstate == "42501" and "not routed to you" in str(err)
        await act_as(db, provider_user(LAKESIDE, NURSE))
        err = await error_of(db, "select accept_alert($1, $2)", routed[nurse]["id"], uuid.uuid4())
        assert err.sqlstate == "42501"
        await act_as(db, provider_user(RIVERSIDE, NURSE))
        used = uuid.uuid4()
        await db.execute("select acknowledge_alert($1, $2)", routed[nurse]["id"], used)
        err = await error_of(db, "select accept_alert($1, $2)", routed[nurse]["id"], used)
        assert err.sqlstate == "22023"
        await act_as(db, provider_user(RIVERSIDE, PHYSIO))
        err = await error_of(db, "select acknowledge_alert($1, $2)", routed[physio]["id"], used)
        assert err.sqlstate == "22023"
        await act_as(db, None, "service_role")
        assert await db.fetchval("select resolve_alerts($1, 'fever')", patient_id(RIVERSIDE, 2)) == len(routed)
        await act_as(db, provider_user(RIVERSIDE, PHYSIO))
        err = await error_of(db, "select acknowledge_alert($1, $2)", routed[physio]["id"], uuid.uuid4())
        assert err.sqlstate == "22023" and "resolved" in str(err)
        await act_as(db, None, "anon")
        err = await error_of(db, "select acknowledge_alert($1, $2)", routed[physio]["id"], uuid.uuid4())
        assert isinstance(err, asyncpg.InsufficientPrivilegeError)
        await act_as(db, provider_user(RIVERSIDE, NURSE))
        err = await error_of(db, "select * from raise_alert($1, 'high', 'fever', 'x')", patient_id(RIVERSIDE, 1))
        assert isinstance(err, asyncpg.InsufficientPrivilegeError)


async def test_accept_shows_the_owner_on_every_copy_and_reject_hands_it_back(db):
    nurse, surgeon = provider_id(RIVERSIDE, NURSE), provider_id(RIVERSIDE, SURGEON)
    async with rolled_back(db):
        accepts = await db.fetchval("select count(*) from audit_log where action = 'alert.accept'")
        routed = await raise_alert(db, patient_id(RIVERSIDE, 6), "high", "tachycardia", "Heart rate 134")
        await act_as(db, provider_user(RIVERSIDE, SURGEON))
        accept_action = uuid.uuid4()
        accepted = await db.fetchrow("select * from accept_alert($1, $2)", routed[surgeon]["id"], accept_action)
        assert (accepted["state"], accepted["accepted_by"]) == ("accepted", surgeon)
        copies = await db.fetch("select provider_id, state, accepted_by from patient_alerts where event_id = $1",
                                accepted["event_id"])
        assert {(c["state"], c["accepted_by"]) for c in copies if c["provider_id"] != surgeon} == {("active", surgeon)}
        rejected = await db.fetchrow("select * from reject_alert($1, $2, 'on leave')", routed[surgeon]["id"],
                                     uuid.uuid4())
        assert (rejected["state"], rejected["rejection_reason"]) == ("rejected", "on leave")
        assert await db.fetchval("select count(*) from patient_alerts where event_id = $1 and accepted_by is not null",
                                 accepted["event_id"]) == 0
        # A late replay of the accept (e.g. from an outbox) must not undo the later rejection.
        replay = await db.fetchrow("select * from accept_alert($1, $2)", routed[surgeon]["id"], accept_action)
        assert replay["state"] == "rejected"
        await db.execute("reset role")
        assert await db.fetchval("select count(*) from audit_log where action = 'alert.accept'") == accepts + 1
        assert nurse in routed


async def test_clinicians_cannot_write_alerts_status_or_vitals_directly(db):
    async with rolled_back(db):
        routed = await raise_alert(db, patient_id(RIVERSIDE, 1))
        alert_id = routed[provider_id(RIVERSIDE, NURSE)]["id"]
        await db.execute("reset role")
        before = await row_counts(db)
        status = await db.fetchrow("select * from patient_status where patient_id = $1", patient_id(RIVERSIDE, 1))
        await act_as(db, provider_user(RIVERSIDE, NURSE))
        # No policy allows these: RLS leaves nothing to update or delete.
        for sql, args in [
            ("update patient_alerts set state = 'resolved' where id = $1", (alert_id,)),
            ("delete from patient_alerts where id = $1", (alert_id,)),
            ("update patient_status set status = 'critical' where patient_id = $1", (patient_id(RIVERSIDE, 1),)),
            ("update vital_signs set heart_rate = 190", ()),
            ("delete from vital_signs", ()),
        ]:
            assert (await db.execute(sql, *args)).endswith(" 0"), sql
        for sql, args in [
            ("insert into patient_alerts (event_id, patient_id, provider_id, priority, kind, message) "
             "values ($1, $2, $3, 'high', 'forged', 'forged')",
             (uuid.uuid4(), patient_id(RIVERSIDE, 1), provider_id(RIVERSIDE, NURSE))),
            ("insert into patient_status (patient_id) values ($1)", (patient_id(RIVERSIDE, 2),)),
            ("insert into audit_log (tenant_id, action, entity) values ($1, 'x', 'y')", (tenant_id(RIVERSIDE),)),
            ("truncate vital_signs", ()),
        ]:
            assert isinstance(await error_of(db, sql, *args), asyncpg.InsufficientPrivilegeError), sql
        await db.execute("reset role")
        assert await db.fetchval("select state from patient_alerts where id = $1", alert_id) == "active"
        assert await db.fetchrow("select * from patient_status where patient_id = $1", patient_id(RIVERSIDE, 1)) == status
        assert await row_counts(db) == before


async def test_audit_log_rejects_update_and_delete_even_for_service_role(db):
    async with rolled_back(db):
        audited = await db.fetchval("select count(*) from audit_log where action = 'alert.raise'")
        await raise_alert(db, patient_id(RIVERSIDE, 3))
        for role in ("service_role", None):
            if role:
                await act_as(db, None, role)
            else:
                await db.execute("reset role")  # the superuser itself
            for sql in ("update audit_log set action = 'forged'", "delete from audit_log", "truncate audit_log"):
                err = await error_of(db, sql)
                assert "append-only" in str(err), (role, sql)
        assert await db.fetchval("select count(*) from audit_log where action = 'alert.raise'") == audited + 1


# --- realtime authorization ---------------------------------------------------------------------------


async def topic_access(conn, topic: str) -> tuple[bool, bool]:
    """(may join/read, may send) on ``topic`` for the current role and claims, as Realtime checks it."""
    await conn.execute("select set_config('realtime.topic', $1, true)", topic)
    readable = await conn.fetchval("select count(*) from realtime.messages where topic = $1", topic) > 0
    try:
        async with conn.transaction():
            await conn.execute(
                "insert into realtime.messages (topic, extension, payload) values ($1, 'broadcast', '{}')", topic
            )
        writable = True
    except asyncpg.InsufficientPrivilegeError:
        writable = False
    return readable, writable


async def test_realtime_channels_are_authorized_per_topic(db):
    topics = {
        "own": f"provider:{provider_id(RIVERSIDE, NURSE)}",
        "colleague": f"provider:{provider_id(RIVERSIDE, SURGEON)}",
        "session": f"session:{session_id(RIVERSIDE)}",
        "other_session": f"session:{session_id(LAKESIDE)}",
        "tenant": f"tenant:{tenant_id(RIVERSIDE)}",
        "other_tenant": f"tenant:{tenant_id(LAKESIDE)}",
        "announcements": f"tenant:{tenant_id(RIVERSIDE)}:announcements",
        "other_announcements": f"tenant:{tenant_id(LAKESIDE)}:announcements",
        "patient": f"patient:{patient_id(RIVERSIDE, 1)}",
        "unassigned_patient": f"patient:{patient_id(RIVERSIDE, 10)}",
        "retired_vitals": f"vitals:{provider_id(RIVERSIDE, NURSE)}:0",
        "retired_metrics": f"tenant:{tenant_id(RIVERSIDE)}:metrics",
        "garbage": "provider:not-a-uuid",
        "unknown": f"nothing:{provider_id(RIVERSIDE, NURSE)}",
    }
    # (read, broadcast write); only the database broadcasts on provider:, patient: and tenant:<id>
    R, RW, NONE = (True, False), (True, True), (False, False)
    expected = {
        provider_user(RIVERSIDE, NURSE): {
            "own": R, "colleague": NONE, "session": RW, "other_session": NONE, "tenant": R,
            "other_tenant": NONE, "announcements": R, "other_announcements": NONE, "patient": R,
            "unassigned_patient": NONE, "retired_vitals": NONE, "retired_metrics": NONE, "garbage": NONE,
            "unknown": NONE,
        },
        provider_user(RIVERSIDE, COORDINATOR): {"announcements": RW, "own": NONE, "session": RW, "tenant": R},
        patient_user(RIVERSIDE, 1): {
            "own": NONE, "session": NONE, "tenant": NONE, "announcements": NONE, "patient": R,
            "unassigned_patient": NONE,
        },
    }
    async with rolled_back(db):
        await db.execute(
            "insert into realtime.messages (topic, extension, payload) select t, 'broadcast', '{}' from unnest($1::text[]) t",
            list(topics.values()),
        )
        for user, cases in expected.items():
            await act_as(db, user)
            actual = {name: await topic_access(db, topics[name]) for name in cases}
            assert actual == cases, user
        await act_as(db, None, "anon")
        assert await topic_access(db, topics["own"]) == NONE
