"""Replay protection for session messages: a sliding window per sender plus a freshness bound.

Each sender numbers its messages 1, 2, 3 … for the life of its session join, across reconnects (the
counter lives in the engine, not in the socket), and receivers keep their windows across reconnects too:
so a message captured before a reconnect and replayed after it is still refused. A receiver that
has never seen a sender (it joined late, or restarted) cannot know that sender's history; the freshness
bound covers that case: a message whose sealed send time is further than ``freshness_s`` from the
receiver's clock is refused as stale. Workstations are NTP-synchronised; two minutes leaves room.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from .envelope import Rejected


class ReplayGuard:
    def __init__(self, window: int = 1024, freshness_s: float = 120.0, max_senders: int = 1000,
                 clock: Callable[[], float] = time.time):
        self.window, self.freshness_s, self.max_senders, self.clock = window, freshness_s, max_senders, clock
        # sender -> (highest seq seen, bitmap of seen seqs: bit i = highest - i)
        self._seen: OrderedDict[str, tuple[int, int]] = OrderedDict()

    def check(self, sender: str, seq: int, sent_ms: int) -> None:
        """Accepts (and remembers) the message, or raises ``Rejected('replayed' | 'stale')``."""
        skew = abs(self.clock() - sent_ms / 1000)
        if skew > self.freshness_s:
            raise Rejected("stale", f"sent {skew:.0f} s away from this workstation's clock")
        highest, bits = self._seen.get(sender, (0, 0))
        if seq > highest:
            shift = seq - highest
            bits = ((bits << shift) | 1) & ((1 << self.window) - 1) if shift < self.window else 1
            highest = seq
        else:
            offset = highest - seq
            if offset >= self.window:
                raise Rejected("replayed", f"sequence {seq} of {sender[:12]} is older than the window")
            if bits >> offset & 1:
                raise Rejected("replayed", f"sequence {seq} of {sender[:12]} was already received")
            bits |= 1 << offset
        self._seen[sender] = (highest, bits)
        self._seen.move_to_end(sender)
        while len(self._seen) > self.max_senders:
            self._seen.popitem(last=False)
