"""The daily partitions of ``realtime.messages``, kept as Supabase Realtime keeps them: on connect and every
4 h it creates ``realtime.messages_YYYY_MM_DD`` for yesterday through today + 3 (UTC) and drops the
partitions whose day is before the day 72 h ago (Realtime.Tenants.create_messages_partitions and
Realtime.Messages.delete_old_messages). With no partition for the current day an insert fails, and
``realtime.send`` turns that into a warning: the message is lost.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import asyncpg

INTERVAL = 4 * 3600.0  # s between maintenance runs (JANITOR_SCHEDULE_TIMER_IN_MS)
RETENTION = timedelta(hours=72)
_NAME = re.compile(r"^messages_(\d{4})_(\d{2})_(\d{2})$")


def partition_name(day: date) -> str:
    return f"messages_{day:%Y_%m_%d}"


async def maintain(conn: asyncpg.Connection, now: datetime | None = None) -> tuple[list[str], list[str]]:
    """Creates the missing partitions and drops the expired ones; returns (created, dropped) names."""
    now = now or datetime.now(UTC)
    today = now.date()
    existing = {r[0] for r in await conn.fetch(
        "select c.relname from pg_catalog.pg_inherits i"
        " join pg_catalog.pg_class c on c.oid = i.inhrelid"
        " where i.inhparent = 'realtime.messages'::regclass")}
    created = []
    for offset in range(-1, 4):
        day = today + timedelta(days=offset)
        name = partition_name(day)
        if name in existing:
            continue
        await conn.execute(
            f"create table if not exists realtime.{name} partition of realtime.messages"
            f" for values from ('{day.isoformat()}') to ('{(day + timedelta(days=1)).isoformat()}');"
            f" alter table realtime.{name} owner to supabase_realtime_admin")
        created.append(name)
    oldest_kept = (now - RETENTION).date()
    dropped = []
    for name in sorted(existing):
        match = _NAME.match(name)
        if match and date(*map(int, match.groups())) < oldest_kept:
            await conn.execute(f"drop table if exists realtime.{name}")
            dropped.append(name)
    return created, dropped
