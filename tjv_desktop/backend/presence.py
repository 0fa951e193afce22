"""Presence on the station's realtime link, beside its channel plan (``RealtimeLink.attach``):

- ``CareTeamPresence``: this workstation tracked on ``tenant:<tenant_id>`` (who, role, workstation,
  since, locked) and the colleagues seen there; the same channel carries the database's per-minute
  ``system_metrics`` rows for the metrics view.
- ``PatientAppPresence``: whether each panel patient's app is online, from ``patient:<id>:app``
  (presence only), at most ``MAX_PATIENT_CHANNELS`` patients (Supabase allows 100 channels per socket).

Both report through plain callbacks on the event loop; None means "not known now" (the channel is not
joined), never "offline".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from realtime import AsyncRealtimeChannel

from ..domain.care_team import Colleague, app_online, colleagues
from .realtime import ExtraChannel, RealtimeLink

log = logging.getLogger(__name__)

MAX_PATIENT_CHANNELS = 90  # leaves room on the socket for the plan, the shown patient and sessions


def _presence_config(key: str) -> dict:
    return {"broadcast": {"ack": False, "self": False}, "presence": {"key": key, "enabled": True}, "private": True}


class CareTeamPresence:
    def __init__(self, link: RealtimeLink, tenant_id: str, key: str, meta: dict,
                 on_colleagues: Callable[[list[Colleague] | None], None],
                 on_metrics: Callable[[list[dict]], None] | None = None):
        self.link, self.meta = link, dict(meta)
        self.name = f"tenant:{tenant_id}"
        self._on_colleagues, self._on_metrics = on_colleagues, on_metrics
        self._channel: AsyncRealtimeChannel | None = None
        self._tasks: set[asyncio.Task] = set()
        self._extra = ExtraChannel(self.name, _presence_config(key), setup=self._setup, on_joined=self._joined,
                                   on_lost=self._lost, on_refused=self._refused)

    def _setup(self, channel: AsyncRealtimeChannel) -> None:
        channel.on_presence_sync(lambda: self._on_colleagues(colleagues(dict(channel.presence.state))))
        channel.on_broadcast("change", self._change)

    def _change(self, message: dict) -> None:
        payload = message.get("payload") if isinstance(message, dict) else None
        if self._on_metrics is not None and isinstance(payload, dict) and payload.get("table") == "system_metrics":
            self._on_metrics([r for r in payload.get("rows") or [] if isinstance(r, dict)])

    def _joined(self, channel: AsyncRealtimeChannel) -> None:
        self._channel = channel
        self._spawn(self._track())

    def _lost(self, reason: str) -> None:
        self._channel = None
        self._on_colleagues(None)

    def _refused(self, reason: str) -> None:
        log.warning("care-team presence refused: %s", reason)
        self._lost(reason)

    def _spawn(self, coro) -> None:
        task = asyncio.create_task(coro, name="tjv-care-team-track")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _track(self) -> None:
        channel = self._channel
        if channel is None:
            return
        try:
            await channel.track(self.meta)
        except Exception as exc:  # noqa: BLE001 - the socket died under the track: the next join tracks again
            log.info("care-team presence not tracked: %s", exc)

    async def start(self) -> None:
        await self.link.attach(self._extra)

    async def stop(self) -> None:
        await self.link.detach(self.name)
        self._channel = None

    async def set_locked(self, locked: bool) -> None:
        """Colleagues see the workstation locked (or unlocked) at once."""
        self.meta["locked"] = locked
        await self._track()


class PatientAppPresence:
    def __init__(self, link: RealtimeLink, key: str, on_change: Callable[[str, bool | None], None]):
        self.link, self.key, self._on_change = link, key, on_change
        self.watched: set[str] = set()

    def _extra(self, patient_id: str) -> ExtraChannel:
        def setup(channel: AsyncRealtimeChannel) -> None:
            channel.on_presence_sync(lambda: self._on_change(patient_id, app_online(dict(channel.presence.state))))

        return ExtraChannel(f"patient:{patient_id}:app", _presence_config(self.key), setup=setup,
                            on_joined=lambda _channel: None,
                            on_lost=lambda _reason: self._on_change(patient_id, None),
                            on_refused=lambda _reason: self._on_change(patient_id, None))

    async def watch(self, patient_ids: Iterable[str]) -> None:
        """Watches these patients' apps (the first ``MAX_PATIENT_CHANNELS`` in order), and no others."""
        wanted = list(dict.fromkeys(patient_ids))
        if len(wanted) > MAX_PATIENT_CHANNELS:
            log.warning("app presence shown for %d of %d patients (channel limit)", MAX_PATIENT_CHANNELS, len(wanted))
            wanted = wanted[:MAX_PATIENT_CHANNELS]
        for patient_id in sorted(self.watched - set(wanted)):
            self.watched.discard(patient_id)
            await self.link.detach(f"patient:{patient_id}:app")
            self._on_change(patient_id, None)
        for patient_id in wanted:
            if patient_id not in self.watched:
                self.watched.add(patient_id)
                await self.link.attach(self._extra(patient_id))

    async def stop(self) -> None:
        await self.watch(())
