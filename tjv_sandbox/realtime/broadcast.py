"""Topic membership and broadcast fan-out.

A topic space is ``(private, subtopic)``: public and private channels with the same name never see each
other's messages, as on the real server. Fan-out encodes a message at most once per serializer version and
only enqueues frames (see ``Connection.send_frame``), so one slow or dead socket never delays the others.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .serializer import Message, UserBroadcast, dumps, encode, encode_user_broadcast

if TYPE_CHECKING:
    from .channels import Channel

log = logging.getLogger(__name__)

Space = tuple[bool, str]


class Registry:
    """Which joined channels (across all sockets) belong to each topic space."""

    def __init__(self) -> None:
        self._spaces: dict[Space, dict[Channel, None]] = {}

    def add(self, channel: Channel) -> None:
        self._spaces.setdefault(channel.space, {})[channel] = None

    def remove(self, channel: Channel) -> None:
        members = self._spaces.get(channel.space)
        if members is not None:
            members.pop(channel, None)
            if not members:
                del self._spaces[channel.space]

    def members(self, space: Space) -> list[Channel]:
        return list(self._spaces.get(space, ()))


def deliver(members: list[Channel], topic: str, event: str, payload: Any) -> None:
    """A fan-out message (``join_ref`` and ``ref`` null) to each member."""
    frames: dict[int, str] = {}
    for member in members:
        vsn = member.conn.vsn
        frame = frames.get(vsn)
        if frame is None:
            frame = frames[vsn] = encode(Message(topic, event, payload), vsn)
        member.conn.send_frame(frame)
    _delivered(members, event == "broadcast")


def deliver_user_broadcast(members: list[Channel], topic: str, ub: UserBroadcast) -> None:
    """Kind 4 to 2.0.0 sockets, JSON ``broadcast`` to 1.0.0 sockets; binary payloads skip 1.0.0 sockets."""
    frames: dict[int, str | bytes | None] = {}
    reached = []
    for member in members:
        vsn = member.conn.vsn
        if vsn not in frames:
            frames[vsn] = encode_user_broadcast(topic, ub, vsn)
        frame = frames[vsn]
        if frame is not None:
            member.conn.send_frame(frame)
            reached.append(member)
    _delivered(reached, True)


def _delivered(members: list[Channel], broadcast: bool) -> None:
    """Bills one message per receiving client; while the project's events rate is tripped, a channel
    that receives a broadcast is shut down (Supabase's "Too many messages per second")."""
    if not members:
        return
    meter = members[0].server.meter
    meter.count("delivered", len(members))
    if broadcast and meter.rate.triggered:
        for member in members:
            member.stop("Too many messages per second")


def readers(server, space: Space, exclude: Channel | None = None) -> list[Channel]:
    return [m for m in server.registry.members(space) if m is not exclude and m.can_read.get("broadcast", False)]


def publish(server, space: Space, payload: dict | UserBroadcast, exclude: Channel | None = None) -> None:
    """Delivers a broadcast to every channel of ``space`` allowed to read broadcasts."""
    topic = "realtime:" + space[1]
    members = readers(server, space, exclude)
    if isinstance(payload, UserBroadcast):
        deliver_user_broadcast(members, topic, payload)
    else:
        deliver(members, topic, "broadcast", payload)


def payload_size(payload: dict | UserBroadcast) -> int:
    return payload.size if isinstance(payload, UserBroadcast) else len(dumps(payload).encode())


async def handle_push(channel: Channel, msg: Message) -> None:
    """A ``broadcast`` push from a joined channel (V1/V2 text or binary kind 3)."""
    payload = msg.payload
    if not isinstance(payload, (dict, UserBroadcast)):
        log.warning("realtime: dropped broadcast on %s: payload is not an object", msg.topic)
        return
    server = channel.server
    if payload_size(payload) > server.config.max_payload_bytes:
        log.info("realtime: broadcast on %s exceeds the payload size limit", msg.topic)
        if channel.ack:
            # Phoenix encodes {:error, :payload_size_exceeded} with a bare string response.
            channel.reply(msg.ref, "error", "payload_size_exceeded")
        return
    if channel.private and not await channel.write_allowed("broadcast"):
        return  # the real server drops it silently, even with ack
    server.meter.count("client_broadcast")
    if channel.ack:
        channel.reply(msg.ref, "ok", {})
    if isinstance(payload, dict):
        payload = {**payload, "type": "broadcast"}
    publish(server, channel.space, payload, exclude=None if channel.self_broadcast else channel)
