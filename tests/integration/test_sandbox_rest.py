"""Sandbox REST with the official supabase client: RLS decides what each caller reads and writes."""

from __future__ import annotations

import uuid

import asyncpg
import httpx
import pytest
from postgrest.exceptions import APIError

from tests.support.sandbox import official_clients

NURSE = "nurse@riverside.tjv.test"
SURGEON = "surgeon@riverside.tjv.test"


@pytest.fixture
async def as_user(sandbox):
    async with official_clients(sandbox, timeout=10) as make:
        yield make


@pytest.fixture
async def db(sandbox):
    conn = await asyncpg.connect(sandbox.db_url)
    yield conn
    await conn.close()


async def assigned_patients(db, email: str) -> set[str]:
    rows = await db.fetch(
        """select pa.patient_id::text from provider_assignments pa
           join providers p on p.id = pa.provider_id join auth.users u on u.id = p.user_id
           join patients pt on pt.id = pa.patient_id
           where u.email = $1 and pa.active and pt.tenant_id = p.tenant_id""", email)
    return {r[0] for r in rows}


async def test_clinician_reads_exactly_their_actively_assigned_patients(as_user, db):
    nurse = await as_user(NURSE)
    expected = await assigned_patients(db, NURSE)
    surgeon_only = await assigned_patients(db, SURGEON) - expected
    other_tenant = {r[0] for r in await db.fetch(
        "select p.id::text from patients p join tenants t on t.id = p.tenant_id where t.slug = 'lakeside'")}
    assert expected and surgeon_only and other_tenant

    rows = (await nurse.table("patients").select("id, full_name, procedure").execute()).data
    seen = {r["id"] for r in rows}
    assert seen == expected
    assert not seen & surgeon_only
    assert not seen & other_tenant

    vitals_patients = {r["patient_id"] for r in
                       (await nurse.table("patient_status").select("patient_id").execute()).data}
    assert vitals_patients <= expected


async def test_anon_reads_nothing(as_user):
    anon = await as_user()
    for table in ("patients", "patient_alerts", "patient_status", "vital_signs", "providers", "audit_log"):
        assert (await anon.table(table).select("*").execute()).data == [], table


async def test_filters_order_paging_and_exact_count(as_user, db):
    nurse = await as_user(NURSE)
    expected = sorted(await assigned_patients(db, NURSE))
    res = await nurse.table("patients").select("id", count="exact").in_("id", expected[:3]).order("id").execute()
    assert [r["id"] for r in res.data] == expected[:3]
    assert res.count == 3

    page = await nurse.table("patients").select("id").order("id", desc=True).range(1, 2).execute()
    assert [r["id"] for r in page.data] == sorted(expected, reverse=True)[1:3]

    neq = await nurse.table("patients").select("id").neq("id", expected[0]).execute()
    assert {r["id"] for r in neq.data} == set(expected[1:])

    tka = await nurse.table("patients").select("procedure").eq("procedure", "TKA").execute()
    assert all(r["procedure"] == "TKA" for r in tka.data)

    recent = await nurse.table("patients").select("surgery_date").gte("surgery_date", "2000-01-01").lt(
        "surgery_date", "2999-01-01").execute()
    assert len(recent.data) == len(expected)

    nulls = await nurse.table("patient_alerts").select("id").is_("resolved_at", "null").execute()
    assert isinstance(nulls.data, list)

    one = await nurse.table("patients").select("id").eq("id", expected[0]).single().execute()
    assert one.data == {"id": expected[0]}


