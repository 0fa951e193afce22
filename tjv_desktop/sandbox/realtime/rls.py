"""Row-level security checks for postgres_changes: which of a batch's rows may one set of claims SELECT.

One check per distinct claims covers every candidate row of the batch, whatever its table: a superuser
session switches to the claims' role with ``request.jwt.claims`` (and ``request.jwt.claim.sub/role``) set,
then one statement looks the rows up by primary key, as Realtime's ``walrus_rls_stmt`` does, on the row as
it is now. The sessions are the checker's own, so a session keeps its claims between checks: a check for
the claims it already runs as is one round trip, otherwise two. (The shared pool would cost a transaction
and asyncpg's reset query per check, i.e. four round trips.)

Logical decoding can hand a commit over a moment before it is visible to new snapshots (the commit
record is flushed before the writer leaves the proc array). The lookup therefore also reports, from its
own snapshot, whether every transaction of the batch is visible, and is repeated until it is, so a row is
never judged invisible because the check ran too early.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Callable

import asyncpg

from .pgoutput import UNCHANGED, Change

log = logging.getLogger(__name__)

NOT_YET_VISIBLE = -1
MAX_ATTEMPTS = 200

# xid (32 bits, from pgoutput) -> xid8 of the current epoch, visible in this statement's snapshot?
_GUARD = """
select {marker} from (select pg_current_snapshot() as s) q,
  lateral (select pg_snapshot_xmax(q.s)::text::int8 as m) e, unnest(${n}::int8[]) as x(xid)
where not pg_visible_in_snapshot((case
    when ((e.m >> 32) << 32 | x.xid) > e.m then (((e.m >> 32) - 1) << 32 | x.xid)
    else ((e.m >> 32) << 32 | x.xid) end)::text::xid8, q.s)
"""


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _key_text(change: Change, position: int) -> str | None:
    value = change.new[position]
    if value is UNCHANGED and change.old_kind == "O":
        value = change.old[position]
    return value if isinstance(value, str) else None


def build_check(rows: list[tuple[int, Change]], xids: list[int]) -> tuple[str, list]:
    """SQL and arguments returning the tags of the visible rows (plus NOT_YET_VISIBLE when a transaction
    of ``xids`` is not visible yet). ``rows``: (tag, change) with change.relation.meta["pk"] filled."""
    per_table: dict[int, list[tuple[int, Change]]] = {}
    for tag, change in rows:
        per_table.setdefault(id(change.relation), []).append((tag, change))
    parts, args = [], []
    for items in per_table.values():
        rel = items[0][1].relation
        position = {c.name: n for n, c in enumerate(rel.columns)}
        arrays, conds = [], []
        for j, (name, typ) in enumerate(rel.meta["pk"]):
            args.append([_key_text(change, position[name]) for _, change in items])
            arrays.append(f"${len(args)}::text[]")
            conds.append(f"x.{ident(name)} = k.v{j}::{typ}")
        args.append([tag for tag, _ in items])
        arrays.append(f"${len(args)}::int[]")
        names = ", ".join([f"v{j}" for j in range(len(rel.meta['pk']))] + ["i"])
        parts.append(f"select k.i from unnest({', '.join(arrays)}) as k({names}) where exists "
                     f"(select 1 from {ident(rel.schema)}.{ident(rel.name)} x where {' and '.join(conds)})")
    args.append(sorted(set(xids)))
    parts.append(_GUARD.format(marker=NOT_YET_VISIBLE, n=len(args)))
    return " union all ".join(parts), args


class _Conn:
    __slots__ = ("conn", "key")

    def __init__(self, conn):
        self.conn = conn
        self.key: str | None = None  # the claims this session runs as


class RlsChecker:
    """Runs checks on a few connections of its own (superuser sessions that switch role), preferring one
    already set up for the same claims: then a check is a single round trip. Connections that fail are
    dropped and replaced on demand (e.g. after a PostgreSQL restart)."""

    def __init__(self, dsn: Callable[[], str], size: int):
        self._dsn = dsn
        self._size = size
        self._count = 0  # connections open or being opened
        self._idle: list[_Conn] = []  # least recently used first
        self._waiters: deque[asyncio.Future] = deque()
        self.checks = 0  # lookups run, and how many had to be repeated (for benchmarks)
        self.repeats = 0
        self.setups = 0

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for c in idle:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(c.conn.close(), 2)
        self._count -= len(idle)

    async def _acquire(self, key: str) -> _Conn:
        while True:
            for n in range(len(self._idle) - 1, -1, -1):
                if self._idle[n].key == key:
                    return self._idle.pop(n)
            if self._count < self._size:
                self._count += 1
                try:
                    return _Conn(await asyncpg.connect(self._dsn(), timeout=5, statement_cache_size=200))
                except BaseException:
                    self._count -= 1
                    raise
            if self._idle:
                return self._idle.pop(0)
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter

    def _release(self, c: _Conn, healthy: bool) -> None:
        if healthy:
            self._idle.append(c)
        else:
            self._count -= 1
            c.conn.terminate()
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break

    async def visible(self, role: str, claims_json: str, rows: list[tuple[int, Change]],
                      xids: list[int]) -> set[int]:
        """Tags of ``rows`` that ``role`` with these claims may SELECT (none when the check fails)."""
        sql, args = build_check(rows, xids)
        try:
            c = await self._acquire(claims_json)
        except Exception as exc:
            log.warning("realtime: no connection for RLS checks: %s", exc)
            return set()
        healthy = False
        try:
            if c.key != claims_json:
                c.key = None
                claims = json.loads(claims_json)
                await c.conn.execute(
                    f"set role {ident(role)}; "
                    f"select set_config('request.jwt.claims', {literal(claims_json)}, false), "
                    f"set_config('request.jwt.claim.sub', {literal(str(claims.get('sub') or ''))}, false), "
                    f"set_config('request.jwt.claim.role', {literal(role)}, false)")
                c.key = claims_json
                self.setups += 1
            self.checks += 1
            for attempt in range(MAX_ATTEMPTS):
                seen = {r[0] for r in await c.conn.fetch(sql, *args)}
                if NOT_YET_VISIBLE not in seen:
                    healthy = True
                    return seen
                self.repeats += 1
                if attempt >= 2:
                    await asyncio.sleep(0.001)
            log.warning("realtime: committed transactions %s never became visible", xids)
            healthy = True
            return set()
        except Exception as exc:
            log.warning("realtime: RLS check for role %s failed: %s", role, exc)
            healthy = isinstance(exc, asyncpg.PostgresError) and not c.conn.is_closed()
            return set()  # nothing is visible when the check cannot run
        finally:
            self._release(c, healthy)
