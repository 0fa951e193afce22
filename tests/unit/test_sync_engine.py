"""The sync engine's rules on in-memory fakes: a REST gateway that answers from dictionaries, the link's
events published by hand, and a worker that runs store calls inline on a real in-memory LocalStore.

The gap rule (live changes never advance a cursor while the feed may have missed something), cursors
minus the overlap window, and the outbox order (a transient failure stops the queue, a permanent one
is set aside) are checked here without a network; the integration tests check them against the sandbox.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tjv_desktop.backend.rest import PermanentError, TransientError
from tjv_desktop.domain.events import (
    ChangeArrived,
    ChangesApplied,
    ChannelLive,
    FeedGap,
    LinkState,
    LinkStateChanged,
    StationEvents,
)
from tjv_desktop.store import LocalStore
from tjv_desktop.sync.engine import SyncEngine

T0 = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)
ME = "prov-1"


def at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat()


class InlineWorker:
    """The StoreWorker's interface, running each call at once on an in-memory store."""

    def __init__(self):
        self.store = LocalStore.open(None, None)

    async def call(self, fn, *args, **kwargs):
        return fn(self.store, *args, **kwargs)


class FakeRest:
    """The RestGateway calls the engine makes, answered from what the test put in, with a log."""

    def __init__(self):
        self.patients_rows = [{"id": "p1", "full_name": "Ann Lee", "updated_at": at(0)}]
        self.open_alert_rows: list[dict] = []
        self.rows: dict[str, list[dict]] = {"vital_signs": [], "messages": [], "care_plans": []}
        self.since: dict[str, str | None] = {}
        self.sent: list[tuple[str, str, str]] = []
        self.failures: dict[str, Exception] = {}
        self.positions: dict[str, int] = {}
        self.answers: dict[str, dict] = {}

    async def patients(self):
        return list(self.patients_rows)

    async def open_alerts(self, provider_id):
        return list(self.open_alert_rows)

    async def alerts_changed_since(self, provider_id, since):
        return []

    async def alerts_by_id(self, ids):
        return []

    async def statuses(self, patient_ids):
        return []

    async def changed_since(self, table, patient_ids, since):
        self.since[table] = since
        return [r for r in self.rows[table] if since is None or r["updated_at"] >= since.isoformat()]

    async def changed_pages(self, table, patient_ids, since):
        rows = await self.changed_since(table, patient_ids, since)
        for start in range(0, len(rows), 2):  # pages of two rows: several pages per table
            yield rows[start:start + 2]

    async def feed_position(self, topics):
        return {t: self.positions.get(t, 0) for t in topics}

    async def command(self, kind, alert_id, action_id, args=None):
        if alert_id in self.failures:
            raise self.failures[alert_id]
        self.sent.append((kind, alert_id, action_id))
        return self.answers.get(alert_id)


def vital(vid: int, minutes: float) -> dict:
    return {"id": vid, "patient_id": "p1", "measured_at": at(minutes), "heart_rate": 80, "updated_at": at(minutes)}


@pytest.fixture
def station():
    events, worker, rest = StationEvents(), InlineWorker(), FakeRest()
    engine = SyncEngine(worker, rest, ME, events, overlap=timedelta(minutes=2))
    applied: list = []
    events.changes_applied.add(lambda e: applied.append(e.changes))
    yield events, worker, rest, engine, applied
    worker.store.close()


async def settle(engine: SyncEngine) -> None:
    """Lets the consumer task take everything queued (bounded, no sleeps as synchronisation)."""
    async with asyncio.timeout(5):
        while not engine._queue.empty():
            await asyncio.sleep(0)
        await asyncio.sleep(0)


def cursor(worker: InlineWorker, name: str):
    return worker.store.resync_since(name, timedelta(0))


