"""The change feed: PostgreSQL's logical decoding of a publication, read with the built-in ``pgoutput``
plugin over a replication connection, one committed transaction at a time, in commit order.

The replication connection (psycopg2 ``LogicalReplicationConnection``) owns a TEMPORARY slot, so nothing
outlives the process. The socket is watched by the asyncio loop (``add_reader``): the reader wakes when
PostgreSQL sends something and drains every buffered message without blocking. A transaction's changes are
buffered until its Commit and then handed over whole. When the connection breaks (PostgreSQL restarted,
the walsender was terminated), the stream reports it once, reconnects with backoff and resumes with a new
slot: changes committed while it was down are not replayed (at most once).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg2
import psycopg2.extras

from . import pgoutput

log = logging.getLogger(__name__)

PUBLICATION = "supabase_realtime"
# Text output the decoder expects, whatever the server's defaults are.
_SESSION_OPTIONS = ("-c timezone=UTC -c datestyle=ISO,YMD -c intervalstyle=postgres -c extra_float_digits=1 "
                    "-c bytea_output=hex")
FEEDBACK_INTERVAL = 1.0  # s between feedback checks (a status update goes out when something advanced)
IDLE_FEEDBACK = 10.0  # s: a status update at least this often, as a keepalive
MAX_TXN_CHANGES = 200_000  # changes kept of one transaction; the rest are dropped (at most once)
BACKOFF = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0)


@dataclass(eq=False)
class Transaction:
    xid: int
    commit_ts: int  # microseconds since 2000-01-01 UTC
    end_lsn: int = 0
    changes: list[pgoutput.Change] = field(default_factory=list)
    dropped: int = 0


class WalStream:
    """Delivers committed transactions of ``publication`` to ``on_commit`` (called on the loop, in commit
    order). ``on_down(reason)`` is called once per outage, ``on_up()`` whenever the feed is live again.
    Consumers call ``confirm(end_lsn)`` once a transaction is fully handled."""

    def __init__(self, dsn: Callable[[], str], on_commit: Callable[[Transaction], None],
                 on_down: Callable[[str], None] = lambda reason: None, on_up: Callable[[], None] = lambda: None,
                 publication: str = PUBLICATION):
        self._dsn = dsn
        self._on_commit = on_commit
        self._on_down = on_down
        self._on_up = on_up
        self.publication = publication
        self.live = asyncio.Event()
        self.slot: str | None = None
        self._conn = None
        self._cur = None
        self._fd: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._relations: dict[int, pgoutput.Relation] = {}
        self._txn: Transaction | None = None
        self._outstanding = 0  # transactions handed over and not yet confirmed
        self._confirmed = 0
        self._sent_lsn = 0
        self._sent_at = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._reconnect_task: asyncio.Task | None = None
        self._stopping = False
        self.connects = 0  # successful (re)connections, for tests and logs

    # -- lifecycle ---------------------------------------------------------------------------------

    async def start(self) -> None:
        """Connects once; if that fails the stream keeps retrying in the background (``live`` tells)."""
        self._loop = asyncio.get_running_loop()
        self._stopping = False
        try:
            await self._connect()
        except (psycopg2.Error, OSError) as exc:
            log.warning("realtime: change feed not available yet (%s); retrying", _one_line(exc))
            self._reconnect_task = asyncio.create_task(self._reconnect())

    async def stop(self) -> None:
        self._stopping = True
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnect_task
            self._reconnect_task = None
        self._close()

    def confirm(self, end_lsn: int) -> None:
        """The transaction ending at ``end_lsn`` is handled: its WAL may be released."""
        self._outstanding = max(0, self._outstanding - 1)
        self._confirmed = max(self._confirmed, end_lsn)

    # -- connection --------------------------------------------------------------------------------

    def _open(self, dsn: str, slot: str):
        """Blocking (runs in a thread): replication connection, temporary slot, START_REPLICATION."""
        conn = psycopg2.connect(dsn, connection_factory=psycopg2.extras.LogicalReplicationConnection,
                                connect_timeout=5, options=_SESSION_OPTIONS, application_name="tjv-realtime",
                                keepalives=1, keepalives_idle=10, keepalives_interval=5, keepalives_count=3)
        try:
            cur = conn.cursor()
            cur.execute(f"CREATE_REPLICATION_SLOT {slot} TEMPORARY LOGICAL pgoutput NOEXPORT_SNAPSHOT")
            cur.fetchall()
            cur.start_replication(slot_name=slot, decode=False, options={
                "proto_version": "1", "publication_names": self.publication})
            return conn, cur
        except BaseException:
            conn.close()
            raise

    async def _connect(self) -> None:
        slot = f"tjv_rt_{os.getpid()}_{secrets.token_hex(4)}"
        opening = asyncio.get_running_loop().run_in_executor(None, self._open, self._dsn(), slot)
        try:
            conn, cur = await asyncio.shield(opening)
        except asyncio.CancelledError:  # stopped meanwhile: close what the thread still opens
            opening.add_done_callback(lambda f: f.cancelled() or f.exception() or f.result()[0].close())
            raise
        if self._stopping:
            conn.close()
            return
        self._conn, self._cur, self.slot = conn, cur, slot
        self._fd = conn.fileno()
        self._relations.clear()
        self._txn = None
        self._outstanding = 0
        self._confirmed = self._sent_lsn = 0
        self._sent_at = time.monotonic()
        self._loop.add_reader(self._fd, self._on_readable)
        self._timer = self._loop.call_later(FEEDBACK_INTERVAL, self._tick)
        self.connects += 1
        self.live.set()
        log.info("realtime: change feed live on slot %s", slot)
        self._on_up()
        self._on_readable()  # libpq may already hold messages read while starting

    def _close(self) -> None:
        self.live.clear()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._fd is not None and self._loop is not None:
            self._loop.remove_reader(self._fd)
        self._fd = None
        conn, self._conn, self._cur = self._conn, None, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()

    def _broken(self, exc: BaseException) -> None:
        if self._conn is None:
            return
        reason = _one_line(exc)
        log.warning("realtime: change feed broke (%s); reconnecting", reason)
        self._close()
        self._txn = None
        with contextlib.suppress(Exception):
            self._on_down(reason)
        if not self._stopping and (self._reconnect_task is None or self._reconnect_task.done()):
            self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        attempt = 0
        while not self._stopping:
            await asyncio.sleep(BACKOFF[min(attempt, len(BACKOFF) - 1)])
            try:
                await self._connect()
                return
            except (psycopg2.Error, OSError) as exc:
                attempt += 1
                if attempt in (1, 10) or attempt % 60 == 0:
                    log.info("realtime: change feed reconnect attempt %d failed: %s", attempt, _one_line(exc))

    # -- reading -----------------------------------------------------------------------------------

    def _on_readable(self) -> None:
        cur = self._cur
        try:
            while cur is not None:
                msg = cur.read_message()
                if msg is None:
                    break
                self._handle(msg.payload)
                cur = self._cur  # a callback may have stopped the stream
        except (psycopg2.Error, OSError, ValueError, IndexError) as exc:
            self._broken(exc)

    def _handle(self, payload: bytes) -> None:
        m = pgoutput.decode(payload)
        if isinstance(m, pgoutput.Change):
            txn = self._txn
            if txn is None:
                return
            if len(txn.changes) >= MAX_TXN_CHANGES:
                txn.dropped += 1
                return
            m.relation = self._relations.get(m.relid)
            if m.relation is not None:
                txn.changes.append(m)
        elif isinstance(m, pgoutput.Begin):
            self._txn = Transaction(m.xid, m.commit_ts)
        elif isinstance(m, pgoutput.Commit):
            txn, self._txn = self._txn, None
            if txn is None:
                return
            txn.end_lsn, txn.commit_ts = m.end_lsn, m.commit_ts
            if txn.dropped:
                log.warning("realtime: transaction %s too large; %d changes not streamed", txn.xid, txn.dropped)
            self._outstanding += 1
            self._on_commit(txn)
        elif isinstance(m, pgoutput.Relation):
            self._relations[m.relid] = m

    def _tick(self) -> None:
        """Feedback (and keepalive): the position handled so far, or all received WAL when idle."""
        self._timer = None
        if self._cur is None:
            return
        lsn = self._confirmed
        if self._outstanding == 0 and self._txn is None:
            lsn = max(lsn, self._cur.wal_end or 0)
        now = time.monotonic()
        if lsn > self._sent_lsn or now - self._sent_at >= IDLE_FEEDBACK:
            try:
                self._cur.send_feedback(write_lsn=lsn, flush_lsn=lsn, apply_lsn=lsn)
            except (psycopg2.Error, OSError) as exc:
                self._broken(exc)
                return
            self._sent_lsn, self._sent_at = max(lsn, self._sent_lsn), now
        self._timer = self._loop.call_later(FEEDBACK_INTERVAL, self._tick)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
