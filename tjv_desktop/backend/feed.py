"""The database feed: messages the database sends with ``realtime.send`` on private topics, and how this
station knows by itself that one never arrived (architecture §4).

Every message (event ``change``) carries ``{"seq", "table", "op", "rows", "at"}``, or, when one transaction
changed several tables, ``{"seq", "parts": [{"table", "op", "rows"}, …], "at"}`` (the database sends one
message per topic per transaction). ``seq`` is consecutive
per topic in commit order (``supabase/migrations``), so a message whose ``seq`` is more than one past the
last one seen says, within that message, that something in between is missing (``realtime.send`` drops
silently and Realtime delivers at most once). ``TopicFeed`` keeps one topic's position: the last ``seq``
up to which everything was applied, what arrived ahead of it, and the time of the newest message, which
is where a rejoin asks Broadcast Replay to start.

Pure logic, no I/O: the realtime link feeds it what arrives.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

DB_EVENT = "change"
# Broadcast Replay returns at most 25 messages per join (all plans): a full page may not be all.
REPLAY_LIMIT = 25
# Replay starts this long before the last message seen: ``inserted_at`` is the sending transaction's
# start, so a message committed later than ours may carry an earlier time (a long transaction).
REPLAY_MARGIN_MS = 60_000
# A hole in a topic's sequence open this long is a lost message, not one still on its way.
HOLE_GRACE_SECONDS = 2.0
RECORD = 1_000
OPS = ("INSERT", "UPDATE", "DELETE")


class FeedFormatError(ValueError):
    """A database message that does not follow the feed's format (it is logged and counted as a gap)."""


@dataclass(frozen=True, slots=True)
class FeedPart:
    """The rows of one table and operation within a message."""

    table: str
    op: str
    rows: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True, slots=True)
class FeedMessage:
    topic: str
    seq: int
    parts: tuple[FeedPart, ...]
    at_ms: int
    replayed: bool = False

    @property
    def rows(self) -> tuple[Mapping[str, Any], ...]:
        return tuple(row for part in self.parts for row in part.rows)

    @property
    def tables(self) -> str:
        return ",".join(dict.fromkeys(part.table for part in self.parts))


def _part(topic: str, part: Mapping[str, Any]) -> FeedPart:
    table, op, rows = (part.get(k) for k in ("table", "op", "rows"))
    if not isinstance(table, str) or not table:
        raise FeedFormatError(f"{topic}: no table")
    if op not in OPS:
        raise FeedFormatError(f"{topic}: op {op!r} is not one of {OPS}")
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        raise FeedFormatError(f"{topic}: rows is not a list of objects")
    return FeedPart(table, op, tuple(rows))


def parse_message(topic: str, message: Mapping[str, Any]) -> FeedMessage:
    """A broadcast as the official client hands it over (``{event, payload, meta?}``) as a FeedMessage."""
    payload = message.get("payload")
    if not isinstance(payload, Mapping):
        raise FeedFormatError(f"{topic}: payload is not an object")
    seq, at, parts = payload.get("seq"), payload.get("at"), payload.get("parts")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise FeedFormatError(f"{topic}: seq {seq!r} is not a positive integer")
    if parts is None:
        parsed = (_part(topic, payload),)
    elif isinstance(parts, list) and parts and all(isinstance(p, Mapping) for p in parts):
        parsed = tuple(_part(topic, p) for p in parts)
    else:
        raise FeedFormatError(f"{topic}: parts is not a non-empty list of objects")
    if isinstance(at, bool) or not isinstance(at, int | float):
        raise FeedFormatError(f"{topic}: at {at!r} is not a time in epoch milliseconds")
    meta = message.get("meta")
    replayed = bool(meta.get("replayed")) if isinstance(meta, Mapping) else False
    return FeedMessage(topic, seq, parsed, int(at), replayed)


