"""The security review's schema findings, tried as an attacker would: through the official supabase
client against a sandbox of this module's own (the tests write; the shared sandbox keeps its seed).

Each test failed on the schema before the 20261206003* migrations."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from postgrest.exceptions import APIError
from realtime import AsyncRealtimeClient

from tests.support.sandbox import make_data_root, official_clients, start_sandbox, stop_sandbox

NURSE = "nurse@riverside.tjv.test"  # patients 1-8
SURGEON = "surgeon@riverside.tjv.test"  # patients 5-12
PHYSIO = "physio@riverside.tjv.test"  # patients 1-3, 10-12
COORDINATOR = "coordinator@riverside.tjv.test"
PATIENT1 = "patient1@riverside.tjv.test"
OTHER_TENANT_NURSE = "nurse@lakeside.tjv.test"


def patient(n: int, t: int = 1) -> str:
    return f"c0000000-0000-4000-8000-00000000{t}0{n:02d}"


def provider(slot: int, t: int = 1) -> str:
    return f"b0000000-0000-4000-8000-00000000{t}0{slot:02d}"


@pytest.fixture(scope="module")
def own_sandbox():
    root = make_data_root("tjv-sec-schema-")
    # refused joins answer after 0.5 s instead of the real 5 s, to keep the test short
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TJV_SANDBOX_REALTIME_JOIN_ERROR_BACKOFF", "0.5")
        handle = start_sandbox(root / "data")
    try:
        yield handle
    finally:
        stop_sandbox(handle)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
async def as_user(own_sandbox):
    async with official_clients(own_sandbox) as make:
        yield make


@pytest.fixture
async def db(own_sandbox):
    conn = await asyncpg.connect(own_sandbox.db_url)
    yield conn
    await conn.close()


async def raise_alert(service, patient_id: str) -> list[dict]:
    return (await service.rpc("raise_alert", {
        "p_patient_id": patient_id, "p_priority": "medium", "p_kind": f"t-{uuid.uuid4().hex[:8]}",
        "p_message": "Temperature 38.6 °C (limit 38.0 °C)"}).execute()).data


# -- 1. the database owns created_at / updated_at -------------------------------------------------------

async def test_a_patient_cannot_move_anyones_cursor_with_client_timestamps(as_user):
    me = await as_user(PATIENT1)
    future = "2099-01-01T00:00:00+00:00"
    before = datetime.now(UTC)
    row = (await me.table("vital_signs").insert({
        "patient_id": patient(1), "measured_at": before.isoformat(), "heart_rate": 80, "source": "manual",
        "updated_at": future, "created_at": future}).execute()).data[0]
    for column in ("updated_at", "created_at"):
        stamped = datetime.fromisoformat(row[column])
        assert before - timedelta(seconds=5) <= stamped <= datetime.now(UTC) + timedelta(seconds=5), column
    # the nurse's resync from a cursor just after now finds nothing from the future
    nurse = await as_user(NURSE)
    late = (await nurse.table("vital_signs").select("id").gte("updated_at", "2098-01-01T00:00:00+00:00")
            .execute()).data
    assert late == []

    message = (await me.table("messages").insert({
        "patient_id": patient(1), "sender_role": "patient", "body": "hello",
        "sender_user_id": (await me.auth.get_user()).user.id,
        "created_at": "2001-01-01T00:00:00+00:00"}).execute()).data[0]
    assert datetime.fromisoformat(message["created_at"]) >= before - timedelta(seconds=5)


async def test_every_table_with_row_times_has_the_stamping_trigger(db):
    missing = await db.fetch(
        """select distinct c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
           join pg_attribute a on a.attrelid = c.oid and a.attname in ('created_at', 'updated_at')
           where n.nspname = 'public' and c.relkind in ('r', 'p')
             and not exists (select 1 from pg_trigger g where g.tgrelid = c.oid and g.tgname = 'stamp_row_times')""")
    assert [r[0] for r in missing] == []


# -- 2. alert commands need the assignment --------------------------------------------------------------

async def test_a_clinician_removed_from_a_patient_can_no_longer_act_on_its_alert(as_user, own_sandbox, db):
    service = await as_user(key=own_sandbox.service_role_key)
    nurse = await as_user(NURSE)
    copies = {a["provider_id"]: a for a in await raise_alert(service, patient(4))}
    mine = copies[provider(1)]
    await db.execute("update provider_assignments set active = false where provider_id = $1 and patient_id = $2",
                     uuid.UUID(provider(1)), uuid.UUID(patient(4)))
    try:
        with pytest.raises(APIError) as refused:
            await nurse.rpc("accept_alert", {"p_alert_id": mine["id"], "p_action_id": str(uuid.uuid4())}).execute()
        assert refused.value.code == "42501" and "not assigned" in refused.value.message
        state = await db.fetchval("select state from patient_alerts where id = $1", uuid.UUID(mine["id"]))
        assert state == "active"
    finally:
        await db.execute("update provider_assignments set active = true where provider_id = $1 and patient_id = $2",
                         uuid.UUID(provider(1)), uuid.UUID(patient(4)))
    # assigned again: the command works and answers with the row the nurse may read
    action = str(uuid.uuid4())
    done = (await nurse.rpc("accept_alert", {"p_alert_id": mine["id"], "p_action_id": action}).execute()).data
    assert (done["id"], done["state"]) == (mine["id"], "accepted")
    replay = (await nurse.rpc("accept_alert", {"p_alert_id": mine["id"], "p_action_id": action}).execute()).data
    assert replay["updated_at"] == done["updated_at"]


async def test_a_coordinator_acts_on_a_copy_routed_to_them_but_reads_only_what_rls_shows(as_user, own_sandbox, db):
    service = await as_user(key=own_sandbox.service_role_key)
    orphan = await db.fetchval(
        "insert into patients (tenant_id, full_name) values ('10000000-0000-4000-8000-000000000001', 'No Panel') "
        "returning id::text")
    copies = await raise_alert(service, orphan)
    assert {c["provider_id"] for c in copies} == {provider(4)}  # nobody assigned: the coordinator's copy
    coordinator = await as_user(COORDINATOR)
    answer = (await coordinator.rpc("acknowledge_alert", {"p_alert_id": copies[0]["id"],
                                                          "p_action_id": str(uuid.uuid4())}).execute()).data
    assert await db.fetchval("select state from patient_alerts where id = $1", uuid.UUID(copies[0]["id"])) \
        == "acknowledged"
    # the coordinator sees no such patient under RLS, so the answer holds nothing of the hidden row
    assert answer.get("id") is None and answer.get("message") is None
    # a clinician of the tenant gets nothing either, not even through the command
    nurse = await as_user(NURSE)
    with pytest.raises(APIError) as refused:
        await nurse.rpc("acknowledge_alert", {"p_alert_id": copies[0]["id"], "p_action_id": str(uuid.uuid4())}).execute()
    assert refused.value.code == "42501"


# -- 3. sessions follow their patient ---------------------------------------------------------------------

async def test_a_session_about_a_patient_is_seen_only_by_those_who_see_the_patient(as_user, own_sandbox):
    surgeon, nurse, physio, coordinator = (await as_user(SURGEON), await as_user(NURSE), await as_user(PHYSIO),
                                           await as_user(COORDINATOR))
    row = (await surgeon.table("collaboration_sessions").insert({
        "title": "Patient 10 wound review", "tenant_id": "10000000-0000-4000-8000-000000000001",
        "created_by": provider(2), "patient_id": patient(10), "kind": "case_review",
        "document_text": "drain output high"}).execute()).data[0]
    sid = row["id"]

    # the nurse does not see patient 10: not the session, not its text; her writes touch nothing
    assert (await nurse.table("collaboration_sessions").select("id").eq("id", sid).execute()).data == []
    assert (await nurse.table("collaboration_sessions").update({"document_text": "x"}).eq("id", sid)
            .execute()).data == []
    # the physio sees patient 10: reads and edits, but may not close what she did not open
    assert (await physio.table("collaboration_sessions").select("document_text").eq("id", sid).execute()).data \
        == [{"document_text": "drain output high"}]
    await physio.table("collaboration_sessions").update({"document_text": "physio note"}).eq("id", sid).execute()
    with pytest.raises(APIError) as refused:
        await physio.table("collaboration_sessions").update({"status": "closed"}).eq("id", sid).execute()
    assert refused.value.code == "42501"
    assert (await coordinator.table("collaboration_sessions").select("id").eq("id", sid).execute()).data != []

    # the topic follows the same rule: the physio joins, the nurse is refused
    assert await join_session(own_sandbox, PHYSIO, sid) == "SUBSCRIBED"
    assert await join_session(own_sandbox, NURSE, sid) == "CHANNEL_ERROR"
    # the creator closes it; a closed session's topic admits nobody
    await surgeon.table("collaboration_sessions").update({"status": "closed"}).eq("id", sid).execute()
    assert await join_session(own_sandbox, SURGEON, sid) == "CHANNEL_ERROR"


async def join_session(sandbox, email: str, session_id: str) -> str:
    """SUBSCRIBED or CHANNEL_ERROR for a private session:<id> channel joined with the official client."""
    client = AsyncRealtimeClient(f"{sandbox.url}/realtime/v1", token=sandbox.anon_key, auto_reconnect=False)
    await client.set_auth(sandbox.sign_in(email)["access_token"])
    await client.connect()
    outcome: asyncio.Future = asyncio.get_running_loop().create_future()
    try:
        channel = client.channel(f"session:{session_id}", {"config": {"private": True}})
        await channel.subscribe(lambda state, _err: outcome.done() or state.value in ("SUBSCRIBED", "CHANNEL_ERROR")
                                and outcome.set_result(state.value))
        async with asyncio.timeout(15):
            return await outcome
    finally:
        await client.close()


# -- 4. patient messages ----------------------------------------------------------------------------------

async def test_patient_messages_are_bounded_and_addressed_only_to_their_care_team(as_user):
    me = await as_user(PATIENT1)
    user_id = (await me.auth.get_user()).user.id

    def message(body: str, provider_id: str | None) -> dict:
        return {"patient_id": patient(1), "sender_role": "patient", "sender_user_id": user_id, "body": body,
                "provider_id": provider_id}

    with pytest.raises(APIError) as too_big:
        await me.table("messages").insert(message("x" * 8193, None)).execute()
    assert too_big.value.code == "23514"
    with pytest.raises(APIError) as foreign:
        await me.table("messages").insert(message("hello", provider(1, t=2))).execute()
    assert foreign.value.code == "42501"
    with pytest.raises(APIError) as unassigned:  # the surgeon is not on patient 1's panel
        await me.table("messages").insert(message("hello", provider(2))).execute()
    assert unassigned.value.code == "42501"
    ok = (await me.table("messages").insert(message("y" * 8192, provider(1))).execute()).data[0]
    assert ok["provider_id"] == provider(1) and len(ok["body"]) == 8192
