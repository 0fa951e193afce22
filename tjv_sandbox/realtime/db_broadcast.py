"""Database broadcasts: rows that ``realtime.send``/``realtime.broadcast_changes`` insert into
``realtime.messages``, delivered as Supabase Realtime's ReplicationConnection delivers them.

- Logical replication (pgoutput) of the publication ``supabase_realtime_messages_publication``, created
  (or recreated when it holds other tables) at start as the real server does, on a temporary slot: one
  stream per project, so messages go out in commit order; rows committed while the stream is down are
  never delivered live (replay can still fetch them).
- Each inserted row becomes a user broadcast (event = the row's event, payload = its payload, meta
  ``{"id"}``) to the channels of ``(private, topic)`` allowed to read broadcasts: private rows only to
  private channels. No authorization query runs at delivery; the channel was authorized when it joined.
- Dropped and logged ``UnableToBroadcastChanges`` when a column is missing, when the payload is over the
  size limit or while the project's events rate is tripped; the fault injector drops a chosen fraction on
  purpose. Every drop is counted in the meter.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING

import asyncpg

from .broadcast import deliver_user_broadcast, readers
from .serializer import BINARY_ENCODING, JSON_ENCODING, UserBroadcast
from .wal import Transaction, WalStream

if TYPE_CHECKING:
    from . import RealtimeServer
    from .channels import Channel

log = logging.getLogger(__name__)

PUBLICATION = "supabase_realtime_messages_publication"
READY_CHECK_INTERVAL = 0.5  # s between replication checks of a replication_ready join (as the real server)
_REQUIRED = ("inserted_at", "event", "id", "topic", "private")


async def ensure_publication(pool: asyncpg.Pool) -> None:
    """The publication of realtime.messages (its partitions publish under their own names)."""
    async with pool.acquire() as conn:
        exists = await conn.fetchval("select true from pg_catalog.pg_publication where pubname = $1", PUBLICATION)
        if exists:
            rows = await conn.fetch("select schemaname, tablename from pg_catalog.pg_publication_tables"
                                    " where pubname = $1", PUBLICATION)
            if rows and all(r[0] == "realtime" and (r[1] == "messages" or r[1].startswith("messages_"))
                            for r in rows):
                return
            log.warning("realtime: publication %s contains unexpected tables; recreating", PUBLICATION)
            await conn.execute(f"drop publication if exists {PUBLICATION}")
        await conn.execute(f"create publication {PUBLICATION} for table realtime.messages")


class DatabaseBroadcasts:
    def __init__(self, server: RealtimeServer):
        self.server = server
        self._wal = WalStream(lambda: server.ctx.db.dsn(), self._on_commit, self._on_down,
                              publication=PUBLICATION)

    @property
    def live(self) -> asyncio.Event:
        """Set while the replication stream runs (``replication_ready`` joins wait for it)."""
        return self._wal.live

    async def start(self) -> None:
        try:
            await ensure_publication(self.server.ctx.require_pool())
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("realtime: could not check publication %s: %s", PUBLICATION, exc)
        await self._wal.start()

    async def stop(self) -> None:
        await self._wal.stop()

    def _on_down(self, reason: str) -> None:
        log.warning("realtime: database broadcasts stopped (%s); messages committed meanwhile are not "
                    "delivered live", reason)

    def _on_commit(self, txn: Transaction) -> None:
        try:
            for change in txn.changes:
                rel = change.relation
                if change.kind == "INSERT" and rel.schema == "realtime" and rel.name.startswith("messages"):
                    self._handle({c.name: v for c, v in zip(rel.columns, change.new, strict=True)})
        finally:
            self._wal.confirm(txn.end_lsn)

    def _handle(self, row: dict) -> None:
        meter, config = self.server.meter, self.server.config
        missing = next((k for k in _REQUIRED if row.get(k) is None), None)
        if missing is None and row.get("binary_payload") is None and row.get("payload") is None:
            missing = "payload"
        if missing is not None:
            log.error("realtime: UnableToBroadcastChanges: %s_missing", missing)
            return
        meter.db_broadcasts["received"] += 1
        topic, message_id = row["topic"], row["id"]
        if row.get("binary_payload") is not None:
            encoding, body = BINARY_ENCODING, bytes.fromhex(row["binary_payload"].removeprefix("\\x"))
        else:
            encoding, body = JSON_ENCODING, row["payload"].encode()
        seq = _seq(body) if encoding == JSON_ENCODING else None
        if len(body) > config.max_payload_bytes:
            log.error("realtime: UnableToBroadcastChanges: payload_size_exceeded (%s on %s)", message_id, topic)
            meter.drop("payload_size", message_id, topic, seq)
            return
        if meter.rate.triggered:
            log.error("realtime: UnableToBroadcastChanges: too_many_requests (%s on %s)", message_id, topic)
            meter.drop("rate_limit", message_id, topic, seq)
            return
        meter.count("db_broadcast")
        if self.server.drop_fault.drop():
            log.info("realtime: fault injection dropped database broadcast %s on %s (seq %s)",
                     message_id, topic, seq)
            meter.drop("fault", message_id, topic, seq)
            return
        space = (row["private"] == "t", topic)
        members = [m for m in readers(self.server, space) if message_id not in m.replayed_ids]
        deliver_user_broadcast(members, "realtime:" + topic,
                               UserBroadcast(row["event"], body, encoding, {"id": message_id}))
        meter.db_broadcasts["delivered"] += 1


def _seq(body: bytes):
    """The feed's seq, for the drop log only (a payload without one is fine)."""
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    return payload.get("seq") if isinstance(payload, dict) else None


async def notify_replication_ready(channel: Channel, timeout: float) -> None:
    """``config.broadcast.replication_ready``: a ``system`` ok once the replication stream runs, or the
    channel is shut down when it does not within ``timeout``."""
    stream = channel.server.db_broadcasts
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not channel.closed:
        if stream is not None and stream.live.is_set():
            channel.system("system", "ok", "Replication connection established")
            return
        if loop.time() >= deadline:
            channel.stop("Replication connection was not established in time")
            return
        await asyncio.sleep(READY_CHECK_INTERVAL)  # the real server re-checks on this interval too