async def test_malformed_filter_unknown_table_and_column(sandbox):
    token = sandbox.sign_in(NURSE)["access_token"]
    headers = {"apikey": sandbox.anon_key, "Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=f"{sandbox.url}/rest/v1", headers=headers) as http:
        r = await http.get("/patients?id=bogus.1")
        assert r.status_code == 400 and r.json()["code"] == "PGRST100"
        r = await http.get("/no_such_table")
        assert r.status_code == 404 and r.json()["code"] == "PGRST205"
        r = await http.get("/patients?no_such_column=eq.1")
        assert r.status_code == 400 and r.json()["code"] == "42703"
        r = await http.get("/patients?id=eq.not-a-uuid")
        assert r.status_code == 400 and r.json()["code"] == "22P02"
        r = await http.post("/rpc/no_such_function", json={})
        assert r.status_code == 404 and r.json()["code"] == "PGRST202"
        r = await http.get("/patients?select=id&limit=1")
        assert r.status_code == 200  # still serving


async def test_forbidden_writes_fail_with_the_postgrest_error(as_user, db, sandbox):
    nurse = await as_user(NURSE)
    patient = sorted(await assigned_patients(db, NURSE))[0]
    tenant = await db.fetchval("select tenant_id::text from patients where id = $1", uuid.UUID(patient))
    with pytest.raises(APIError) as err:
        await nurse.table("patient_alerts").insert({
            "event_id": str(uuid.uuid4()), "tenant_id": tenant, "patient_id": patient,
            "provider_id": sandbox.user(NURSE)["provider_id"], "priority": "high", "kind": "forged",
            "message": "forged alert"}).execute()
    assert err.value.code == "42501"

    before = await db.fetchval("select count(*) from patient_status where status = 'critical'")
    changed = await nurse.table("patient_status").update({"status": "critical"}).eq("patient_id", patient).execute()
    assert changed.data == []
    assert await db.fetchval("select count(*) from patient_status where status = 'critical'") == before


async def test_acknowledge_over_rest_is_idempotent_and_audited(as_user, db, sandbox):
    service = await as_user(key=sandbox.service_role_key)
    nurse = await as_user(NURSE)
    nurse_id = sandbox.user(NURSE)["provider_id"]
    patient = sorted(await assigned_patients(db, NURSE))[0]
    raised = (await service.rpc("raise_alert", {
        "p_patient_id": patient, "p_priority": "medium", "p_kind": f"test-{uuid.uuid4().hex[:8]}",
        "p_message": "Heart rate 118 /min (limit 110 /min)", "p_value": 118, "p_limit": 110, "p_unit": "/min",
    }).execute()).data
    mine = next(a for a in raised if a["provider_id"] == nurse_id)
    action = str(uuid.uuid4())

    first = (await nurse.rpc("acknowledge_alert", {"p_alert_id": mine["id"], "p_action_id": action}).execute()).data
    again = (await nurse.rpc("acknowledge_alert", {"p_alert_id": mine["id"], "p_action_id": action}).execute()).data
    assert first["state"] == again["state"] == "acknowledged"
    assert first["acknowledged_at"] == again["acknowledged_at"]
    audits = await db.fetchval("select count(*) from audit_log where action_id = $1", uuid.UUID(action))
    assert audits == 1


async def test_upsert_update_and_delete_as_service_role(as_user, db, sandbox):
    service = await as_user(key=sandbox.service_role_key)
    tenant = await db.fetchval("select id::text from tenants where slug = 'riverside'")
    metric = f"test.metric.{uuid.uuid4().hex[:8]}"
    inserted = (await service.table("system_metrics").insert(
        {"tenant_id": tenant, "metric": metric, "value": 1.5}).execute()).data[0]
    upserted = (await service.table("system_metrics").upsert(
        {"id": inserted["id"], "tenant_id": tenant, "metric": metric, "value": 2.5}, on_conflict="id").execute()).data
    assert upserted[0]["value"] == 2.5
    updated = (await service.table("system_metrics").update({"value": 3.5}).eq("metric", metric).execute()).data
    assert [r["value"] for r in updated] == [3.5]
    deleted = (await service.table("system_metrics").delete().eq("metric", metric).execute()).data
    assert len(deleted) == 1
    assert await db.fetchval("select count(*) from system_metrics where metric = $1", metric) == 0

