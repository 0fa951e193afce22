"""The database feed as the station reads it: a message's own sequence number tells a lost message,
replay starts just before the last message seen, and a resync's positions cover what came before."""

from __future__ import annotations

import asyncio
import time

import pytest

from tjv_desktop.backend.feed import (
    HOLE_GRACE_SECONDS,
    REPLAY_LIMIT,
    REPLAY_MARGIN_MS,
    FeedFormatError,
    TopicFeed,
    Verdict,
    parse_message,
)
from tjv_desktop.backend.realtime import RealtimeLink
from tjv_desktop.domain.changes import ChangeSet
from tjv_desktop.domain.events import ResyncFinished, StationEvents

TOPIC = "provider:00000000-0000-0000-0000-000000000001"


def message(seq: int, rows=None, at: int = 1_000_000, replayed: bool = False, table: str = "vital_signs") -> dict:
    body = {"event": "change", "payload": {"seq": seq, "table": table, "op": "INSERT",
                                           "rows": rows if rows is not None else [{"id": seq}], "at": at}}
    if replayed:
        body["meta"] = {"id": f"m{seq}", "replayed": True}
    return body


def accept(feed: TopicFeed, seq: int, now: float = 0.0) -> Verdict:
    return feed.accept(parse_message(TOPIC, message(seq)), now)


def test_a_message_more_than_one_past_the_last_opens_a_hole_that_is_lost_only_after_the_grace():
    feed = TopicFeed(TOPIC)
    assert accept(feed, 4) is Verdict.APPLY, "the first one sets the base"
    assert accept(feed, 5) is Verdict.APPLY and feed.last_seq == 5
    assert accept(feed, 5) is Verdict.DUPLICATE and accept(feed, 3) is Verdict.DUPLICATE
    assert accept(feed, 8, now=10.0) is Verdict.APPLY, "applied at once: rows are idempotent"
    assert feed.missing() == [6, 7] and feed.last_seq == 5
    assert not feed.lost(11.0, grace=2.0)
    assert feed.lost(12.0, grace=2.0)
    feed.give_up_holes()
    assert (feed.last_seq, feed.missing(), feed.gaps) == (8, [], 1)


def test_messages_out_of_order_fill_their_holes_and_lose_nothing():
    """Replay returns one transaction's messages in any order: 3, 1, 2 is no loss."""
    feed = TopicFeed(TOPIC)
    feed.rebase(0)
    assert [accept(feed, n, now=1.0) for n in (3, 1, 2)] == [Verdict.APPLY] * 3
    assert feed.last_seq == 3 and feed.missing() == [] and not feed.lost(100.0, grace=2.0)
    assert accept(feed, 2) is Verdict.DUPLICATE


def test_a_resync_position_covers_everything_up_to_it_and_never_moves_back():
    feed = TopicFeed(TOPIC)
    feed.rebase(10)
    assert accept(feed, 9) is Verdict.DUPLICATE, "already in the resync"
    assert accept(feed, 11) is Verdict.APPLY
    accept(feed, 14)
    feed.rebase(13)
    assert feed.last_seq == 14 and feed.missing() == [], "the resync covered the hole at 12-13"
    feed.rebase(7)
    assert feed.last_seq == 14
    assert feed.behind(15) and not feed.behind(14)


def test_replay_asks_from_just_before_the_last_message_seen_at_most_a_page():
    feed = TopicFeed(TOPIC)
    assert feed.replay() is None, "nothing seen yet: only a resync can catch up"
    feed.accept(parse_message(TOPIC, message(1, at=500_000)), 0.0)
    assert feed.replay() == {"since": 500_000 - REPLAY_MARGIN_MS, "limit": REPLAY_LIMIT}


@pytest.mark.parametrize("payload", [
    None, {"seq": 0, "table": "t", "op": "INSERT", "rows": [], "at": 1},
    {"seq": True, "table": "t", "op": "INSERT", "rows": [], "at": 1},
    {"seq": 1, "table": "", "op": "INSERT", "rows": [], "at": 1},
    {"seq": 1, "table": "t", "op": "TRUNCATE", "rows": [], "at": 1},
    {"seq": 1, "table": "t", "op": "INSERT", "rows": {"id": 1}, "at": 1},
    {"seq": 1, "table": "t", "op": "INSERT", "rows": [1], "at": 1},
    {"seq": 1, "table": "t", "op": "INSERT", "rows": [], "at": "yesterday"},
    {"seq": 1, "parts": [], "at": 1},
    {"seq": 1, "parts": {"table": "t", "op": "INSERT", "rows": []}, "at": 1},
    {"seq": 1, "parts": [{"table": "t", "op": "INSERT", "rows": []}, {"table": "t", "op": "MERGE", "rows": []}], "at": 1},
    {"seq": 1, "parts": [{"table": "t", "op": "INSERT", "rows": []}, "x"], "at": 1},
])
def test_a_malformed_message_is_refused_with_the_reason(payload):
    with pytest.raises(FeedFormatError):
        parse_message(TOPIC, {"event": "change", "payload": payload})


