"""The database feed: messages the database sends with ``realtime.send`` on private topics, and how this
station knows by itself that one never arrived (architecture §4).

Every message (event ``change``) carries ``{"seq", "table", "op", "rows", "at"}``: ``seq`` is consecutive
per topic in commit order (``supabase/migrations``), so a message whose ``seq`` is more than one past the
last one seen says, within that message, that something in between was lost (``realtime.send`` drops
silently and Realtime delivers at most once). ``TopicFeed`` keeps one topic's position: the last ``seq``
applied and the time of its message, which is where a rejoin asks Broadcast Replay to start.

Pure logic, no I/O: the realtime link feeds it what arrives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

DB_EVENT = "change"
# Broadcast Replay returns at most 25 messages per join (all plans): a full page may not be all.
REPLAY_LIMIT = 25
# Replay starts this long before the last message seen: ``inserted_at`` is the sending transaction's
# start, so a message committed later than ours may carry an earlier time.
REPLAY_MARGIN_MS = 5_000
OPS = ("INSERT", "UPDATE", "DELETE")


class FeedFormatError(ValueError):
    """A database message that does not follow the feed's format (it is logged and counted as a gap)."""


@dataclass(frozen=True, slots=True)
class FeedMessage:
    topic: str
    seq: int
    table: str
    op: str
    rows: tuple[Mapping[str, Any], ...]
    at_ms: int
    replayed: bool = False


def parse_message(topic: str, message: Mapping[str, Any]) -> FeedMessage:
    """A broadcast as the official client hands it over (``{event, payload, meta?}``) as a FeedMessage."""
    payload = message.get("payload")
    if not isinstance(payload, Mapping):
        raise FeedFormatError(f"{topic}: payload is not an object")
    seq, table, op, rows, at = (payload.get(k) for k in ("seq", "table", "op", "rows", "at"))
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise FeedFormatError(f"{topic}: seq {seq!r} is not a positive integer")
    if not isinstance(table, str) or not table:
        raise FeedFormatError(f"{topic}: no table")
    if op not in OPS:
        raise FeedFormatError(f"{topic}: op {op!r} is not one of {OPS}")
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        raise FeedFormatError(f"{topic}: rows is not a list of objects")
    if isinstance(at, bool) or not isinstance(at, int | float):
        raise FeedFormatError(f"{topic}: at {at!r} is not a time in epoch milliseconds")
    meta = message.get("meta")
    replayed = bool(meta.get("replayed")) if isinstance(meta, Mapping) else False
    return FeedMessage(topic, seq, table, op, tuple(rows), int(at), replayed)


class Verdict(Enum):
    APPLY = "apply"  # the next message, or the first one seen
    DUPLICATE = "duplicate"  # already applied, or covered by a resync: skip
    GAP = "gap"  # apply it, but something before it was lost: what is missing must be fetched


class TopicFeed:
    """One topic's position. ``last_seq`` None: nothing known yet (before the first resync)."""

    def __init__(self, topic: str):
        self.topic = topic
        self.last_seq: int | None = None
        self.last_at_ms: int | None = None
        self.gaps = 0
        self.duplicates = 0

    def accept(self, message: FeedMessage) -> Verdict:
        if self.last_seq is not None and message.seq <= self.last_seq:
            self.duplicates += 1
            return Verdict.DUPLICATE
        gap = self.last_seq is not None and message.seq > self.last_seq + 1
        self.last_seq = message.seq
        self.last_at_ms = max(self.last_at_ms or 0, message.at_ms)
        if gap:
            self.gaps += 1
            return Verdict.GAP
        return Verdict.APPLY

    def rebase(self, position: int) -> None:
        """A resync read the topic at ``position`` before fetching: everything up to it is in the store."""
        if self.last_seq is None or position > self.last_seq:
            self.last_seq = position

    def behind(self, position: int) -> bool:
        """The server has sent past what this station applied."""
        return position > (self.last_seq or 0)

    def replay(self) -> dict | None:
        """The join's ``config.broadcast.replay``: from just before the last message seen (None: no
        message seen yet, so a resync is the only way to catch up)."""
        if self.last_at_ms is None:
            return None
        return {"since": max(0, self.last_at_ms - REPLAY_MARGIN_MS), "limit": REPLAY_LIMIT}
