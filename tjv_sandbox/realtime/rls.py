"""Row-level security checks for postgres_changes: which rows of a batch may each set of claims SELECT.

As Realtime's ``apply_rls`` does, the checks run inside PostgreSQL: for each distinct claims, the role is
switched (``set_config('role', …, true)``) with ``request.jwt.claims`` (and ``request.jwt.claim.sub/role``)
set locally, and one statement looks the candidate rows up by primary key, on the row as it is now (like
``walrus_rls_stmt``). A session-temporary plpgsql function does this for many claims in ONE round trip,
so the cost per batch does not grow with round trips per subscriber. The checker keeps a couple of
superuser sessions of its own (the function lives in their ``pg_temp``) and splits the claims between
them; a policy that raises only blinds the claims it was evaluated for.

Logical decoding can hand a commit over a moment before it is visible to new snapshots (the commit
record is flushed before the writer leaves the proc array). Each lookup therefore also reports, from its
own snapshot, whether every transaction of the batch is visible, and those claims are checked again until
it is, so a row is never judged invisible because the check ran too early.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import Callable

import asyncpg

from .pgoutput import UNCHANGED, Change

log = logging.getLogger(__name__)

NOT_YET_VISIBLE = -1
POLICY_ERROR = -2
MAX_ATTEMPTS = 200
GROUPS_PER_SESSION = 4  # claims below which one session does them all
MAX_PREPARED = 200  # lookup statements kept prepared per session

_FUNCTION = """
create or replace function pg_temp.tjv_rls_visible(p_roles text[], p_claims text[], p_subs text[],
                                                   p_statement text, p_rows jsonb)
returns table (g int, i int) language plpgsql as $fn$
begin
  perform set_config('tjv.rls_rows', p_rows::text, true);
  for n in 1 .. coalesce(array_length(p_roles, 1), 0) loop
    begin
      perform set_config('role', p_roles[n], true),
              set_config('request.jwt.claims', p_claims[n], true),
              set_config('request.jwt.claim.sub', p_subs[n], true),
              set_config('request.jwt.claim.role', p_roles[n], true);
      return query execute format('execute %I(%s)', p_statement, n);
      perform set_config('role', 'none', true);
    exception when others then
      perform set_config('role', 'none', true);
      raise warning 'tjv realtime: RLS check as % failed: %', p_roles[n], sqlerrm;
      g := n; i := -2; return next;
    end;
  end loop;
end
$fn$
"""

# Is every transaction of the batch (32-bit xids from pgoutput, made xid8 with the snapshot's epoch)
# visible in this statement's snapshot? A row is reported as {marker} when one is not.
_GUARD = """
select $1, {marker} from (select pg_current_snapshot() as s) q,
  lateral (select pg_snapshot_xmax(q.s)::text::int8 as m) e,
  lateral (select x::int8 as xid from jsonb_array_elements_text({rows}->'xids') x) t
where not pg_visible_in_snapshot((case
    when ((e.m >> 32) << 32 | t.xid) > e.m then (((e.m >> 32) - 1) << 32 | t.xid)
    else ((e.m >> 32) << 32 | t.xid) end)::text::xid8, q.s)
