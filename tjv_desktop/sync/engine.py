"""The offline-first sync engine (architecture §5).

Live changes and resync results become idempotent, versioned upserts in the local store, applied in
batches on the store's thread; each batch yields one change-set for the views. After every
(re)subscription it resyncs: open alerts and patient status whole, high-volume tables from a cursor
minus an overlap window. Commands go to the store and the outbox in one transaction, show at once, and
are replayed when online; the database functions are idempotent on the action id, so a replay whose
answer was lost is applied once.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta

from tjv_desktop.backend.rest import PermanentError, TransientError
from tjv_desktop.domain.alerts import Command
from tjv_desktop.domain.events import (
    ChangeArrived,
    ChangesApplied,
    ChannelLive,
    FeedCaughtUp,
    FeedGap,
    LinkState,
    LinkStateChanged,
    ResyncFinished,
    StationEvents,
)
from tjv_desktop.store import ChangeSet, LocalStore
from tjv_desktop.tasks import cancel_and_wait

from . import handoff, read_side
from .views import AlertRow, PatientDetailView, ViewUpdate
from .worker import StoreWorker

log = logging.getLogger(__name__)

LIVE_TABLES = {"patient_alerts", "patient_status", "vital_signs", "messages", "care_plans"}
# A patient joining or leaving the panel: the patient list and their data come by resync.
PANEL_TABLES = {"provider_assignments"}
CURSORED = {"vital_signs": "vitals", "messages": "messages", "care_plans": "care_plans"}
ALERTS_CURSOR = "alerts"
# Cursor names of the tables whose live changes advance a cursor (while the feed has no gap).
LIVE_CURSORS = {**CURSORED, "patient_alerts": ALERTS_CURSOR}


def _resync_start(store: LocalStore, overlap: timedelta, provider_id: str) -> tuple[dict, list[dict]]:
    """What a resync reads from the store before fetching, in one trip to the store's thread: where each
    stream starts (its cursor minus ``overlap``) and the alerts shown as open."""
    since = {cursor: store.resync_since(cursor, overlap) for cursor in (ALERTS_CURSOR, *CURSORED.values())}
    return since, store.active_alerts(provider_id)


class SyncEngine:
    """Owns the path network → store, and the store's reads and writes for the window.

    ``rest`` is a backend.rest.RestGateway (or anything alike). The engine listens on ``events`` for
    what the link delivers (changes, channels going live, gaps, link state) and publishes what it wrote
    (``changes_applied``, ``resync_finished``)."""

    def __init__(self, worker: StoreWorker, rest, provider_id: str, events: StationEvents, *,
                 overlap: timedelta = timedelta(minutes=2), batch_max: int = 500, health=None):
        self.worker = worker
        self.rest = rest
        self.provider_id = provider_id
        self.events = events
        self.overlap = overlap
        self.batch_max = batch_max
        self.health = health
        self._queue: asyncio.Queue = asyncio.Queue()
        self._consumer: asyncio.Task | None = None
        self._resync_task: asyncio.Task | None = None
        self._resync_again = False
        self._replay_lock = asyncio.Lock()
        self._background: set[asyncio.Task] = set()  # asyncio keeps only weak references to tasks
        self.patient_ids: list[str] = []
        self.online = False
        # True from the moment the live feed may have missed something until a resync covers it;
        # meanwhile live changes do not advance cursors, so the resync starts before the gap.
        self._gap = True
        self._gap_seq = 0
        self.topics: set[str] = set()  # the database feed's topics: their positions are read at resync
        events.change_arrived.add(self.submit)
        events.feed_caught_up.add(self._on_caught_up)
        events.channel_live.add(self._on_channel_live)
        events.feed_gap.add(self._on_feed_gap)
        events.link_state_changed.add(self._on_link_state)

    # --- live path ----------------------------------------------------------------------------------

    def start(self) -> None:
        if self._consumer is None:
            self._consumer = asyncio.create_task(self._consume(), name="tjv-sync-consumer")

    async def stop(self) -> None:
        self.events.change_arrived.remove(self.submit)
        self.events.channel_live.remove(self._on_channel_live)
        self.events.feed_gap.remove(self._on_feed_gap)
        self.events.link_state_changed.remove(self._on_link_state)
        self.events.feed_caught_up.remove(self._on_caught_up)
        await cancel_and_wait([self._consumer, self._resync_task, *self._background])

    def _on_channel_live(self, event: ChannelLive) -> None:
        self.topics.add(event.channel)
        if event.resync:
            self.request_resync(event.channel)

    def _on_feed_gap(self, event: FeedGap) -> None:
        self.note_gap(event.reason)
        if event.resync:
            self.request_resync(event.reason)

    def _on_caught_up(self, event: FeedCaughtUp) -> None:
        """Replay brought every topic back: nothing was lost, live changes may move cursors again (unless
        a resync is due, which clears the gap itself)."""
        if not self._resync_pending():
            self._gap = False

    def _on_link_state(self, event: LinkStateChanged) -> None:
        self.online = event.state is LinkState.CONNECTED

    def _resync_pending(self) -> bool:
        return self._resync_task is not None and not self._resync_task.done()

    def submit(self, change: ChangeArrived) -> None:
        """Every live database change; never blocks."""
        if change.table in PANEL_TABLES:
            self.request_resync(f"panel changed ({change.op})")
            return
        if change.op == "DELETE":
            log.info("live DELETE on %s ignored: rows are never deleted on the server", change.table)
            return
        if change.table in LIVE_TABLES and change.record is not None:
            self._queue.put_nowait(change)
            if self.health is not None:
                self.health.queue_depth = self._queue.qsize()

    async def _consume(self) -> None:
        while True:
            first = await self._queue.get()
            batch = [first]
            while len(batch) < self.batch_max and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            if self.health is not None:
                self.health.queue_depth = self._queue.qsize()
            rows: dict[str, list[dict]] = {}
            for change in batch:
                rows.setdefault(change.table, []).append(change.record)
            cursors = {} if self._gap else {
                LIVE_CURSORS[t]: max(r["updated_at"] for r in rs) for t, rs in rows.items() if t in LIVE_CURSORS}
            try:
                changes = await self.worker.call(LocalStore.apply_batch, rows, cursors=cursors)
            except Exception:  # a bad row must not stop the feed; resync repairs what was skipped
                log.exception("could not apply a batch of %d live changes", len(batch))
                continue
            self._emit(changes)

    def _emit(self, changes: ChangeSet) -> None:
        if changes:
            self.events.changes_applied.publish(ChangesApplied(changes))

    # --- resync -------------------------------------------------------------------------------------

    def note_gap(self, reason: str = "") -> None:
        """The live feed may have missed changes (link lost, channel error): resync must cover them."""
        if not self._gap:
            log.info("live feed gap: %s", reason)
        if self.health is not None:
            self.health.trace.record("gap", reason=reason)
        self._gap = True
        self._gap_seq += 1

    def request_resync(self, reason: str = "") -> None:
        """Coalesces: a request during a resync runs one more resync after it."""
        if self._resync_task is not None and not self._resync_task.done():
            self._resync_again = True
            return
        self._resync_task = asyncio.create_task(self._resync_loop(reason), name="tjv-resync")

    async def _resync_loop(self, reason: str) -> None:
        failures = 0
        while True:
            self._resync_again = False
            try:
                await self.resync()
                await self.replay_outbox()
                failures = 0
            except (TransientError, PermanentError, OSError) as exc:
                failures += 1
                log.warning("resync failed (%s, attempt %d): %s", reason, failures, exc)
                if not self.online:
                    return  # the next subscription resyncs
                self._resync_again = True
                await asyncio.sleep(min(30.0, 0.5 * 2 ** failures))  # backoff before the retry
            if not self._resync_again:
                return

    def _learn(self, patients: list[dict]) -> None:
        """The debug trace learns the patients' ids, names and MRNs to redact them wherever they appear."""
        if self.health is not None:
            self.health.trace.redactor.learn_patients(patients)

    async def resync(self) -> ResyncFinished:
        started = time.perf_counter()
        gap_seq = self._gap_seq
        # Read before fetching: every message up to these positions is in what the fetch returns.
        positions = await self._feed_positions()
        patients = await self.rest.patients()
        self._learn(patients)
        self.patient_ids = sorted(p["id"] for p in patients)
        # Every cursor is read before any page is stored: the store's one thread then never makes a
        # fetch wait behind the pages of another table.
        since, open_alerts = await self.worker.call(_resync_start, self.overlap, self.provider_id)
        local_open = {a["id"] for a in open_alerts}
        stored: list[asyncio.Future[ChangeSet]] = []
        cursors: dict[str, str] = {}
        fetches = [asyncio.ensure_future(self._alerts_and_statuses(since[ALERTS_CURSOR], local_open)),
                   *(asyncio.ensure_future(self._fetch_table(table, since[cursor], stored))
                     for table, cursor in CURSORED.items())]
        try:
            (alerts, statuses), *paged_tables = await asyncio.gather(*fetches)
        finally:
            await cancel_and_wait(fetches)
            paged = await asyncio.gather(*stored, return_exceptions=True)
        for outcome in paged:
            if isinstance(outcome, BaseException):
                raise outcome
        batch: dict[str, list[dict]] = {"patients": patients, "patient_alerts": alerts, "patient_status": statuses}
        if alerts:
            cursors[ALERTS_CURSOR] = max(a["updated_at"] for a in alerts)
        rows = sum(len(r) for r in batch.values())
        for cursor, (count, newest) in zip(CURSORED.values(), paged_tables, strict=True):
            rows += count
            if newest is not None:
                cursors[cursor] = newest
        changes = ChangeSet()
        for page_changes in paged:
            changes |= page_changes
        changes |= await self.worker.call(LocalStore.apply_batch, batch, cursors=cursors)
        if self._gap_seq == gap_seq:  # no new gap opened while this resync ran
            self._gap = False
        self._emit(changes)
        result = ResyncFinished(rows, (time.perf_counter() - started) * 1000, changes, positions)
        if self.health is not None:
            self.health.last_resync_at, self.health.last_resync_ms = time.time(), result.ms
            self.health.last_resync_rows = result.rows
            self.health.trace.record("resync", rows=result.rows, ms=round(result.ms, 1))
        self.events.resync_finished.publish(result)
        return result

    async def _alerts_and_statuses(self, alerts_since: datetime | None,
                                   local_open: set[str]) -> tuple[list[dict], list[dict]]:
        alerts = await self.rest.open_alerts(self.provider_id)
        if alerts_since is not None:
            alerts += await self.rest.alerts_changed_since(self.provider_id, alerts_since)
        # Alerts we still show as open but the server no longer lists as open: fetch their final state.
        vanished = sorted(local_open - {a["id"] for a in alerts})
        if vanished:
            alerts += await self.rest.alerts_by_id(vanished)
        return alerts, await self.rest.statuses(self.patient_ids)

    async def _fetch_table(self, table: str, since: datetime | None,
                           stored: list[asyncio.Future[ChangeSet]]) -> tuple[int, str | None]:
        """Fetches a cursored table's changes page by page, each page stored on the store's thread while
        the next ones arrive. Each page is its own transaction of versioned upserts; the cursor moves
        only in the resync's last transaction, once every page is in, so a resync cut short starts
        again from before it. Returns the row count and the newest ``updated_at``."""
        count, newest = 0, None
        async for page in self.rest.changed_pages(table, self.patient_ids, since):
            if not page:
                continue
            stored.append(asyncio.ensure_future(self.worker.call(LocalStore.apply_batch, {table: page})))
            count += len(page)
            newest = max(newest or "", max(r["updated_at"] for r in page))
        return count, newest

    async def _feed_positions(self) -> dict[str, int]:
        if not self.topics:
            return {}
        try:
            return await self.rest.feed_position(sorted(self.topics))
        except PermanentError as exc:  # a server without the feed: gaps are judged by sequence alone
            log.warning("feed positions unavailable: %s", exc)
            return {}

    # --- commands -----------------------------------------------------------------------------------

    async def command(self, kind: Command | str, alert_id: str, actor: str, args: dict | None = None) -> str:
        """Records the command (store + outbox + audit, one transaction), shows it, sends it if online."""
        action_id = str(uuid.uuid4())
        changes = await self.worker.call(LocalStore.record_command, Command(kind).value, alert_id, action_id,
                                         actor, args)
        self._emit(changes)
        if self.online:
            task = asyncio.create_task(self.replay_outbox(), name="tjv-outbox")
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return action_id

    async def replay_outbox(self) -> int:
        """Sends pending commands in order; returns how many reached the server."""
        sent = 0
        async with self._replay_lock:
            for cmd in await self.worker.call(LocalStore.pending_commands):
                try:
                    row = await self.rest.command(cmd.kind, cmd.alert_id, cmd.action_id, cmd.args)
                except PermanentError as exc:
                    log.warning("command %s %s refused by the server: %s", cmd.kind, cmd.action_id, exc)
                    self._emit(await self.worker.call(LocalStore.mark_command_failed, cmd.action_id, str(exc), True))
                    continue
                except TransientError as exc:
                    await self.worker.call(LocalStore.mark_command_failed, cmd.action_id, str(exc), False)
                    break  # keep order: the rest waits for the next chance
                if not isinstance(row, dict) or row.get("id") is None:
                    # Applied, but the caller may no longer read the alert (taken off the patient): the
                    # answer is an empty row; the resync decides what the store keeps.
                    row = None
                self._emit(await self.worker.call(LocalStore.mark_command_sent, cmd.action_id, row))
                sent += 1
            sent += await self._replay_replies()
        return sent

    async def reply(self, patient_id: str, body: str, actor: str) -> str:
        """Keeps a reply to the patient (store + audit, one transaction), shows it pending, sends it if
        online; offline it waits in the store and goes with the next outbox replay."""
        action_id = str(uuid.uuid4())
        self._emit(await self.worker.call(LocalStore.record_reply, patient_id, body, action_id, actor))
        if self.online:
            task = asyncio.create_task(self.replay_outbox(), name="tjv-outbox")
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        return action_id

    async def _replay_replies(self) -> int:
        """Sends pending replies in order (called under the replay lock); returns how many were sent."""
        sent = 0
        for reply in await self.worker.call(LocalStore.pending_replies):
            try:
                row = await self.rest.send_reply(reply.patient_id, reply.body, reply.action_id)
            except PermanentError as exc:
                log.warning("reply %s refused by the server: %s", reply.action_id, exc)
                self._emit(await self.worker.call(LocalStore.mark_reply_failed, reply.action_id, str(exc), True))
                continue
            except TransientError as exc:
                await self.worker.call(LocalStore.mark_reply_failed, reply.action_id, str(exc), False)
                break
            self._emit(await self.worker.call(LocalStore.mark_reply_sent, reply.action_id, row))
            sent += 1
        return sent

    async def handoff_patients(self, since: datetime) -> list:
        return await self.worker.call(handoff.handoff_patients, self.provider_id, since)

    async def audit_handoff(self, patient_ids: list[str], language: str, kind: str) -> str:
        """An export or print of the handoff report: in the local audit trail (who, which patients, how),
        then on the server when online (a server refusal is logged; the local record stays)."""
        action_id = str(uuid.uuid4())
        await self.worker.call(LocalStore.audit, self.provider_id, "handoff.export", "patients", None,
                               {"action_id": action_id, "patients": patient_ids, "language": language, "kind": kind})
        if self.online and self.rest is not None:
            try:
                await self.rest.audit_handoff_export(patient_ids, language, action_id)
            except (TransientError, PermanentError) as exc:
                log.warning("handoff export %s not recorded on the server: %s", action_id, exc)
        return action_id

    async def audit(self, actor: str | None, action: str, details: dict) -> None:
        """A workstation event (lock, unlock, alarm signals) in the local audit trail; ids only."""
        await self.worker.call(LocalStore.audit, actor, action, "workstation", None, details)

    # --- reads the window and watch need (the read side, on the store's thread) --------------------

    async def data_age(self) -> timedelta | None:
        age = await self.worker.call(LocalStore.data_age)
        return age.age(datetime.now(UTC))

    async def initial_view(self) -> ViewUpdate:
        return await self.worker.call(read_side.initial_view, self.provider_id)

    async def view_update(self, changes: ChangeSet, selected: str | None) -> ViewUpdate:
        return await self.worker.call(read_side.view_update, changes, self.provider_id, selected)

    async def patient_detail(self, patient_id: str, since: datetime) -> PatientDetailView:
        return await self.worker.call(read_side.patient_detail, patient_id, since, self.provider_id)

    async def alert_history(self, limit: int = 200) -> dict[str, AlertRow]:
        return await self.worker.call(read_side.alert_history, self.provider_id, limit)
