"""Broadcast Replay (``config.broadcast.replay = {since, limit}`` on a private join), as the real server:

- join errors: a public channel → ``UnableToReplayMessages: Replay is not allowed for public channels``;
  no broadcast read → ``Unauthorized: …``; ``since`` not an integer of epoch milliseconds or ``limit``
  not an integer → ``UnableToReplayMessages: Replay params are not valid``; a ``replay`` that is not an
  object replays nothing;
- ``limit`` defaults to 25 and is clamped to 1–25; the newest ``limit`` broadcast rows of the topic with
  ``since <= inserted_at < now + 1 min`` (private, extension broadcast; no per-message RLS, retention is
  the partitions' 72 h) are pushed after the join reply, oldest first, each with
  ``meta = {"replayed": true, "id"}``; live copies of replayed ids are not delivered again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg

from .serializer import BINARY_ENCODING, JSON_ENCODING, Message, UserBroadcast, encode_user_broadcast

if TYPE_CHECKING:
    from .channels import Channel

log = logging.getLogger(__name__)

MAX_LIMIT = 25
# DateTime.from_unix/2 in milliseconds accepts years -9999..9999
MIN_SINCE, MAX_SINCE = -377_705_116_800_000, 253_402_300_799_999
PARAMS_NOT_VALID = "UnableToReplayMessages: Replay params are not valid"
PUBLIC_CHANNEL = "UnableToReplayMessages: Replay is not allowed for public channels"
FAILED = "UnableToReplayMessages: Realtime was unable to replay messages"

_QUERY = """
select id::text, event, payload::text, binary_payload
from realtime.messages
where topic = $1 and private is true and extension = 'broadcast' and inserted_at >= $2 and inserted_at < $3
order by inserted_at desc
limit $4
"""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


async def prepare(channel: Channel, config: dict) -> str | None:
    """At join, after the read check: the join error reason, or None (the rows to push are kept on the
    channel)."""
    broadcast = config.get("broadcast")
    if not isinstance(broadcast, dict) or "replay" not in broadcast:
        return None
    if not channel.private:
        return PUBLIC_CHANNEL
    if not channel.can_read["broadcast"]:
        return f"Unauthorized: You do not have permissions to read from this Channel topic: {channel.sub_topic}"
    params = broadcast["replay"]
    if not isinstance(params, dict):
        return None
    since, limit = params.get("since"), params.get("limit")
    limit = MAX_LIMIT if limit is None else limit
    if not _is_int(since) or not _is_int(limit) or not MIN_SINCE <= since <= MAX_SINCE:
        return PARAMS_NOT_VALID
    limit = max(1, min(limit, MAX_LIMIT))
    start = datetime.min if since < -62_135_596_800_000 else \
        datetime.fromtimestamp(since / 1000, UTC).replace(tzinfo=None)
    until = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=1)
    try:
        rows = await channel.server.ctx.require_pool().fetch(_QUERY, channel.sub_topic, start, until, limit)
    except (OSError, asyncpg.PostgresError) as exc:
        log.warning("realtime: replay on %s failed: %s", channel.topic, exc)
        return FAILED
    channel.replay_rows = list(reversed(rows))
    channel.replayed_ids = {r["id"] for r in rows}
    return None


def push(channel: Channel) -> None:
    """The replayed messages, oldest first, as channel pushes (binary payloads skip 1.0.0 sockets)."""
    rows, channel.replay_rows = channel.replay_rows, []
    channel.server.meter.count("replayed", len(rows))
    for row in rows:
        meta = {"replayed": True, "id": row["id"]}
        if row["binary_payload"] is not None:
            ub = UserBroadcast(row["event"], bytes(row["binary_payload"]), BINARY_ENCODING, meta)
            frame = encode_user_broadcast(channel.topic, ub, channel.conn.vsn)
            if frame is not None:
                channel.conn.send_frame(frame)
        else:
            payload = UserBroadcast(row["event"], row["payload"].encode(), JSON_ENCODING, meta).json_payload()
            channel.conn.push(Message(channel.topic, "broadcast", payload, None, channel.join_ref))
