"""One member's side of a collaborative session, independent of transport and UI.

The backend gives the engine two coroutines, ``send(event, payload)`` (a broadcast on ``session:<id>``)
and ``track(meta)`` (this member's presence), and feeds it what arrives: ``handle_broadcast`` and
``handle_presence``. ``joined()`` is called after every (re)join, ``left()`` when the channel is lost.

Protocol (broadcast events; every payload is an ``envelope``):

- ``doc``: ``{"u": <update>}``, a document change, sent as the user types;
- ``sync``: ``{"sv": <state vector>}``, sent on every (re)join: "send me what I lack";
- ``sync-reply``: ``{"to", "u", "sv"}``: what the asker lacks, and the replier's own state vector, to which
  the asker answers with a ``doc`` holding what the replier lacks (edits made while offline);
- ``lead``: ``{"rev", "since", "at"}``: a lead claim (``since`` > 0) or release, revision-numbered per sender;
- ``focus``: ``{"patient"}``: the selection of the member who leads; followers' detail follows it;
- ``closed``: ``{}``: the session was closed.

Anything that fails a check (size, shape, key, session, replay, freshness) is dropped, logged and counted in
``rejected``; it never changes the document or the screen.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import secrets
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from ..tasks import cancel_and_wait
from .document import HandoffDocument, InvalidUpdate
from .envelope import Envelope, Rejected, _aad
from .keys import SessionKeyRing
from .presence import Member, is_uuid, members_from_state
from .replay import ReplayGuard

log = logging.getLogger(__name__)

EVENTS = ("doc", "sync", "sync-reply", "lead", "focus", "closed")
MAX_MESSAGE_BYTES = 250_000  # below the hosted 256 KB broadcast payload limit
TRACK_INTERVAL_S = 6.0  # Supabase allows 5 presence calls per client per 30 s
GAP_SYNC_DELAY_S = 0.5  # after an update that builds on something missing, ask for a sync this soon
ANTI_ENTROPY_S = 20.0  # and, while remote changes keep coming, resync this often anyway
PLAIN_PREFIX, SEALED_PREFIX = "tjv-crdt:1:", "tjv-crdt-sealed:1:"


@dataclass(frozen=True)
class Me:
    user_id: str
    name: str
    role: str


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _bytes(body: dict, key: str) -> bytes:
    value = body.get(key)
    if not isinstance(value, str):
        raise Rejected("malformed", f"{key} is missing")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise Rejected("malformed", f"{key} is not base64") from None


class SessionEngine:
    def __init__(self, session_id: str, me: Me, ring: SessionKeyRing | None,
                 send: Callable[[str, dict], Awaitable[None]], track: Callable[[dict], Awaitable[None]], *,
                 clock: Callable[[], float] = time.time, replay: ReplayGuard | None = None):
        self.session_id, self.me = session_id, me
        self.topic = f"session:{session_id}"
        self.inst = secrets.token_urlsafe(12)
        self.envelope = Envelope(session_id, self.topic, ring, self.inst, clock=clock)
        self.replay = replay or ReplayGuard(clock=clock)
        self.clock = clock
        self._send, self._track = send, track
        self.doc = HandoffDocument()
        self.doc.local_update_listeners.append(self._local_update)
        self.since = datetime.now(UTC)
        self.members: list[Member] = []
        self.looking_at: str | None = None
        self.following = False
        self.closed = False
        self.online = False
        self.rejected: Counter[str] = Counter()
        self._lead_rev, self._lead_since = 0, 0
        self._claims: dict[str, tuple[int, int]] = {}  # inst -> (rev, since)
        self._focus: dict[str, str | None] = {}  # inst -> patient, from focus messages
        self._last_track = 0.0
        self._track_task: asyncio.Task | None = None
        self._gap_task: asyncio.Task | None = None
        self._last_sync = 0.0
        self._outbox: asyncio.Queue[tuple[str, dict]] = asyncio.Queue()
        self._sender: asyncio.Task | None = None
        self.members_listeners: list[Callable[[list[Member]], None]] = []
        self.follow_listeners: list[Callable[[str], None]] = []
        self.rejected_listeners: list[Callable[[str, str], None]] = []
        self.closed_listeners: list[Callable[[], None]] = []

    @property
    def encrypted(self) -> bool:
        return self.envelope.encrypted

    # -- outgoing ----------------------------------------------------------------------------------

    def _post(self, event: str, body: dict) -> None:
        """Queues a message for the channel; while offline it is not sent (the rejoin sync catches up)."""
        if not self.online or self.closed:
            return
        payload = self.envelope.seal(event, body)
        if len(json.dumps(payload)) > MAX_MESSAGE_BYTES:
            log.error("session %s: a %s message is larger than %d bytes and was not sent; the document "
                      "reaches the others when it is saved", self.session_id, event, MAX_MESSAGE_BYTES)
            return
        self._outbox.put_nowait((event, payload))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.get_running_loop().create_task(self._drain(), name="tjv-session-send")

    async def _drain(self) -> None:
        while not self._outbox.empty():
            event, payload = self._outbox.get_nowait()
            try:
                await self._send(event, payload)
            except Exception as exc:  # a dead channel: the next join's sync repairs what was lost
                log.info("session %s: %s not sent: %s", self.session_id, event, exc)

    def _local_update(self, update: bytes) -> None:
        self._post("doc", {"u": _b64(update)})

    def _meta(self) -> dict:
        meta = {"inst": self.inst, "name": self.me.name, "role": self.me.role, "since": self.since.isoformat(),
                "lr": self._lead_rev, "lead": self._lead_since}
        if self.looking_at is not None:
            meta["at"] = self.envelope.seal_field("at", self.looking_at)
        return meta

    def _track_soon(self, now: bool = False) -> None:
        """Presence is rate-limited by the service: at most one track per TRACK_INTERVAL_S, the last wins."""
        if not self.online or self.closed or (self._track_task is not None and not self._track_task.done()):
            return
        delay = 0.0 if now else max(0.0, self._last_track + TRACK_INTERVAL_S - time.monotonic())
        self._track_task = asyncio.get_running_loop().create_task(self._track_after(delay))

    async def _track_after(self, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)  # the service's rate limit, not synchronisation
        self._last_track = time.monotonic()
        try:
            await self._track(self._meta())
        except Exception as exc:
            log.info("session %s: presence not updated: %s", self.session_id, exc)

    # -- lifecycle ---------------------------------------------------------------------------------

    def joined(self) -> None:
        """After every (re)join: announce ourselves and ask the others for what we lack."""
        self.online = True
        self._track_task = None
        self._track_soon(now=True)
        self.request_sync()

    def request_sync(self) -> None:
        """Asks every member for what this replica lacks (they answer with it and their own state)."""
        self._last_sync = time.monotonic()
        self._post("sync", {"sv": _b64(self.doc.state_vector())})

    def _sync_soon(self) -> None:
        if self._gap_task is None or self._gap_task.done():
            self._gap_task = asyncio.get_running_loop().create_task(self._sync_after(GAP_SYNC_DELAY_S))

    async def _sync_after(self, delay: float) -> None:
        await asyncio.sleep(delay)  # let the missing piece arrive on its own first
        self.request_sync()

    def left(self) -> None:
        self.online = False
        if self._track_task is not None:
            self._track_task.cancel()
        self.members = []
        self._notify_members()

    async def stop(self) -> None:
        self.online = False
        # Bounded: a send stuck inside the realtime library must not keep the session from stopping.
        await cancel_and_wait([self._track_task, self._sender, self._gap_task])

    def mark_closed(self, announce: bool) -> None:
        if announce:
            self._post("closed", {})
        if not self.closed:
            self.closed = True
            for listener in list(self.closed_listeners):
                listener()

    # -- the user's actions ------------------------------------------------------------------------

    def focus(self, patient_id: str | None) -> None:
        """This member now looks at ``patient_id``: presence says so; if it leads, followers follow."""
        if patient_id == self.looking_at:
            return
        self.looking_at = patient_id
        if self.leader == self.inst:
            self._post("focus", {"patient": patient_id})
        self._track_soon()

    def lead(self, on: bool) -> None:
        self._lead_rev += 1
        self._lead_since = int(self.clock() * 1000) if on else 0
        self._claims[self.inst] = (self._lead_rev, self._lead_since)
        self._post("lead", {"rev": self._lead_rev, "since": self._lead_since, "at": self.looking_at})
        self._track_soon()
        self._notify_members()

    def follow(self, on: bool) -> None:
        self.following = on
        if on:
            self._follow_leader()

    @property
    def leader(self) -> str | None:
        present = {m.inst for m in self.members} | ({self.inst} if self.online else set())
        best = max(((since, inst) for inst, (_rev, since) in self._claims.items() if since and inst in present),
                   default=None)
        return best[1] if best else None

    def leader_member(self) -> Member | None:
        leader = self.leader
        return next((m for m in self.members if m.inst == leader), None)

    def _follow_leader(self) -> None:
        leader = self.leader
        if not self.following or leader is None or leader == self.inst:
            return
        patient = self._focus.get(leader)
        if patient is None:
            member = self.leader_member()
            patient = member.looking_at if member else None
        if patient is not None:
            for listener in list(self.follow_listeners):
                listener(patient)

    # -- incoming ----------------------------------------------------------------------------------

    def _reject(self, exc: Rejected, event: str) -> None:
        self.rejected[exc.kind] += 1
        log.warning("session %s: dropped a %r message (%s)", self.session_id, event[:40], exc)
        for listener in list(self.rejected_listeners):
            listener(exc.kind, exc.detail)

    def handle_broadcast(self, event: str, payload: object) -> None:
        try:
            if event not in EVENTS:
                raise Rejected("malformed", "unknown event")
            if len(json.dumps(payload)) > MAX_MESSAGE_BYTES:
                raise Rejected("oversized", f"more than {MAX_MESSAGE_BYTES} bytes")
            opened = self.envelope.open(event, payload)
            if opened.sender == self.inst:
                return
            self.replay.check(opened.sender, opened.seq, opened.sent_ms)
            self._dispatch(event, opened.sender, opened.body)
        except Rejected as exc:
            self._reject(exc, event)

    def _dispatch(self, event: str, sender: str, body: dict) -> None:
        if event == "doc":
            self._apply(_bytes(body, "u"))
        elif event == "sync":
            missing = self._missing_for(_bytes(body, "sv"))
            self._post("sync-reply", {"to": sender, "u": _b64(missing) if missing else None,
                                      "sv": _b64(self.doc.state_vector())})
        elif event == "sync-reply":
            if body.get("to") != self.inst:
                return
            if body.get("u") is not None:
                self._apply(_bytes(body, "u"))
            theirs = self._missing_for(_bytes(body, "sv"))
            if theirs:
                self._post("doc", {"u": _b64(theirs)})
        elif event == "lead":
            rev, since = body.get("rev"), body.get("since")
            if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (rev, since)):
                raise Rejected("malformed", "lead claim without revision or time")
            if rev > self._claims.get(sender, (-1, 0))[0]:
                self._claims[sender] = (rev, since)
                if is_uuid(body.get("at")):
                    self._focus[sender] = body["at"]
                self._notify_members()
                self._follow_leader()
        elif event == "focus":
            patient = body.get("patient")
            if patient is not None and not is_uuid(patient):
                raise Rejected("malformed", "focus on something that is not a patient id")
            self._focus[sender] = patient
            if sender == self.leader:
                self._follow_leader()
        elif event == "closed":
            self.mark_closed(announce=False)

    def _missing_for(self, state_vector: bytes) -> bytes | None:
        try:
            return self.doc.missing_for(state_vector)
        except InvalidUpdate as exc:
            raise Rejected("malformed", str(exc)) from None

    def _apply(self, update: bytes) -> None:
        try:
            self.doc.apply_remote(update)
        except InvalidUpdate as exc:
            raise Rejected("invalid-update", str(exc)) from None
        if self.doc.lacks_part_of(update):
            log.info("session %s: an update arrived before what it builds on; asking for a sync",
                     self.session_id)
            self._sync_soon()
        elif time.monotonic() - self._last_sync > ANTI_ENTROPY_S:
            self._sync_soon()

    def handle_presence(self, state: dict) -> None:
        members = [m for m in members_from_state(state, self.envelope)]
        self.members = members
        present = {m.inst for m in members} | {self.inst}
        for m in members:
            if m.lead_rev > self._claims.get(m.inst, (-1, 0))[0]:
                self._claims[m.inst] = (m.lead_rev, m.lead_since)
        for inst in list(self._claims):
            if inst not in present:
                del self._claims[inst]
                self._focus.pop(inst, None)
        self._notify_members()
        self._follow_leader()

    def _notify_members(self) -> None:
        for listener in list(self.members_listeners):
            listener(self.members)

    # -- the saved document ------------------------------------------------------------------------

    def export_state(self) -> tuple[str, str | None]:
        """``(document_state, document_text)`` for the database: sealed, and no text, when encrypted."""
        state = self.doc.state()
        if not self.encrypted:
            return PLAIN_PREFIX + _b64(state), self.doc.plain_text()
        sealed = self.envelope.seal_value(_aad("document_state", self.session_id, self.envelope.key_id),
                                          _b64(state))
        return SEALED_PREFIX + json.dumps(sealed, separators=(",", ":")), None

    def import_state(self, saved: str | None) -> None:
        """Merges a saved document into the replica (CRDT merge: nothing local is lost)."""
        if not saved:
            return
        try:
            if saved.startswith(PLAIN_PREFIX):
                if self.encrypted:
                    raise Rejected("plaintext", "the saved document is not encrypted")
                update = base64.b64decode(saved[len(PLAIN_PREFIX):], validate=True)
            elif saved.startswith(SEALED_PREFIX):
                try:
                    sealed = json.loads(saved[len(SEALED_PREFIX):])
                except json.JSONDecodeError:
                    raise Rejected("malformed", "saved document envelope") from None
                if not self.encrypted or not isinstance(sealed, dict):
                    raise Rejected("undecryptable", "the saved document is encrypted and this workstation "
                                   "has no session key")
                value = self.envelope.open_value(sealed, lambda kid: _aad("document_state", self.session_id, kid))
                update = base64.b64decode(value, validate=True) if isinstance(value, str) else b""
            else:
                raise Rejected("malformed", "unknown saved document format")
            self.doc.apply_remote(update)
        except (binascii.Error, ValueError) as exc:
            self._reject(Rejected("invalid-update", f"saved document: {exc}"), "document_state")
        except Rejected as exc:
            self._reject(exc, "document_state")