async def test_live_changes_never_advance_a_cursor_until_a_resync_closed_the_gap(station):
    events, worker, rest, engine, applied = station
    engine.start()
    try:
        events.change_arrived.publish(ChangeArrived("provider:prov-1", "vital_signs", "INSERT", vital(1, 10)))
        await settle(engine)
        assert worker.store.get("vitals", 1) is not None and applied, "the row is applied at once"
        assert cursor(worker, "vitals") is None, "but the cursor stays: the feed may have missed earlier rows"

        rest.rows["vital_signs"] = [vital(1, 10)]
        await engine.resync()
        assert cursor(worker, "vitals") == T0 + timedelta(minutes=10)

        events.change_arrived.publish(ChangeArrived("provider:prov-1", "vital_signs", "INSERT", vital(2, 20)))
        await settle(engine)
        assert cursor(worker, "vitals") == T0 + timedelta(minutes=20), "no gap: live rows move it on"

        events.feed_gap.publish(FeedGap("socket closed"))
        events.change_arrived.publish(ChangeArrived("provider:prov-1", "vital_signs", "INSERT", vital(3, 30)))
        await settle(engine)
        assert cursor(worker, "vitals") == T0 + timedelta(minutes=20), "a gap freezes it again"
    finally:
        await engine.stop()


async def test_a_resync_asks_from_the_cursor_minus_the_overlap_window(station):
    _events, worker, rest, engine, _applied = station
    rest.rows["vital_signs"] = [vital(1, 10), vital(2, 30)]
    await engine.resync()
    assert rest.since["vital_signs"] is None, "first resync: everything"
    await engine.resync()
    assert rest.since["vital_signs"] == T0 + timedelta(minutes=28)


async def test_a_channel_going_live_asks_for_one_resync_and_requests_during_it_coalesce(station):
    events, _worker, rest, engine, _applied = station
    calls, inside, release = 0, asyncio.Event(), asyncio.Event()
    original = rest.patients

    async def held():
        nonlocal calls
        calls += 1
        inside.set()
        await release.wait()
        return await original()

    rest.patients = held
    events.channel_live.publish(ChannelLive("provider:prov-1"))
    async with asyncio.timeout(5):
        await inside.wait()
    events.channel_live.publish(ChannelLive("patient:p1"))  # while the first resync runs
    events.channel_live.publish(ChannelLive("tenant:t1"))
    release.set()
    async with asyncio.timeout(5):
        while engine._resync_task is not None and not engine._resync_task.done():
            await asyncio.sleep(0)
    assert calls == 2, "one resync, plus one more for the requests made while it ran"
    await engine.stop()


async def test_the_outbox_sends_in_order_stops_at_a_transient_failure_and_sets_permanent_ones_aside(station):
    events, worker, rest, engine, _applied = station
    worker.store.apply_batch({"alerts": [
        {"id": a, "patient_id": "p1", "provider_id": ME, "priority": "high", "state": "active",
         "raised_at": at(0), "updated_at": at(0)} for a in ("a1", "a2", "a3")]})
    ids = [await engine.command("acknowledge", a, ME) for a in ("a1", "a2", "a3")]
    assert rest.sent == [], "offline: nothing is sent, everything is queued"
    assert [worker.store.get("alerts", a)["state"] for a in ("a1", "a2", "a3")] == ["acknowledged"] * 3

    rest.failures = {"a1": PermanentError("alert is resolved"), "a2": TransientError("timeout")}
    assert await engine.replay_outbox() == 0
    assert worker.store.command(ids[0]).state == "failed"
    assert worker.store.get("alerts", "a1")["state"] == "active", "a refused command reverts the alert"
    assert worker.store.command(ids[1]).state == "pending" and worker.store.command(ids[1]).attempts == 1
    assert worker.store.command(ids[2]).state == "pending", "a3 waits behind a2: order is kept"

    rest.failures = {}
    assert await engine.replay_outbox() == 2
    assert rest.sent == [("acknowledge", "a2", ids[1]), ("acknowledge", "a3", ids[2])]
    assert await engine.replay_outbox() == 0, "a sent command is sent once"
    events.link_state_changed.publish(LinkStateChanged(LinkState.CONNECTED))
    assert engine.online
    await engine.stop()


async def test_the_engine_leaves_the_events_when_stopped(station):
    events, _worker, _rest, engine, _applied = station
    assert len(events.change_arrived) == 1 and len(events.feed_gap) == 1
    await engine.stop()
    assert len(events.change_arrived) == 0 and len(events.feed_gap) == 0 and len(events.channel_live) == 0


