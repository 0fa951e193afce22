"""The care team around the station: this workstation's presence and heartbeat, the colleagues online,
the panel patients' apps, and the tenant's metrics as they arrive. Listeners are plain callables called
on the event loop; the window subscribes to them (``ui/care_team_panel.py``, the census columns).

Heartbeat: once a minute ``public.workstation_heartbeat`` (the per-minute metrics job counts stations
online from it: a database job cannot read Realtime's presence)."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime

from tjv_desktop.backend.presence import CareTeamPresence, PatientAppPresence
from tjv_desktop.backend.realtime import RealtimeLink
from tjv_desktop.backend.rest import RestError
from tjv_desktop.domain.care_team import Colleague, workstation_meta

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 60.0


class CareTeam:
    def __init__(self, link: RealtimeLink, rest, *, provider_id: str, tenant_id: str, name: str, role: str,
                 workstation: str | None = None, heartbeat_seconds: float = HEARTBEAT_SECONDS,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.rest, self.clock = rest, clock
        self.provider_id = provider_id
        self.workstation = (workstation or socket.gethostname() or "workstation")[:100]
        self.heartbeat_seconds = heartbeat_seconds
        self.colleagues: list[Colleague] | None = None
        self.apps: dict[str, bool | None] = {}
        self.last_seen: dict[str, datetime] = {}  # patient -> when their app was last seen online
        self.locked = False
        self.colleagues_did_change: list[Callable[[list[Colleague] | None], None]] = []
        self.app_did_change: list[Callable[[str, bool | None, datetime | None], None]] = []
        self.metrics_did_arrive: list[Callable[[list[dict]], None]] = []
        # patient -> names of their other assigned clinicians online now
        self.team_did_change: list[Callable[[str, list[str]], None]] = []
        self.assigned: dict[str, set[str]] = {}  # patient -> providers actively assigned
        self.team_online: dict[str, list[str]] = {}
        key = f"{provider_id}:{self.workstation}"
        meta = workstation_meta(provider_id, name, role, self.workstation, clock(), False)
        self.presence = CareTeamPresence(link, tenant_id, key, meta, self._colleagues, self._metrics)
        self.patients = PatientAppPresence(link, key, self._app)
        self._watching = asyncio.Lock()
        self._wanted: list[str] = []
        self._watched_for: list[str] | None = None
        self._heartbeat: asyncio.Task | None = None

    def _colleagues(self, found: list[Colleague] | None) -> None:
        self.colleagues = found
        for listener in list(self.colleagues_did_change):
            listener(found)
        self._judge_teams()

    def _judge_teams(self) -> None:
        """Per patient, which of their other assigned clinicians are online now; tells only changes."""
        online: dict[str, str] = {}
        for c in self.colleagues or []:
            if c.provider_id != self.provider_id:
                online.setdefault(c.provider_id, c.name)
        for patient_id, providers in self.assigned.items():
            names = sorted(online[p] for p in providers if p in online)
            if names != self.team_online.get(patient_id, []):
                self.team_online[patient_id] = names
                for listener in list(self.team_did_change):
                    listener(patient_id, names)

    async def _load_teams(self, patient_ids: list[str]) -> bool:
        try:
            self.assigned = await self.rest.care_team_of(list(patient_ids)) if patient_ids else {}
        except RestError as exc:  # offline: the next watch (a resync changing the panel) reads them
            log.info("care teams not read: %s", exc)
            return False
        self._judge_teams()
        return True

    def _metrics(self, rows: list[dict]) -> None:
        for listener in list(self.metrics_did_arrive):
            listener(rows)

    def _app(self, patient_id: str, online: bool | None) -> None:
        was = self.apps.get(patient_id)
        self.apps[patient_id] = online
        if online or (was and online is False):
            self.last_seen[patient_id] = self.clock()  # online now, or seen until this moment
        for listener in list(self.app_did_change):
            listener(patient_id, online, self.last_seen.get(patient_id))

    async def start(self, patient_ids: list[str]) -> None:
        await self.presence.start()
        await self.watch_patients(patient_ids)
        self._heartbeat = asyncio.create_task(self._beat(), name="tjv-heartbeat")

    async def watch_patients(self, patient_ids: list[str]) -> None:
        """Watches these patients' apps and reads their care teams. Calls come in bursts (the census
        fills in slices, each a rowsInserted): they run one at a time and each takes the newest list,
        so an older, shorter list answered late can never replace a newer one."""
        self._wanted = list(patient_ids)
        async with self._watching:
            wanted = self._wanted
            if wanted == self._watched_for:
                return
            await self.patients.watch(wanted)
            if await self._load_teams(wanted):
                self._watched_for = wanted

    async def set_locked(self, locked: bool) -> None:
        self.locked = locked
        await self.presence.set_locked(locked)

    async def _beat(self) -> None:
        while True:
            try:
                await self.rest.workstation_heartbeat(self.workstation, self.locked)
            except RestError as exc:  # offline or refused: the next beat tries again
                log.info("workstation heartbeat not recorded: %s", exc)
            await asyncio.sleep(self.heartbeat_seconds)

    async def stop(self) -> None:
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.gather(self._heartbeat, return_exceptions=True)
        await self.patients.stop()
        await self.presence.stop()
