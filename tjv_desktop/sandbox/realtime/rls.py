"""Row-level security checks for postgres_changes: which of a batch's rows may one set of claims SELECT.

One check per distinct claims covers every candidate row of the batch, whatever its table: a transaction
on the superuser pool switches to the claims' role with ``request.jwt.claims`` set (one simple-protocol
round trip), then one statement looks the rows up by primary key (one round trip), as Realtime's
``walrus_rls_stmt`` does, on the row as it is now. The transaction is rolled back after the answer has
been handed back, off the delivery path.

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


class RlsChecker:
    def __init__(self, concurrency: int):
        self._gate = asyncio.Semaphore(concurrency)
        self._background: set[asyncio.Task] = set()
        self.checks = 0  # lookups run, and how many of them had to be repeated (for benchmarks)
        self.repeats = 0

    async def visible(self, pool, role: str, claims_json: str, rows: list[tuple[int, Change]],
                      xids: list[int]) -> set[int]:
        """Tags of ``rows`` that ``role`` with these claims may SELECT (none when the check fails)."""
        sql, args = build_check(rows, xids)
        claims = json.loads(claims_json)
        setup = (f"begin; set local role {ident(role)}; "
                 f"select set_config('request.jwt.claims', {literal(claims_json)}, true), "
                 f"set_config('request.jwt.claim.sub', {literal(str(claims.get('sub') or ''))}, true), "
                 f"set_config('request.jwt.claim.role', {literal(role)}, true)")
        answer: asyncio.Future[set[int]] = asyncio.get_running_loop().create_future()

        async def run() -> None:
            try:
                async with self._gate, pool.acquire() as conn:
                    try:
                        await conn.execute(setup)
                        self.checks += 1
                        for attempt in range(MAX_ATTEMPTS):
                            seen = {r[0] for r in await conn.fetch(sql, *args)}
                            if NOT_YET_VISIBLE not in seen:
                                answer.set_result(seen)
                                break
                            self.repeats += 1
                            if attempt >= 2:
                                await asyncio.sleep(0.001)
                        else:
                            log.warning("realtime: committed transactions %s never became visible", xids)
                    finally:
                        with contextlib.suppress(Exception):
                            await conn.execute("rollback")
            except Exception as exc:
                log.warning("realtime: RLS check for role %s failed: %s", role, exc)
            finally:
                if not answer.done():
                    answer.set_result(set())  # nothing is visible when the check cannot run

        task = asyncio.create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return await answer