"""


_ROWS = "current_setting('tjv.rls_rows')::jsonb"


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _key_text(change: Change, position: int) -> str | None:
    value = change.new[position]
    if value is UNCHANGED and change.old_kind == "O":
        value = change.old[position]
    return value if isinstance(value, str) else None


def build_lookup(rows: list[tuple[int, Change]], xids: list[int]) -> tuple[str, str]:
    """The lookup statement ($1 = the claims' number, returned with each tag; the rows come as jsonb in the
    setting tjv.rls_rows) and those rows. ``rows``: (tag, change) with change.relation.meta["pk"] filled. The statement
    depends only on the tables involved, so each session prepares it once and PostgreSQL keeps its plan
    (re-planned by PostgreSQL itself when the role changes, as plans under RLS are)."""
    per_table: dict[int, list[tuple[int, Change]]] = {}
    for tag, change in rows:
        per_table.setdefault(id(change.relation), []).append((tag, change))
    parts, data = [], {"xids": sorted(set(xids))}
    for t, items in enumerate(per_table.values()):
        rel = items[0][1].relation
        position = {c.name: n for n, c in enumerate(rel.columns)}
        pk = rel.meta["pk"]
        data[f"t{t}"] = [{"i": tag, **{f"v{j}": _key_text(change, position[name]) for j, (name, _) in enumerate(pk)}}
                         for tag, change in items]
        conds = " and ".join(f"x.{ident(name)} = (r->>'v{j}')::{typ}" for j, (name, typ) in enumerate(pk))
        # OFFSET 0 keeps the EXISTS a per-row primary-key probe: as a semi-join the planner would hash the
        # whole table (it guesses 100 rows for jsonb_array_elements)
        parts.append(f"select $1, (r->>'i')::int from jsonb_array_elements({_ROWS}->'t{t}') r where exists "
                     f"(select 1 from {ident(rel.schema)}.{ident(rel.name)} x where {conds} offset 0)")
    parts.append(_GUARD.format(marker=NOT_YET_VISIBLE, rows=_ROWS))
    return " union all ".join(parts), json.dumps(data)


class _Session:
    __slots__ = ("conn", "prepared")

    def __init__(self, conn: asyncpg.Connection):
        self.conn = conn
        self.prepared: dict[str, str] = {}  # lookup SQL -> prepared statement name


class RlsChecker:
    """Checks on ``size`` superuser sessions of its own, opened on demand and replaced when they fail
    (e.g. after a PostgreSQL restart)."""

    def __init__(self, dsn: Callable[[], str], size: int = 2):
        self._dsn = dsn
        self._size = size
        self._idle: list[_Session] = []
        self._count = 0
        self._freed = asyncio.Condition()
        self.calls = 0  # round trips, claims checked, claims repeated (for benchmarks)
        self.checks = 0
        self.repeats = 0

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        self._count -= len(idle)
        for session in idle:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await session.conn.close()

    def reset(self) -> None:
        """Drops the idle sessions (PostgreSQL went away: they are dead); new ones open on demand."""
        idle, self._idle = self._idle, []
        self._count -= len(idle)
        for session in idle:
            session.conn.terminate()

    async def _acquire(self) -> _Session:
        async with self._freed:
            while not self._idle and self._count >= self._size:
                await self._freed.wait()
            if self._idle:
                return self._idle.pop()
            self._count += 1
        try:
            conn = await asyncpg.connect(self._dsn(), timeout=5)
            await conn.execute(_FUNCTION)
            return _Session(conn)
        except BaseException:
            self._count -= 1
            raise

    async def _release(self, session: _Session, healthy: bool) -> None:
        if healthy:
            self._idle.append(session)
        else:
            self._count -= 1
            session.conn.terminate()
        async with self._freed:
            self._freed.notify()

    async def visible(self, groups: list[tuple[str, str]], rows: list[tuple[int, Change]],
                      xids: list[int]) -> list[set[int]]:
        """For each (role, claims json) of ``groups``, the tags of ``rows`` it may SELECT (none where the
        check fails)."""
        sql, data = build_lookup(rows, xids)
        per_session = max(GROUPS_PER_SESSION, -(-len(groups) // self._size))
        chunks = [list(range(n, min(n + per_session, len(groups)))) for n in range(0, len(groups), per_session)]
        results: list[set[int]] = [set() for _ in groups]
        await asyncio.gather(*(self._check(groups, chunk, sql, data, results) for chunk in chunks))
        return results

    async def _statement(self, session: _Session, sql: str) -> str:
        name = session.prepared.get(sql)
        if name is None:
            if len(session.prepared) >= MAX_PREPARED:
                await session.conn.execute("deallocate all")
                session.prepared.clear()
            name = f"tjv_rls_{hashlib.md5(sql.encode()).hexdigest()[:20]}"
            await session.conn.execute(f"prepare {name}(int) as {sql}")
            session.prepared[sql] = name
        return name

    async def _check(self, groups, chunk: list[int], sql: str, data: str, results: list[set[int]]) -> None:
        for _ in range(2):  # a session that died under us (PostgreSQL restarted) gets one replacement
            try:
                if await self._check_on_session(groups, chunk, sql, data, results):
                    return
            except Exception as exc:
                log.warning("realtime: no session for RLS checks: %s", exc)
                return

    async def _check_on_session(self, groups, chunk: list[int], sql: str, data: str,
                                results: list[set[int]]) -> bool:
        """False when the session turned out to be dead (nothing was decided)."""
        session = await self._acquire()
        healthy = False
        try:
            statement = await self._statement(session, sql)
            pending = chunk
            for attempt in range(MAX_ATTEMPTS):
                roles = [groups[n][0] for n in pending]
                claims = [groups[n][1] for n in pending]
                subs = [str(json.loads(c).get("sub") or "") for c in claims]
                self.calls += 1
                self.checks += len(pending)
                rows = await session.conn.fetch(
                    "select g, i from pg_temp.tjv_rls_visible($1, $2, $3, $4, $5::jsonb)",
                    roles, claims, subs, statement, data)
                seen: dict[int, set[int]] = {}
                for g, i in rows:
                    seen.setdefault(pending[g - 1], set()).add(i)
                retry = []
                for n in pending:
                    tags = seen.get(n, set())
                    if NOT_YET_VISIBLE in tags:
                        retry.append(n)
                    elif POLICY_ERROR in tags:
                        log.warning("realtime: RLS policy failed for role %s; rows withheld", groups[n][0])
                    else:
                        results[n] = tags
                healthy = True
                if not retry:
                    return True
                self.repeats += len(retry)
                pending = retry
                if attempt >= 2:
                    await asyncio.sleep(0.001)
            log.warning("realtime: a committed transaction never became visible to the RLS check")
            return True
        except (OSError, asyncpg.InterfaceError, asyncpg.PostgresError) as exc:
            lost = (not isinstance(exc, asyncpg.PostgresError) or session.conn.is_closed()
                    or isinstance(exc, (asyncpg.PostgresConnectionError, asyncpg.OperatorInterventionError)))
            if lost:
                log.info("realtime: RLS session lost (%s); retrying on a new one", exc)
                return False
            log.warning("realtime: RLS check failed: %s", exc)
            healthy = True
            return True
        finally:
            await self._release(session, healthy)