async def test_a_message_of_several_parts_is_applied_part_by_part_in_order():
    """One transaction that wrote vitals and updated the status: one message, one seq, both tables."""
    events = StationEvents()
    heard, link = Heard(events), link_on(events)
    deliver = link.feed.callback(TOPIC)
    deliver({"event": "change", "payload": {"seq": 1, "at": 1, "parts": [
        {"table": "vital_signs", "op": "INSERT", "rows": [{"id": 7, "patient_id": "p1"}, {"id": 8, "patient_id": "p2"}]},
        {"table": "patient_status", "op": "UPDATE", "rows": [{"patient_id": "p1", "status": "watch"}]}]}})
    deliver(message(2, rows=[{"id": 9}]))  # a one-part message after it: no hole
    assert [(c.table, c.op, c.record.get("id") or c.record.get("status")) for c in heard.changes] == [
        ("vital_signs", "INSERT", 7), ("vital_signs", "INSERT", 8), ("patient_status", "UPDATE", "watch"),
        ("vital_signs", "INSERT", 9)]
    assert link.feed.feeds[TOPIC].last_seq == 2 and heard.gaps == []
    await link.stop()


class Heard:
    def __init__(self, events: StationEvents):
        self.changes, self.gaps = [], []
        events.change_arrived.add(self.changes.append)
        events.feed_gap.add(self.gaps.append)


async def _plan():
    return []


def link_on(events: StationEvents) -> RealtimeLink:
    """A link that is never started: only its delivery of database messages is exercised."""
    return RealtimeLink("http://127.0.0.1:9", "anon", lambda: None, _plan, events)


async def test_the_link_applies_each_row_once_and_asks_for_a_resync_for_a_hole_that_stays_open():
    events = StationEvents()
    heard, link = Heard(events), link_on(events)
    deliver = link.feed.callback(TOPIC)
    deliver(message(1, rows=[{"id": 1}, {"id": 2}]))
    deliver(message(1, rows=[{"id": 1}, {"id": 2}]))  # the same message again (replay overlaps live)
    assert [c.record["id"] for c in heard.changes] == [1, 2] and heard.gaps == []
    started = time.monotonic()
    deliver(message(3, rows=[{"id": 3}]))
    assert [c.record["id"] for c in heard.changes] == [1, 2, 3], "the message after a hole is applied"
    async with asyncio.timeout(HOLE_GRACE_SECONDS + 5):
        while not heard.gaps:
            await asyncio.sleep(0.05)
    assert time.monotonic() - started >= HOLE_GRACE_SECONDS, "not before the grace: it may be on its way"
    assert heard.gaps[0].resync and heard.gaps[0].topic == TOPIC and "[2]" in heard.gaps[0].reason
    deliver({"event": "change", "payload": {"seq": "x"}})
    assert len(heard.gaps) == 2 and heard.gaps[1].resync and "malformed" in heard.gaps[1].reason
    await link.stop()


async def test_a_late_message_closes_its_hole_before_the_grace_and_no_resync_is_asked():
    events = StationEvents()
    heard, link = Heard(events), link_on(events)
    deliver = link.feed.callback(TOPIC)
    for seq in (1, 3, 2):
        deliver(message(seq))
    async with asyncio.timeout(HOLE_GRACE_SECONDS):
        while link.feed.hole_checks:  # the judge of the hole ends once it is closed
            await asyncio.sleep(0.01)
    assert heard.gaps == [] and link.feed.feeds[TOPIC].last_seq == 3
    await link.stop()


def test_a_full_replay_page_asks_for_a_resync_and_a_resync_rebases_the_topics():
    events = StationEvents()
    heard, link = Heard(events), link_on(events)
    link.feed.joining(TOPIC)  # a join: the replayed count starts at 0
    deliver = link.feed.callback(TOPIC)
    for seq in range(1, REPLAY_LIMIT + 1):
        deliver(message(seq, replayed=True))
    assert [g.reason for g in heard.gaps] == ["replay page full: there may be more"]
    events.resync_finished.publish(ResyncFinished(0, 0.0, ChangeSet(), {TOPIC: 40}))
    assert link.feed.feeds[TOPIC].last_seq == 40
    deliver(message(40))
    assert len(heard.changes) == REPLAY_LIMIT, "a message the resync covered is not applied again"
