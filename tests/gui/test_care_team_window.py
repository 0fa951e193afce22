"""The care team in the real window on the sandbox: the care-team dock shows a second workstation (the
official clients, as another station runs them) going online and offline; the census shows the patient
app online then "last seen" as the patient's official client comes and goes; a reply typed in the reply
box reaches the server and shows in the messages; the coordinator's metrics view plots a shift of
simulated per-minute figures with the tenant's limits. Screenshots in artifacts/, looked at."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from PySide6.QtCore import Qt
from realtime import AsyncRealtimeClient, RealtimeSubscribeStates

from tests.support.gui import live_window, run_qt, until
from tests.support.station import Station
from tjv_desktop.domain.events import LinkState
from tjv_desktop.sync.care_team import CareTeam
from tjv_desktop.ui.metrics_view import MetricsView
from tjv_desktop.ui.models import CensusModel

PATIENT_1 = "c0000000-0000-4000-8000-000000001001"
PATIENT_5 = "c0000000-0000-4000-8000-000000001005"
RIVERSIDE = "10000000-0000-4000-8000-000000000001"


def app_cell(window, patient_id: str) -> str:
    model = window.census_model
    row = model.keys().index(patient_id)
    return model.data(model.index(row, CensusModel.COLUMNS.index("app")))


async def surgeon_station(sandbox) -> tuple[Station, CareTeam]:
    station = Station(sandbox.url, sandbox.anon_key, email="surgeon@riverside.tjv.test")
    await station.start()
    await station.wait_state(LinkState.CONNECTED, 20)
    team = CareTeam(station.link, station.engine.rest, provider_id=station.provider_id, tenant_id=RIVERSIDE,
                    name="Dr. Samuel Hart", role="clinician", workstation="WS-THEATRE", heartbeat_seconds=3600)
    await team.start([PATIENT_5])
    return station, team


def test_colleagues_patient_apps_and_a_reply_in_the_real_window(qapp, sandbox, artifacts_dir):
    async def scenario():
        async with live_window(sandbox, size=(1600, 1000)) as (monitor, window):
            panel = window.care_team_panel
            await until(lambda: any("Emma Clarke" in n for n in panel.names()), 15, "this workstation listed")
            started = time.monotonic()
            station, team = await surgeon_station(sandbox)
            try:
                await until(lambda: any("WS-THEATRE" in n for n in panel.names()), 15, "the colleague online")
                online_s = time.monotonic() - started
                model = window.census_model
                name_of_5 = model.index(model.keys().index(PATIENT_5), CensusModel.COLUMNS.index("name"))
                await until(lambda: "Dr. Samuel Hart" in (model.data(name_of_5, Qt.ItemDataRole.ToolTipRole) or ""),
                            15, "the surgeon in patient 5's tooltip")
                window.grab().save(str(artifacts_dir / "care_team_window.png"))
            finally:
                left = time.monotonic()
                await team.stop()
                await station.stop()
            await until(lambda: not any("WS-THEATRE" in n for n in panel.names()), 15, "the colleague offline")
            offline_s = time.monotonic() - left

            # The patient's app, through the official client signed in as the patient.
            await until(lambda: window.census_model.row(PATIENT_1) is not None, 20, "patient 1 in the census")
            await until(lambda: PATIENT_1 in monitor.care_team.patients.watched, 20, "patient 1's app watched")
            app = AsyncRealtimeClient(f"{sandbox.url}/realtime/v1", token=sandbox.anon_key, auto_reconnect=False)
            await app.connect()
            await app.set_auth(sandbox.sign_in("patient1@riverside.tjv.test")["access_token"])
            channel = app.channel(f"patient:{PATIENT_1}:app", {"config": {
                "private": True, "broadcast": {}, "presence": {"key": "app", "enabled": True}}})
            joined: asyncio.Future = asyncio.get_running_loop().create_future()
            await channel.subscribe(lambda s, e: joined.done() or joined.set_result(s))
            async with asyncio.timeout(10):
                assert await asyncio.shield(joined) == RealtimeSubscribeStates.SUBSCRIBED
            await channel.track({"app": "patient", "since": datetime.now(UTC).isoformat()})
            await until(lambda: app_cell(window, PATIENT_1) == "app online", 15, "app online in the census")
            model = window.census_model
            source = model.index(model.keys().index(PATIENT_1), CensusModel.COLUMNS.index("app"))
            window.census_view.scrollTo(window.census_proxy.mapFromSource(source))
            window.grab().save(str(artifacts_dir / "care_team_census.png"))
            await app.close()
            await until(lambda: app_cell(window, PATIENT_1).startswith("last seen"), 15, "last seen in the census")
            seen = app_cell(window, PATIENT_1)

            # A reply from the reply box.
            window.select_patient(PATIENT_1)
            await until(lambda: window.detail.patient_id == PATIENT_1, 10, "patient 1's detail")
            body = f"Please call the ward ({uuid.uuid4().hex[:6]})"
            window.reply_box.text.setPlainText(body)
            window.reply_box.send_button.click()
            db = await asyncpg.connect(sandbox.db_url)
            try:
                deadline = time.monotonic() + 15
                while not await db.fetchval("select count(*) from messages where body = $1", body):
                    assert time.monotonic() < deadline, "the reply never reached the server"
                    await asyncio.sleep(0.1)  # polls the database, bounded by the deadline
            finally:
                await db.close()
            await until(lambda: body in window.detail.messages.toPlainText(), 10, "the reply in the messages")
            window.detail.tabs.setCurrentIndex(window.detail.tabs.indexOf(window.reply_box.parentWidget()))
            bar = window.detail.messages.verticalScrollBar()
            bar.setValue(bar.maximum())
            window.grab().save(str(artifacts_dir / "care_team_reply.png"))
            return online_s, offline_s, seen, window.detail.messages.toPlainText()

    online_s, offline_s, seen, messages = run_qt(qapp, scenario, timeout=120)
    print(f"colleague shown online {online_s:.2f} s after its sign-in began, offline {offline_s:.2f} s after it left")
    assert seen.startswith("last seen") and "ago" in seen
    assert "Please call the ward" in messages


def test_the_coordinators_metrics_view_plots_a_shift(qapp, sandbox, artifacts_dir):
    async def scenario():
        db = await asyncpg.connect(sandbox.db_url)
        try:
            now = await db.fetchval("select now()")
            # A simulated shift: 12 h of per-minute figures, p90 rising over the limit in the last hour.
            await db.execute(
                """insert into system_metrics (tenant_id, metric, value, recorded_at)
                   select $1, m.metric, case m.metric
                       when 'alerts_raised' then (i % 7 = 0)::int * (1 + i % 3)
                       when 'ack_median_s' then 90 + 30 * sin(i / 40.0)
                       when 'ack_p90_s' then 240 + 200 * sin(i / 60.0) + greatest(0, i - 660) * 8
                       when 'escalations' then (i % 97 = 0)::int
                       when 'stations_online' then 3 + (i / 120) % 2
                       else (i / 90) % 4 end,
                       $2::timestamptz - make_interval(mins => 720 - i)
                   from generate_series(0, 719) i,
                        unnest(array['alerts_raised', 'ack_median_s', 'ack_p90_s', 'escalations',
                                     'stations_online', 'stale_patients']) m(metric)""",
                uuid.UUID(RIVERSIDE), now - timedelta(minutes=2))
        finally:
            await db.close()
        async with live_window(sandbox, email="coordinator@riverside.tjv.test", size=(1600, 1000)) as (monitor, window):
            assert window.metrics_button.isVisible()
            rest = monitor.core.engine.rest
            view = MetricsView(rest.tenant_metrics)
            view.set_limits(await rest.tenant_limits(RIVERSIDE))
            view.resize(1100, 700)
            view.show()
            await view.show_range("shift")
            view.grab().save(str(artifacts_dir / "metrics_shift.png"))
            shift = {m: view.points(m) for m in ("ack_p90_s", "stations_online", "alerts_raised")}
            await view.show_range("week")
            week = view.points("ack_p90_s")
            view.close()
            return shift, week, dict(view.limits)

    shift, week, limits = run_qt(qapp, scenario, timeout=90)
    assert all(n >= 140 for n in shift.values()), shift  # 5-minute buckets over 12 h
    assert 12 <= week <= 14  # hourly buckets of the same 12 h
    assert limits == {"ack_p90_s": 600.0, "stale_patients": 3.0}


def test_the_handoff_button_exports_a_report_audited_on_the_server(qapp, sandbox, artifacts_dir, tmp_path):
    from tjv_desktop.ui.handoff_dialog import HandoffDialog

    async def scenario():
        async with live_window(sandbox, size=(1600, 1000)) as (monitor, window):
            await until(lambda: window.census_model.rowCount() == 8, 20, "the nurse's 8 patients")
            window.handoff_button.click()
            await until(lambda: any(d.patients for d in window.findChildren(HandoffDialog)), 20,
                        "the report's patients")
            dialog = window.findChildren(HandoffDialog)[0]
            await dialog.export_pdf(str(tmp_path / "handoff.pdf"))
            db = await asyncpg.connect(sandbox.db_url)
            try:
                rows = await db.fetch(
                    "select patient_id::text, actor_provider_id::text, details from audit_log "
                    "where action = 'handoff.export' and actor_provider_id = $1::uuid "
                    "and created_at > now() - interval '1 minute'", monitor.core.identity.provider_id)
            finally:
                await db.close()
            dialog.close()
            return [p.census.patient_id for p in dialog.patients], rows

    shown, rows = run_qt(qapp, scenario, timeout=90)
    assert len(shown) == 8
    assert sorted(r["patient_id"] for r in rows) == sorted(shown)  # one server audit row per patient
