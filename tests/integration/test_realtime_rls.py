"""RLS over Realtime, end to end: a clinician whose filter names another clinician's patients receives
nothing, while the clinician those patients belong to receives every change (so changes were flowing)."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
from realtime import AsyncRealtimeClient

NURSE = "nurse@riverside.tjv.test"
SURGEON = "surgeon@riverside.tjv.test"


async def subscribe(sandbox, email: str, filters: list[str], received: list[dict], live: asyncio.Event):
    client = AsyncRealtimeClient(f"{sandbox.url}/realtime/v1", token=sandbox.anon_key, auto_reconnect=False)
    client.access_token = sandbox.sign_in(email)["access_token"]
    await client.connect()
    channel = client.channel(f"rls-{uuid.uuid4().hex[:8]}")
    for flt in filters:
        channel.on_postgres_changes("INSERT", lambda p: received.append(p["data"]["record"]), table="patient_alerts",
                                    schema="public", filter=flt)
    channel.on_system(lambda p: p.message == "Subscribed to PostgreSQL" and live.set())
    await channel.subscribe()
    await asyncio.wait_for(live.wait(), 15)
    return client


async def test_a_filter_naming_another_clinicians_patients_receives_nothing(sandbox):
    db = await asyncpg.connect(sandbox.db_url)
    try:
        async def panel(email: str) -> set[str]:
            return {r[0] for r in await db.fetch(
                "select pa.patient_id::text from provider_assignments pa join providers p on p.id = pa.provider_id "
                "join auth.users u on u.id = p.user_id where u.email = $1 and pa.active", email)}

        nurse_panel, surgeon_panel = await panel(NURSE), await panel(SURGEON)
        lakeside = {r[0] for r in await db.fetch(
            "select p.id::text from patients p join tenants t on t.id = p.tenant_id where t.slug = 'lakeside' limit 3")}
        forbidden = sorted(surgeon_panel - nurse_panel)[:3]
        fence_patient = sorted(nurse_panel)[0]
        assert forbidden and lakeside

        nurse_got: list[dict] = []
        surgeon_got: list[dict] = []
        nurse = await subscribe(sandbox, NURSE, [f"patient_id=in.({','.join(forbidden + sorted(lakeside))})",
                                                 f"patient_id=eq.{fence_patient}"], nurse_got, asyncio.Event())
        surgeon = await subscribe(sandbox, SURGEON, [f"patient_id=in.({','.join(forbidden)})"], surgeon_got,
                                  asyncio.Event())
        try:
            tag = uuid.uuid4().hex[:8]
            for pid in forbidden + sorted(lakeside):
                await db.execute("select count(*) from raise_alert($1, 'high', $2, 'SpO2 89 % (limit 91 %)')",
                                 uuid.UUID(pid), f"rls-{tag}")
            # The fence: committed last, visible to the nurse. Delivery is in commit order, so once it
            # arrives every earlier change has been decided for her.
            await db.execute("select count(*) from raise_alert($1, 'low', $2, 'fence')", uuid.UUID(fence_patient),
                             f"fence-{tag}")

            async def until(predicate) -> None:
                while not predicate():
                    await asyncio.sleep(0.05)  # polling received messages, bounded by wait_for below

            await asyncio.wait_for(until(lambda: any(r["kind"] == f"fence-{tag}" for r in nurse_got)), 15)
            await asyncio.wait_for(until(lambda: len({r["patient_id"] for r in surgeon_got
                                                      if r["kind"] == f"rls-{tag}"}) == len(forbidden)), 15)
            leaked = [r for r in nurse_got if r["kind"] == f"rls-{tag}"]
            assert leaked == [], leaked
        finally:
            await nurse.close()
            await surgeon.close()
    finally:
        await db.close()
