"""Collaborative sessions on the station: ``SessionsService`` lists, creates and opens sessions (rows over
``backend.sessions.SessionsApi``); ``OpenSession`` is one joined session, on the private
``session:<id>`` channel joined on the realtime link's own supervised socket (no second socket). It
feeds the channel's broadcasts and presence to a ``SessionEngine`` and keeps the document saved:
periodically while it changes, when this member leaves, and when the session is closed. A save merges
what the database holds first (another member may have saved since) and writes only if the row is still
the one it read (``updated_at``), retrying otherwise, so concurrent savers never drop each other's edits.

The realtime channel objects are the backend's (``ExtraChannel.setup`` hands them over); this module
uses them only through the calls named in ``SessionChannel``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from typing import Any, Protocol

from tjv_desktop.backend.realtime import ExtraChannel, RealtimeLink
from tjv_desktop.backend.rest import RestError
from tjv_desktop.backend.sessions import SessionRefused, SessionsApi
from tjv_desktop.tasks import cancel_and_wait

from .engine import Me, SessionEngine
from .keys import SessionKeyRing

log = logging.getLogger(__name__)

SAVE_ATTEMPTS = 5


class SessionChannel(Protocol):
    """The calls this module makes on a joined realtime channel."""

    presence: Any

    def on_broadcast(self, event: str, callback: Callable[[dict], None]) -> Any: ...
    def on_presence_sync(self, callback: Callable[[], None]) -> Any: ...
    async def send_broadcast(self, event: str, data: dict) -> None: ...
    async def track(self, meta: dict) -> None: ...


class OpenSession:
    """One session this station has joined. ``state`` is ``joining``, ``joined``, ``offline``,
    ``refused`` or ``closed``; ``state_listeners`` hear every change with a reason."""

    def __init__(self, link: RealtimeLink, api: SessionsApi, row: dict, me: Me, ring: SessionKeyRing | None,
                 *, save_interval: float = 30.0, may_close: bool = True):
        self.link, self.api, self.row, self.me = link, api, row, me
        # The schema's rule: only the session's creator or a coordinator (or admin) closes it.
        self.may_close = may_close
        self.session_id: str = row["id"]
        self.title: str = row.get("title") or ""
        self.engine = SessionEngine(self.session_id, me, ring, self._send, self._track)
        self.engine.doc.change_listeners.append(lambda _remote: self._mark_dirty())
        self.engine.closed_listeners.append(self._on_closed)
        self.save_interval = save_interval
        self.state, self.reason = "joining", ""
        self.state_listeners: list[Callable[[str, str], None]] = []
        self.dirty = False
        self.saves = 0
        self._channel: SessionChannel | None = None
        self._saver: asyncio.Task | None = None
        self._save_lock = asyncio.Lock()
        self._extra = ExtraChannel(
            f"session:{self.session_id}",
            {"broadcast": {"ack": False, "self": False}, "presence": {"key": me.user_id, "enabled": True},
             "private": True},
            setup=self._setup, on_joined=self._joined, on_lost=self._lost, on_refused=self._refused)

    def _set_state(self, state: str, reason: str = "") -> None:
        self.state, self.reason = state, reason
        log.info("session %s: %s%s", self.session_id, state, f" ({reason})" if reason else "")
        for listener in list(self.state_listeners):
            listener(state, reason)

    # -- channel ------------------------------------------------------------------------------------

    def _setup(self, channel: SessionChannel) -> None:
        channel.on_broadcast("*", lambda payload: self.engine.handle_broadcast(
            str(payload.get("event", "")), payload.get("payload")))
        channel.on_presence_sync(lambda: self.engine.handle_presence(dict(channel.presence.state)))

    def _joined(self, channel: SessionChannel) -> None:
        self._channel = channel
        self.engine.joined()
        self._set_state("joined")

    def _lost(self, reason: str) -> None:
        self._channel = None
        self.engine.left()
        if self.state not in ("closed", "refused"):
            self._set_state("offline", reason)

    def _refused(self, reason: str) -> None:
        self._channel = None
        self.engine.left()
        self._set_state("refused", reason)

    async def _send(self, event: str, payload: dict) -> None:
        channel = self._channel
        if channel is None:
            raise ConnectionError("not joined")
        self.link.health.messages_out.add()
        await channel.send_broadcast(event, payload)

    async def _track(self, meta: dict) -> None:
        channel = self._channel
        if channel is None:
            raise ConnectionError("not joined")
        await channel.track(meta)

    # -- lifecycle ----------------------------------------------------------------------------------

    async def open(self) -> None:
        """Merges the saved document, then joins the channel (on this and every later connection)."""
        self.engine.import_state(self.row.get("document_state"))
        self.dirty = False
        await self.link.attach(self._extra)
        self._saver = asyncio.create_task(self._save_periodically(), name=f"tjv-save-{self.session_id}")

    async def leave(self) -> None:
        """Saves what changed, then leaves the channel."""
        await cancel_and_wait([self._saver])
        if self.dirty and self.state != "refused":
            with contextlib.suppress(RestError):
                await self.save()
        await self.link.detach(self._extra.name)
        await self.engine.stop()

    async def close_session(self) -> bool:
        """Saves the document and marks the session closed for everyone; False if the server refused."""
        if not await self.save(close=True):
            return False
        self.engine.mark_closed(announce=True)
        await asyncio.sleep(0)  # let the "closed" broadcast leave before the channel does
        await self.leave()
        return True

    def _on_closed(self) -> None:
        self._set_state("closed")

    def _mark_dirty(self) -> None:
        self.dirty = True

    async def _save_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.save_interval * random.uniform(0.8, 1.2))  # the save period, jittered
            if self.dirty and not self.engine.closed and self.state != "refused":
                try:
                    await self.save()
                except RestError as exc:
                    log.warning("session %s: document not saved, will retry: %s", self.session_id, exc)

    async def save(self, close: bool = False) -> bool:
        """Merge what the database holds, then write unless someone saved in between (then retry)."""
        async with self._save_lock:
            for _attempt in range(SAVE_ATTEMPTS):
                row = await self.api.load(self.session_id)
                if row is None:
                    raise SessionRefused("the session is not visible to this user")
                if row["status"] == "closed":
                    self.engine.mark_closed(announce=False)
                    return False
                self.engine.import_state(row.get("document_state"))
                self.dirty = False
                state, text = self.engine.export_state()
                saved = await self.api.save(self.session_id, state, text, row["updated_at"], close=close)
                if saved is not None:
                    self.row = saved
                    self.saves += 1
                    return True
                log.info("session %s: saved by someone else meanwhile; merging again", self.session_id)
            self.dirty = True
            return False


class SessionsService:
    """What the UI uses: list, create and open sessions as the signed-in provider."""

    def __init__(self, api: SessionsApi, link: RealtimeLink, *, user_id: str, role: str | None,
                 tenant_id: str | None, provider_id: str | None, email: str | None = None,
                 key_ring: SessionKeyRing | None = None, key_problem: str | None = None,
                 save_interval: float = 30.0):
        self.api = api
        self.link = link
        self.user_id, self.role, self.tenant_id, self.provider_id = user_id, role, tenant_id, provider_id
        self.email = email
        self.key_ring = key_ring
        self.key_problem = key_problem  # keys were provisioned but cannot be used: no session at all
        self.save_interval = save_interval
        self._name: str | None = None

    @property
    def encrypted(self) -> bool:
        return self.key_ring is not None

    async def list_open(self) -> list[dict]:
        return await self.api.list_open()

    async def create(self, title: str, patient_id: str | None = None) -> dict:
        if not self.tenant_id or not self.provider_id:
            raise SessionRefused("only providers of a tenant can open sessions")
        title = title.strip()
        if not 0 < len(title) <= 200:
            raise ValueError("a session title needs 1-200 characters")
        return await self.api.create(title, self.tenant_id, self.provider_id, patient_id)

    async def me(self) -> Me:
        if self._name is None:
            self._name = await self.api.my_name(self.user_id) or self.email or "?"
        return Me(self.user_id, self._name, self.role or "clinician")

    async def open(self, session_id: str) -> OpenSession:
        if self.key_problem:
            raise SessionRefused(f"the session key of this workstation is unusable ({self.key_problem}); "
                                 "ask IT to provision it again")
        row = await self.api.load(session_id)
        if row is None:
            raise SessionRefused("this session does not exist or is not shared with you")
        if row["status"] != "open":
            raise SessionRefused("this session is closed")
        may_close = row.get("created_by") == self.provider_id or self.role in ("coordinator", "admin")
        session = OpenSession(self.link, self.api, row, await self.me(), self.key_ring,
                              save_interval=self.save_interval, may_close=may_close)
        await session.open()
        return session
