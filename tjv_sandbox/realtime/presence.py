"""Presence: one entry per joined channel under its presence key, Phoenix-style refs and diffs.

Metas carry a 16-character ``phx_ref`` (and ``phx_ref_prev`` after an update); ``presence_diff`` goes to
every presence-enabled member of the topic space, the tracking channel included.
"""

from __future__ import annotations

import base64
import itertools
import logging
import secrets
import struct
import time
from typing import TYPE_CHECKING

from .broadcast import Space, deliver
from .serializer import Message, dumps

if TYPE_CHECKING:
    from .channels import Channel

log = logging.getLogger(__name__)

_counter = itertools.count()
_REF_KEYS = ("phx_ref", "phx_ref_prev")


def new_ref() -> str:
    """Like Phoenix.Tracker: url-safe base64 of <<nanos::64, hash::16, unique::16>>, 16 characters."""
    raw = struct.pack(">QHH", time.time_ns(), secrets.randbits(16), next(_counter) & 0xFFFF)
    return base64.urlsafe_b64encode(raw).decode()


def _user_fields(meta: dict) -> dict:
    return {k: v for k, v in meta.items() if k not in _REF_KEYS}


class PresenceRegistry:
    def __init__(self) -> None:
        # space -> presence key -> channel -> meta
        self._spaces: dict[Space, dict[str, dict[Channel, dict]]] = {}

    def state(self, space: Space) -> dict:
        return {key: {"metas": list(entries.values())} for key, entries in self._spaces.get(space, {}).items()}

    def track(self, channel: Channel, payload: dict) -> dict | None:
        """Adds or updates the channel's entry; the diff to fan out, or None if nothing changed."""
        entries = self._spaces.setdefault(channel.space, {}).setdefault(channel.presence_key, {})
        old = entries.get(channel)
        if old is not None and _user_fields(old) == payload:
            return None
        meta = {**payload, "phx_ref": new_ref()}
        key = channel.presence_key
        if old is None:
            entries[channel] = meta
            return {"joins": {key: {"metas": [meta]}}, "leaves": {}}
        meta["phx_ref_prev"] = old["phx_ref"]
        entries[channel] = meta
        return {"joins": {key: {"metas": [meta]}}, "leaves": {key: {"metas": [old]}}}

    def untrack(self, channel: Channel) -> dict | None:
        space = self._spaces.get(channel.space)
        entries = space.get(channel.presence_key) if space else None
        if not entries or channel not in entries:
            return None
        old = entries.pop(channel)
        if not entries:
            del space[channel.presence_key]
            if not space:
                del self._spaces[channel.space]
        return {"joins": {}, "leaves": {channel.presence_key: {"metas": [old]}}}


def listeners(server, space: Space) -> list[Channel]:
    return [m for m in server.registry.members(space) if m.presence_enabled and m.can_read.get("presence", False)]


def publish_diff(server, space: Space, diff: dict | None) -> None:
    if diff:
        deliver(listeners(server, space), "realtime:" + space[1], "presence_diff", diff)


def push_state(channel: Channel) -> None:
    """``presence_state`` to a channel that just joined (a channel push: carries its join_ref)."""
    channel.push("presence_state", channel.server.presence.state(channel.space))


async def handle_push(channel: Channel, msg: Message) -> None:
    """A ``presence`` push: ``{"event": "track"|"untrack", "payload": {...}}`` (event case-insensitive)."""
    payload = msg.payload if isinstance(msg.payload, dict) else {}
    event = str(payload.get("event", "")).lower()
    if event not in ("track", "untrack"):
        channel.reply(msg.ref, "error", {})
        return
    if channel.private and not await channel.write_allowed("presence"):
        channel.reply(msg.ref, "error", {})
        return
    server = channel.server
    if event == "untrack":
        channel.reply(msg.ref, "ok", {})
        publish_diff(server, channel.space, server.presence.untrack(channel))
        return
    user = payload.get("payload", {})
    if not isinstance(user, dict):
        channel.reply(msg.ref, "error", {"reason": "Presence track payload must be a map"})
        return
    if len(dumps(user).encode()) > server.config.max_payload_bytes:
        # The tenant's payload limit, as for broadcasts; the real server then shuts the channel down.
        log.info("realtime: presence payload on %s exceeds the payload size limit", channel.topic)
        channel.stop("Track message size exceeded")
        return
    if not channel.presence_enabled:
        channel.presence_enabled = True  # a track auto-enables presence, without a presence_state
    channel.reply(msg.ref, "ok", {})
    publish_diff(server, channel.space, server.presence.track(channel, user))