def test_a_failing_listener_does_not_stop_the_others(caplog):
    events = StationEvents()
    heard = []

    def broken(_event):
        raise RuntimeError("view crashed")

    events.changes_applied.add(broken)
    events.changes_applied.add(heard.append)
    events.changes_applied.publish(ChangesApplied(changes=None))  # type: ignore[arg-type]
    assert len(heard) == 1
    assert "a listener of changes_applied failed" in caplog.text


async def test_a_command_the_server_applied_but_the_caller_may_no_longer_read_is_sent_not_an_error(station):
    """Taken off the patient meanwhile: the function answers an empty row (every column null)."""
    _events, worker, rest, engine, _applied = station
    worker.store.apply_batch({"alerts": [{"id": "a1", "patient_id": "p1", "provider_id": ME, "priority": "high",
                                          "state": "active", "raised_at": at(0), "updated_at": at(0)}]})
    action = await engine.command("accept", "a1", ME)
    rest.answers["a1"] = {"id": None, "state": None, "updated_at": None}
    assert await engine.replay_outbox() == 1
    assert worker.store.command(action).state == "sent"
    await engine.stop()


async def test_a_resync_cut_short_keeps_the_pages_it_stored_but_not_their_cursor(station):
    events, worker, rest, engine, applied = station
    rest.rows["vital_signs"] = [vital(n, n) for n in range(1, 7)]  # three pages of two rows
    await engine.resync()
    assert cursor(worker, "vitals") == T0 + timedelta(minutes=6)
    assert {v for v in range(1, 7) if worker.store.get("vitals", v)} == set(range(1, 7))
    assert applied and applied[-1].keys("vitals") == frozenset(range(1, 7)), "one change-set for all pages"

    rest.rows["vital_signs"] = [vital(n, n) for n in range(7, 13)]
    served = rest.changed_pages

    async def cut_after_one_page(table, patient_ids, since):
        async for page in served(table, patient_ids, since):
            yield page
            raise TransientError("connection reset after the first page")

    rest.changed_pages = cut_after_one_page
    with pytest.raises(TransientError, match="first page"):
        await engine.resync()
    assert worker.store.get("vitals", 7) and worker.store.get("vitals", 8), "the page that came is kept"
    assert worker.store.get("vitals", 9) is None, "the fault happened: the later pages never came"
    assert cursor(worker, "vitals") == T0 + timedelta(minutes=6), "the cursor waits for a whole resync"

    rest.changed_pages = served
    await engine.resync()
    assert cursor(worker, "vitals") == T0 + timedelta(minutes=12)
    assert all(worker.store.get("vitals", v) for v in range(7, 13))


async def test_a_resync_fetches_every_table_while_the_pages_of_another_are_still_being_stored(station):
    """The store has one thread: a table's fetch must not queue behind the pages of the table before
    it (the messages waited for 30,000 vitals rows to be stored, adding half a second to a resync)."""
    events, worker, rest, engine, applied = station
    rest.rows["vital_signs"] = [vital(n, n) for n in range(1, 7)]
    release = asyncio.Event()
    order: list[str] = []
    inline_call = worker.call
    one_thread = asyncio.Lock()  # asyncio's lock is FIFO: calls run one at a time, in order, like the worker's

    async def slow_store(fn, *args, **kwargs):
        async with one_thread:
            if fn is LocalStore.apply_batch and "vital_signs" in args[0]:
                await release.wait()  # the store's thread is busy with a vitals page
                order.append("vitals page stored")
            return await inline_call(fn, *args, **kwargs)

    worker.call = slow_store
    served = rest.changed_pages

    async def pages(table, patient_ids, since):
        order.append(f"{table} fetched")
        if table == "care_plans":
            release.set()  # the last table's fetch began: the store may go on
        async for page in served(table, patient_ids, since):
            yield page
            await asyncio.sleep(0)  # the next page is on the network: the loop runs other tasks

    rest.changed_pages = pages
    # Were the fetches queued behind the store, nothing would release it: a watchdog does, late.
    watchdog = asyncio.get_running_loop().call_later(3, release.set)
    async with asyncio.timeout(10):
        await engine.resync()
    watchdog.cancel()
    assert order.index("messages fetched") < order.index("vitals page stored")
    assert order.index("care_plans fetched") < order.index("vitals page stored")
    assert all(worker.store.get("vitals", v) for v in range(1, 7)), "every page was stored in the end"
    assert cursor(worker, "vitals") == T0 + timedelta(minutes=6)
