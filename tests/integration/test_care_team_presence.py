"""Who is online, against the sandbox with the official clients: a second workstation going online and
offline shows at the first within the presence timeout, locked included; a patient's app (realtime-py
signed in as the patient) going online and offline shows as online then "last seen"; the heartbeat
reaches the table the metrics job counts; a provider of another tenant cannot join the care-team topic."""

from __future__ import annotations

import asyncio
import time

from realtime import AsyncRealtimeClient, RealtimeSubscribeStates

from tests.support.station import Station
from tjv_desktop.domain.events import LinkState
from tjv_desktop.sync.care_team import CareTeam

PATIENT_1 = "c0000000-0000-4000-8000-000000001001"
PATIENT_5 = "c0000000-0000-4000-8000-000000001005"  # the surgeon's
PRESENCE_TIMEOUT = 15.0  # a clean leave is immediate; this bounds the sandbox's presence diff


async def until(predicate, what: str, timeout: float = PRESENCE_TIMEOUT) -> float:
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < timeout, f"not within {timeout} s: {what}"
        await asyncio.sleep(0.05)  # polls state the callbacks set, bounded by the deadline
    return time.monotonic() - started


async def station_with_care_team(sandbox, email: str, workstation: str,
                                 patients: list[str]) -> tuple[Station, CareTeam]:
    station = Station(sandbox.url, sandbox.anon_key, email=email)
    await station.start()
    await station.wait_state(LinkState.CONNECTED, 20)
    identity = station.core.identity
    me = await station.engine.rest.provider(identity.provider_id)
    team = CareTeam(station.link, station.engine.rest, provider_id=identity.provider_id,
                    tenant_id=identity.tenant_id, name=me["full_name"], role=me["role"], workstation=workstation,
                    heartbeat_seconds=3600)
    await team.start(patients)
    return station, team


async def test_a_colleague_and_a_patient_app_going_online_and_offline_show_at_the_station(sandbox):
    first, team = await station_with_care_team(sandbox, "nurse@riverside.tjv.test", "WS-NURSE",
                                               [PATIENT_1, PATIENT_5])
    second = other = None
    app = None
    try:
        await until(lambda: team.colleagues and any(c.workstation == "WS-NURSE" for c in team.colleagues),
                    "this workstation in its own care-team list")
        started = time.monotonic()
        second, other = await station_with_care_team(sandbox, "surgeon@riverside.tjv.test", "WS-SURGEON",
                                                     [PATIENT_5])
        await until(lambda: any(c.workstation == "WS-SURGEON" for c in team.colleagues or []),
                    "the surgeon's workstation online")
        online_in = time.monotonic() - started  # sign-in, connection and join included
        surgeon = next(c for c in team.colleagues if c.workstation == "WS-SURGEON")
        assert (surgeon.name, surgeon.role, surgeon.locked) == ("Dr. Samuel Hart", "clinician", False)
        # Patient 5 is the nurse's and the surgeon's; patient 1 is not the surgeon's (the physio's, offline).
        await until(lambda: team.team_online.get(PATIENT_5) == ["Dr. Samuel Hart"], "the surgeon in patient 5's team")
        assert team.team_online.get(PATIENT_1, []) == []
        assert second.provider_id in team.assigned[PATIENT_5] and second.provider_id not in team.assigned[PATIENT_1]
        await other.set_locked(True)
        await until(lambda: any(c.workstation == "WS-SURGEON" and c.locked for c in team.colleagues or []),
                    "the surgeon's workstation locked")
        started = time.monotonic()
        await other.stop()
        await second.stop()
        await until(lambda: not any(c.workstation == "WS-SURGEON" for c in team.colleagues or []),
                    "the surgeon's workstation offline")
        offline_in = time.monotonic() - started
        assert team.team_online[PATIENT_5] == []
        print(f"colleague online after {online_in:.2f} s, offline after {offline_in:.2f} s")

        # The patient's app: the official client, signed in as the patient, tracking on its app topic.
        assert team.apps.get(PATIENT_1) in (None, False) and PATIENT_1 not in team.last_seen
        app = AsyncRealtimeClient(f"{sandbox.url}/realtime/v1", token=sandbox.anon_key, auto_reconnect=False)
        await app.connect()
        await app.set_auth(sandbox.sign_in("patient1@riverside.tjv.test")["access_token"])
        channel = app.channel(f"patient:{PATIENT_1}:app", {"config": {
            "private": True, "broadcast": {}, "presence": {"key": "app", "enabled": True}}})
        joined: asyncio.Future = asyncio.get_running_loop().create_future()
        await channel.subscribe(lambda s, e: joined.done() or joined.set_result(s))
        async with asyncio.timeout(10):
            assert await asyncio.shield(joined) == RealtimeSubscribeStates.SUBSCRIBED
        await channel.track({"app": "patient", "since": "2026-12-06T01:00:00+00:00"})
        await until(lambda: team.apps.get(PATIENT_1) is True, "the patient's app online")
        await app.close()
        app = None
        await until(lambda: team.apps.get(PATIENT_1) is False, "the patient's app offline")
        assert PATIENT_1 in team.last_seen  # shown as "last seen …"

        # The heartbeat the metrics job counts.
        await team.rest.workstation_heartbeat("WS-NURSE", False)
        rows = await team.rest._run(team.rest.client.table("workstation_heartbeats").select("*")
                                    .eq("workstation", "WS-NURSE"))
        assert [r["provider_id"] for r in rows] == [first.provider_id]
    finally:
        if app is not None:
            await app.close()
        await team.stop()
        await first.stop()


async def test_a_provider_of_another_tenant_cannot_see_the_care_team(sandbox):
    # Longer than the 5 s Realtime waits before a join error reply, so the refusal is heard as one. The
    # sandbox holds the whole socket during that wait (real Realtime holds only the channel), so the probe
    # deadline is longer too.
    station = Station(sandbox.url, sandbox.anon_key, email="nurse@lakeside.tjv.test", join_timeout=8.0,
                      probe_deadline=10.0)
    await station.start()
    try:
        await station.wait_state(LinkState.CONNECTED, 20)
        riverside = "10000000-0000-4000-8000-000000000001"
        team = CareTeam(station.link, station.engine.rest, provider_id=station.provider_id, tenant_id=riverside,
                        name="Intruder", role="clinician", workstation="WS-X", heartbeat_seconds=3600)
        refused: list[str] = []
        team.presence._extra.on_refused = refused.append
        await team.presence.start()
        await until(lambda: refused, "the join refused")
        assert team.colleagues is None
    finally:
        await station.stop()
