"""Live health figures of the realtime link: what the health panel and ``watch`` report.

``Health`` holds the current figures, a 1 Hz ``HealthHistory`` of them (bounded, 15 minutes by default,
sampled by ``run_sampler`` while the link runs) and the redacted ``DebugTrace`` of recent events.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

from ..domain.events import LinkState
from .trace import DebugTrace


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
    probe_rtts_total: int = 0
    last_probe_at: float | None = None
    messages_in: RateCounter = field(default_factory=RateCounter)
    messages_out: RateCounter = field(default_factory=RateCounter)
    queue_depth: int = 0
    last_resync_at: float | None = None
    last_resync_ms: float | None = None
    last_resync_rows: int | None = None
    trace: DebugTrace = field(default_factory=DebugTrace)
    history: HealthHistory = field(default_factory=lambda: HealthHistory())

    def add_probe_rtt(self, ms: float) -> None:
        self.probe_rtts_ms.append(ms)
        self.probe_rtts_total += 1
        self.last_probe_at = time.time()

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


# The figures a history sample keeps (the rest of a snapshot changes rarely or is in the trace).
SAMPLED = ("state", "reconnects", "messages_in_per_s", "messages_out_per_s", "queue_depth", "last_resync_ms")


class HealthHistory:
    """At most ``capacity`` samples (default 15 minutes at 1 Hz): ``{"at", "rtt_ms", …SAMPLED}``, where
    ``rtt_ms`` is the newest probe round trip if one came back since the previous sample, else None."""

    def __init__(self, capacity: int = 900):
        self.samples: deque[dict] = deque(maxlen=capacity)
        self._rtts_seen = 0

    def sample(self, health: Health, now: float | None = None) -> dict:
        snap = health.snapshot()
        total = health.probe_rtts_total
        fresh = total > self._rtts_seen and health.probe_rtts_ms
        self._rtts_seen = total
        entry = {"at": time.time() if now is None else now,
                 "rtt_ms": round(health.probe_rtts_ms[-1], 2) if fresh else None,
                 **{k: snap[k] for k in SAMPLED}}
        self.samples.append(entry)
        return entry

    def as_list(self) -> list[dict]:
        return list(self.samples)


async def run_sampler(health: Health, interval: float = 1.0) -> None:
    """Samples ``health`` into its history every ``interval`` seconds until cancelled."""
    while True:
        health.history.sample(health)
        await asyncio.sleep(interval)
