"""The database feed as the station reads it: a message's own sequence number tells a lost message,
replay starts just before the last message seen, and a resync's positions cover what came before."""

from __future__ import annotations

import pytest

from tjv_desktop.backend.feed import (
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


def test_a_message_more_than_one_past_the_last_says_by_itself_that_one_was_lost():
    feed = TopicFeed(TOPIC)
    assert feed.accept(parse_message(TOPIC, message(4))) is Verdict.APPLY, "the first one sets the base"
    assert feed.accept(parse_message(TOPIC, message(5))) is Verdict.APPLY
    assert feed.accept(parse_message(TOPIC, message(5))) is Verdict.DUPLICATE
    assert feed.accept(parse_message(TOPIC, message(3))) is Verdict.DUPLICATE
    assert feed.accept(parse_message(TOPIC, message(8))) is Verdict.GAP
    assert (feed.last_seq, feed.gaps, feed.duplicates) == (8, 1, 2)


def test_a_resync_position_covers_everything_up_to_it_and_never_moves_back():
    feed = TopicFeed(TOPIC)
    feed.rebase(10)
    assert feed.accept(parse_message(TOPIC, message(9))) is Verdict.DUPLICATE, "already in the resync"
    assert feed.accept(parse_message(TOPIC, message(11))) is Verdict.APPLY
    feed.rebase(7)
    assert feed.last_seq == 11
    assert feed.behind(12) and not feed.behind(11)


def test_replay_asks_from_just_before_the_last_message_seen_at_most_a_page():
    feed = TopicFeed(TOPIC)
    assert feed.replay() is None, "nothing seen yet: only a resync can catch up"
    feed.accept(parse_message(TOPIC, message(1, at=50_000)))
    assert feed.replay() == {"since": 50_000 - REPLAY_MARGIN_MS, "limit": REPLAY_LIMIT}


@pytest.mark.parametrize("payload", [
    None, {"seq": 0, "table": "t", "op": "INSERT", "rows": [], "at": 1},
    {"seq": True, "table": "t", "op": "INSERT", "rows": [], "at": 1},
    {"seq": 1, "table": "", "op": "INSERT", "rows": [], "at": 1},
    {"seq": 1, "table": "t", "op": "TRUNCATE", "rows": [], "at": 1},
    {"seq": 1, "table": "t", "op": "INSERT", "rows": {"id": 1}, "at": 1},
    {"seq": 1, "table": "t", "op": "INSERT", "rows": [1], "at": 1},
    {"seq": 1, "table": "t", "op": "INSERT", "rows": [], "at": "yesterday"},
])
def test_a_malformed_message_is_refused_with_the_reason(payload):
    with pytest.raises(FeedFormatError):
        parse_message(TOPIC, {"event": "change", "payload": payload})


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


def test_the_link_applies_each_row_once_and_asks_for_a_resync_at_a_hole_or_a_bad_message():
    events = StationEvents()
    heard, link = Heard(events), link_on(events)
    deliver = link._database_callback(TOPIC)
    deliver(message(1, rows=[{"id": 1}, {"id": 2}]))
    deliver(message(1, rows=[{"id": 1}, {"id": 2}]))  # the same message again (replay overlaps live)
    assert [c.record["id"] for c in heard.changes] == [1, 2] and heard.gaps == []
    deliver(message(3, rows=[{"id": 3}]))
    assert [c.record["id"] for c in heard.changes] == [1, 2, 3], "the message after a hole is applied"
    assert len(heard.gaps) == 1 and heard.gaps[0].resync and heard.gaps[0].topic == TOPIC
    deliver({"event": "change", "payload": {"seq": "x"}})
    assert len(heard.gaps) == 2 and heard.gaps[1].resync and "malformed" in heard.gaps[1].reason


def test_a_full_replay_page_asks_for_a_resync_and_a_resync_rebases_the_topics():
    events = StationEvents()
    heard, link = Heard(events), link_on(events)
    link._channel_config(TOPIC, private=True, database=True)  # a join: the replayed count starts at 0
    deliver = link._database_callback(TOPIC)
    for seq in range(1, REPLAY_LIMIT + 1):
        deliver(message(seq, replayed=True))
    assert [g.reason for g in heard.gaps] == ["replay page full: there may be more"]
    events.resync_finished.publish(ResyncFinished(0, 0.0, ChangeSet(), {TOPIC: 40}))
    assert link.feeds[TOPIC].last_seq == 40
    deliver(message(40))
    assert len(heard.changes) == REPLAY_LIMIT, "a message the resync covered is not applied again"