class Verdict(Enum):
    APPLY = "apply"  # not seen before: apply its rows
    DUPLICATE = "duplicate"  # already applied, or covered by a resync: skip


class TopicFeed:
    """One topic's position: ``last_seq`` is the highest seq such that every message up to it was applied
    (or covered by a resync); messages above it that arrived early wait in ``ahead``. Delivery need not
    be in order (Broadcast Replay returns one transaction's messages in any order), so a hole is only a
    loss once it has stayed open for a while: ``holes_since`` says since when the oldest one is open.
    ``last_seq`` None: nothing known yet (before the first message or resync)."""

    def __init__(self, topic: str):
        self.topic = topic
        self.last_seq: int | None = None
        self.last_at_ms: int | None = None
        self.ahead: set[int] = set()
        self.holes_since: float | None = None
        self.gaps = 0
        self.duplicates = 0
        # For the record (the newest ones): seqs found lost by this station, and seqs a resync fetched
        # before their message came (lost, or still on the way).
        self.lost_seqs: deque[int] = deque(maxlen=RECORD)
        self.covered_seqs: deque[int] = deque(maxlen=RECORD)

    def accept(self, message: FeedMessage, now: float) -> Verdict:
        """Records ``message`` (``now``: monotonic seconds, to time how long a hole stays open)."""
        seq = message.seq
        if self.last_seq is None:
            self.last_seq = seq - 1  # the first message sets the base; a resync rebases it
        if seq <= self.last_seq or seq in self.ahead:
            self.duplicates += 1
            return Verdict.DUPLICATE
        self.last_at_ms = max(self.last_at_ms or 0, message.at_ms)
        self.ahead.add(seq)
        self._advance()
        if self.ahead and self.holes_since is None:
            self.holes_since = now
        return Verdict.APPLY

    def _advance(self) -> None:
        assert self.last_seq is not None
        while self.last_seq + 1 in self.ahead:
            self.last_seq += 1
            self.ahead.discard(self.last_seq)
        if not self.ahead:
            self.holes_since = None

    def missing(self) -> list[int]:
        """The seqs not received below the highest one received."""
        if not self.ahead or self.last_seq is None:
            return []
        return [n for n in range(self.last_seq + 1, max(self.ahead)) if n not in self.ahead]

    def lost(self, now: float, grace: float) -> bool:
        """A hole has stayed open ``grace`` seconds: the message(s) in it are not coming."""
        return self.holes_since is not None and now - self.holes_since >= grace

    def give_up_holes(self) -> None:
        """A resync is fetching what the holes held: stop waiting for them (counted as one gap)."""
        self.gaps += 1
        self.lost_seqs.extend(self.missing())
        if self.ahead:
            self.last_seq = max(self.ahead)
            self.ahead.clear()
        self.holes_since = None

    def rebase(self, position: int) -> None:
        """A resync read the topic at ``position`` before fetching: everything up to it is in the store."""
        if self.last_seq is not None:
            self.covered_seqs.extend(n for n in range(self.last_seq + 1, position + 1) if n not in self.ahead)
        if self.last_seq is None or position > self.last_seq:
            self.last_seq = position
        self.ahead = {n for n in self.ahead if n > position}
        self._advance()

    def behind(self, position: int) -> bool:
        """The server has sent past what this station applied."""
        return position > (self.last_seq or 0)

    def give_up_tail(self, position: int) -> None:
        """The newest messages up to ``position`` never came; a resync fetches them."""
        self.gaps += 1
        self.lost_seqs.extend(n for n in range((self.last_seq or 0) + 1, position + 1) if n not in self.ahead)
        self.rebase(position)

    def replay(self) -> dict | None:
        """The join's ``config.broadcast.replay``: from well before the last message seen (None: no
        message seen yet, so a resync is the only way to catch up)."""
        if self.last_at_ms is None:
            return None
        return {"since": max(0, self.last_at_ms - REPLAY_MARGIN_MS), "limit": REPLAY_LIMIT}
