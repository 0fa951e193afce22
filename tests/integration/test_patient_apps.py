"""The sandbox's simulated patient apps (``--patient-apps``): each is the official realtime client signed
in as its patient, so a coordinator's station sees those apps online through ``patient:<id>:app`` and
the apps of patients beyond N never come online."""

from __future__ import annotations

import asyncio
import shutil
import time

import asyncpg

from tests.support.sandbox import make_data_root, start_sandbox, stop_sandbox
from tests.support.station import Station
from tjv_desktop.domain.events import LinkState
from tjv_desktop.sync.care_team import CareTeam


async def test_the_simulated_apps_are_online_at_the_coordinators_station():
    root = make_data_root("tjv-apps-")
    sandbox = start_sandbox(root / "data", "--simulate", "6", "--patient-apps", "3", "--backfill-hours", "0")
    station = None
    try:
        db = await asyncpg.connect(sandbox.db_url)
        try:
            patients = [r["id"] for r in await db.fetch(
                "select id::text from patients where mrn like 'SIM-%' order by mrn")]
            with_login = {r["id"] for r in await db.fetch(
                "select id::text from patients where mrn like 'SIM-%' and user_id is not null")}
        finally:
            await db.close()
        assert len(patients) == 6 and len(with_login) == 3  # the first three got their app's login
        station = Station(sandbox.url, sandbox.anon_key, email="coordinator@riverside.tjv.test")
        await station.start()
        await station.wait_state(LinkState.CONNECTED, 20)
        identity = station.core.identity
        team = CareTeam(station.link, station.engine.rest, provider_id=identity.provider_id,
                        tenant_id=identity.tenant_id, name="Olivia Brooks", role="coordinator",
                        heartbeat_seconds=3600)
        mine = [p for p in patients if p in {r["id"] for r in await station.engine.rest.patients()}]
        await team.start(mine)
        deadline = time.monotonic() + 20
        while not any(team.apps.get(p) for p in mine if p in with_login):
            assert time.monotonic() < deadline, f"no simulated app online: {team.apps}"
            await asyncio.sleep(0.1)  # polls what presence reported, bounded by the deadline
        online = {p for p in mine if team.apps.get(p)}
        assert online <= with_login and online  # only apps that exist show online
        await team.stop()
    finally:
        if station is not None:
            await station.stop()
        stop_sandbox(sandbox)
        shutil.rmtree(root, ignore_errors=True)
