"""The station's watch over the database feed on its realtime link: each topic's position (``feed.py``),
what a message's rows become (``change_arrived``), and when something was lost (``feed_gap`` with
``resync``) or, after a rejoin, nothing was (``feed_caught_up``).

- A hole in a topic's sequence may be a message still on its way (Broadcast Replay returns a
  transaction's messages in any order): one still open after ``HOLE_GRACE_SECONDS`` is lost.
- A replay page that came back full may not be all.
- After a (re)join, replayed messages must bring every topic seen before up to the server's position
  (``feed_position``) within ``CATCH_UP_SECONDS``.
- Between messages, a topic still behind a position it already lagged at the previous check lost its
  newest message(s): nothing after them would ever show the hole.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine

from ..domain.events import ChangeArrived, ChannelLive, FeedCaughtUp, FeedGap, ResyncFinished, StationEvents
from .feed import (
    HOLE_GRACE_SECONDS,
    REPLAY_LIMIT,
    FeedFormatError,
    FeedMessage,
    TopicFeed,
    Verdict,
    parse_message,
)
from .health import Health

log = logging.getLogger(__name__)

# After a rejoin, how long replayed messages may take to bring a topic up to the server's position.
CATCH_UP_SECONDS = 3.0


class FeedWatch:
    """``positions(topics)`` reads the server's positions (REST); ``live_topics()`` names the database
    topics joined now; ``spawn(coro, name)`` runs a task the link owns (cancelled when it stops)."""

    def __init__(self, events: StationEvents, health: Health, *,
                 positions: Callable[[list[str]], Awaitable[dict[str, int]]] | None,
                 live_topics: Callable[[], set[str]], spawn: Callable[[Coroutine, str], None]):
        self.events, self.health = events, health
        self._positions, self._live_topics, self._spawn = positions, live_topics, spawn
        self.feeds: dict[str, TopicFeed] = {}
        self.hole_checks: set[str] = set()  # topics whose open holes are being timed
        self._replayed: dict[str, int] = {}
        self._behind: dict[str, int] = {}  # topic -> a position it lagged at the previous check
        events.resync_finished.add(self._on_resync_finished)

    def close(self) -> None:
        self.events.resync_finished.remove(self._on_resync_finished)

    def joining(self, topic: str) -> dict | None:
        """A join of ``topic`` is being sent: its replay config (None: nothing seen yet to replay from)."""
        self._replayed[topic] = 0
        feed = self.feeds.get(topic)
        return feed.replay() if feed is not None else None

    def went_live(self, topic: str) -> None:
        """The topic is joined: one seen before catches up by replay (checked by ``catch_up``); a new one
        is fetched whole by a resync."""
        feed = self.feeds.setdefault(topic, TopicFeed(topic))
        self.events.channel_live.publish(ChannelLive(topic, resync=feed.last_seq is None))

    def callback(self, topic: str) -> Callable[[dict], None]:
        """What the realtime channel calls for each database message on ``topic``."""
        def deliver(message: dict) -> None:
            self.health.messages_in.add()
            try:
                parsed = parse_message(topic, message)
            except FeedFormatError as exc:
                log.error("database message refused: %s", exc)
                self.events.feed_gap.publish(FeedGap(f"malformed message: {exc}", topic, resync=True))
                return
            self.deliver(parsed)
        return deliver

    def deliver(self, message: FeedMessage) -> None:
        feed = self.feeds.setdefault(message.topic, TopicFeed(message.topic))
        verdict = feed.accept(message, time.monotonic())
        trace = self.health.trace
        # Table, operation, sequence, row count and whose rows (as a pseudonym): contents never enter it.
        rows = message.rows
        patients = {str(r["patient_id"]) for r in rows if r.get("patient_id")}
        who = ({"patient": trace.redactor.pseudonym("patient", patients.pop())} if len(patients) == 1
               else {"patients": len(patients)})
        trace.record("change", channel=message.topic, table=message.tables,
                     type=",".join(dict.fromkeys(p.op for p in message.parts)), seq=message.seq,
                     rows=len(rows), replayed=message.replayed, verdict=verdict.value, **who)
        if message.replayed:
            self._replayed[message.topic] = self._replayed.get(message.topic, 0) + 1
            if self._replayed[message.topic] == REPLAY_LIMIT:
                self.events.feed_gap.publish(FeedGap("replay page full: there may be more", message.topic,
                                                     resync=True))
        if verdict is Verdict.DUPLICATE:
            return
        for part in message.parts:
            for row in part.rows:
                self.events.change_arrived.publish(ChangeArrived(message.topic, part.table, part.op, row))
        if feed.ahead and message.topic not in self.hole_checks:
            self.hole_checks.add(message.topic)
            self._spawn(self._judge_holes(feed), f"tjv-feed-holes-{message.topic}")

    async def _judge_holes(self, feed: TopicFeed) -> None:
        try:
            while feed.ahead:
                await asyncio.sleep(HOLE_GRACE_SECONDS / 4)
                if feed.lost(time.monotonic(), HOLE_GRACE_SECONDS):
                    missing = feed.missing()
                    log.warning("feed %s: lost seq %s", feed.topic, missing[:10])
                    feed.give_up_holes()
                    self.events.feed_gap.publish(FeedGap(f"lost seq {missing[:10]}", feed.topic, resync=True))
        finally:
            self.hole_checks.discard(feed.topic)

    def _on_resync_finished(self, event: ResyncFinished) -> None:
        for topic, position in event.positions.items():
            self.feeds.setdefault(topic, TopicFeed(topic)).rebase(position)
            self._behind.pop(topic, None)

    async def _server_positions(self) -> dict[str, int] | None:
        live = self._live_topics()
        known = sorted(t for t, f in self.feeds.items() if f.last_seq is not None and t in live)
        if not known or self._positions is None:
            return None
        try:
            return await self._positions(known)
        except Exception as exc:  # noqa: BLE001 - the check is retried at the next interval
            log.warning("feed positions not read: %s", exc)
            return None

    async def catch_up(self) -> None:
        """After a (re)join: did replay bring every topic seen before up to the server's position?"""
        positions = await self._server_positions()
        if positions is None:
            return
        deadline = time.monotonic() + CATCH_UP_SECONDS
        while any(self.feeds[t].behind(p) for t, p in positions.items()) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        behind = sorted(t for t, p in positions.items() if self.feeds[t].behind(p))
        for topic in behind:
            self.feeds[topic].give_up_tail(positions[topic])
            self.events.feed_gap.publish(FeedGap("behind the server after replay", topic, resync=True))
        if not behind:
            self.events.feed_caught_up.publish(FeedCaughtUp(tuple(sorted(positions))))

    async def check_positions(self) -> None:
        """Between messages: a topic still behind a position it already lagged at the previous check lost
        its newest message(s) (a message in flight at one check has arrived by the next)."""
        positions = await self._server_positions()
        for topic, position in (positions or {}).items():
            lagged = self._behind.pop(topic, None)
            feed = self.feeds[topic]
            if lagged is not None and feed.behind(lagged):
                log.warning("feed %s: the newest message(s) up to seq %d never arrived", topic, lagged)
                feed.give_up_tail(lagged)
                self.events.feed_gap.publish(FeedGap("the newest message never arrived", topic, resync=True))
            elif feed.behind(position):
                self._behind[topic] = position
