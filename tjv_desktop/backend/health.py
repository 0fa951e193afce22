"""Live health figures of the realtime link: what the health panel and ``watch`` report."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from enum import Enum


class LinkState(Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    LOST = "lost"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]


class RateCounter:
    """Events per second over a sliding window."""

    def __init__(self, window_s: float = 10.0, clock=time.monotonic):
        self.window_s = window_s
        self._clock = clock
        self._stamps: deque[float] = deque()
        self.total = 0

    def add(self, n: int = 1) -> None:
        now = self._clock()
        self.total += n
        self._stamps.extend([now] * n)
        self._trim(now)

    def _trim(self, now: float) -> None:
        while self._stamps and self._stamps[0] < now - self.window_s:
            self._stamps.popleft()

    @property
    def per_second(self) -> float:
        self._trim(self._clock())
        return len(self._stamps) / self.window_s


@dataclass
class Health:
    state: LinkState = LinkState.CONNECTING
    state_since: float = field(default_factory=time.time)
    state_reason: str = ""
    reconnects: int = 0
    probe_rtts_ms: deque = field(default_factory=lambda: deque(maxlen=200))
    last_probe_at: float | None = None
    messages_in: RateCounter = field(default_factory=RateCounter)
    messages_out: RateCounter = field(default_factory=RateCounter)
    queue_depth: int = 0
    last_resync_at: float | None = None
    last_resync_ms: float | None = None
    last_resync_rows: int | None = None

    def snapshot(self) -> dict:
        rtts = list(self.probe_rtts_ms)
        return {
            "state": self.state.value,
            "state_since": self.state_since,
            "state_reason": self.state_reason,
            "reconnects": self.reconnects,
            "probe_rtt_ms": {"p50": percentile(rtts, 50), "p95": percentile(rtts, 95), "p99": percentile(rtts, 99),
                             "samples": len(rtts)},
            "last_probe_at": self.last_probe_at,
            "messages_in_per_s": round(self.messages_in.per_second, 2),
            "messages_out_per_s": round(self.messages_out.per_second, 2),
            "messages_in_total": self.messages_in.total,
            "messages_out_total": self.messages_out.total,
            "queue_depth": self.queue_depth,
            "last_resync_at": self.last_resync_at,
            "last_resync_ms": self.last_resync_ms,
            "last_resync_rows": self.last_resync_rows,
        }
