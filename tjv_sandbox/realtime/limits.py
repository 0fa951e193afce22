"""What Supabase meters per project: the message count it bills, the events-per-second limit it enforces,
and (for benchmarks) how many authorization queries delivery costs.

- A message is any message sent by or delivered to a client: a client broadcast counts once when sent and
  once per receiving client, a database broadcast once when the server takes it from the database and
  once per receiving client, a postgres change or presence diff once per receiving client.
- The events rate is Realtime's RateCounter: every ``tick`` (5 s) the count since the last tick joins a
  window of 12 ticks; the limit trips when the window's average per second reaches the limit and clears
  when it falls below. While tripped, database broadcasts are dropped and a channel that receives a
  message is shut down with "Too many messages per second".
- Delivery authorization: a database broadcast is authorized once, when a channel joins; postgres_changes
  checks RLS once per subscriber per change (Supabase's walrus), which the sandbox batches into fewer
  queries: both figures are kept.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter, deque

log = logging.getLogger(__name__)

WINDOW = 12  # ticks averaged
DROP_LOG = 1000  # dropped database broadcasts remembered for /sandbox/v1/metrics


class RateCounter:
    def __init__(self, limit: float, tick: float = 5.0, window: int = WINDOW):
        self.limit = limit
        self.tick = tick
        self.window = window
        self.triggered = False
        self.average = 0.0
        self._count = 0
        self._buckets: deque[int] = deque(maxlen=window)
        self._timer: asyncio.TimerHandle | None = None

    def add(self, n: int = 1) -> None:
        self._count += n

    def start(self) -> None:
        self._timer = asyncio.get_running_loop().call_later(self.tick, self._on_tick)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _on_tick(self) -> None:
        self._buckets.appendleft(self._count)
        self._count = 0
        self.average = sum(self._buckets) / len(self._buckets) / self.tick
        if self.triggered and self.average < self.limit:
            self.triggered = False
        elif not self.triggered and self.average >= self.limit:
            self.triggered = True
            log.error("realtime: MessagePerSecondRateLimitReached: Too many messages per second")
        self._timer = asyncio.get_running_loop().call_later(self.tick, self._on_tick)


class DropFault:
    """Drops a fraction of database broadcasts on purpose, deterministically: with fraction f the n-th
    message is dropped when floor(n·f) > floor((n-1)·f), so exactly floor(N·f) of the first N go."""

    def __init__(self, fraction: float = 0.0):
        self.fraction = 0.0
        self._seen = 0
        self.set(fraction)

    def set(self, fraction: float) -> None:
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 <= fraction <= 1:
            raise ValueError(f"drop fraction must be a number from 0 to 1, got {fraction!r}")
        self.fraction = float(fraction)
        self._seen = 0

    def drop(self) -> bool:
        self._seen += 1
        return math.floor(self._seen * self.fraction) > math.floor((self._seen - 1) * self.fraction)


class Meter:
    """The per-project counters /sandbox/v1/metrics reports."""

    def __init__(self, rate: RateCounter):
        self.rate = rate
        self.messages = 0
        self.by_kind: Counter[str] = Counter()
        self.authorization: Counter[str] = Counter()
        self.db_broadcasts: Counter[str] = Counter()
        self.dropped: deque[dict] = deque(maxlen=DROP_LOG)

    def count(self, kind: str, n: int = 1) -> None:
        """``n`` billed messages of ``kind``; they count towards the events rate too."""
        if n:
            self.messages += n
            self.by_kind[kind] += n
            self.rate.add(n)

    def drop(self, reason: str, message_id: str | None, topic: str | None, seq) -> None:
        self.db_broadcasts[f"dropped_{reason}"] += 1
        self.dropped.append({"reason": reason, "id": message_id, "topic": topic, "seq": seq})

    def snapshot(self) -> dict:
        return {
            "messages": self.messages,
            "messages_by_kind": dict(self.by_kind),
            # delivery checks and queries are postgres_changes' (the hub adds them); broadcasts need none
            "authorization": {"join_checks": self.authorization["join_checks"],
                              "delivery_checks": 0, "delivery_queries": 0},
            "db_broadcasts": dict(self.db_broadcasts),
            "dropped_db_broadcasts": list(self.dropped),
            "rate": {"limit": self.rate.limit, "average": self.rate.average, "triggered": self.rate.triggered},
        }
