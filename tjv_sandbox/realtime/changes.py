"""The postgres_changes hub: matches committed changes (from ``wal.WalStream``) against the subscribers'
bindings, checks row-level security per subscriber and delivers Supabase-shaped payloads in commit order.

Per batch of commits (one commit when keeping up; everything queued when behind):

1. each change is matched against every subscription's bindings (schema/table/event, filters evaluated in
   Python on the WAL values converted to the column's type, like/match patterns by PostgreSQL under a
   statement timeout; DELETE filters see only the old primary key: a filter on another column fails);
2. for INSERT/UPDATE on tables with RLS enabled, subscribers are grouped by identical claims; every group
   looks up all candidate rows of the batch running as the claims' role with ``request.jwt.claims`` set
   (the row as it is now, like Realtime's ``walrus_rls_stmt``), all groups in one round trip (rls.py);
   roles with BYPASSRLS (service_role) are not checked; DELETEs are not checked, their ``old_record`` is
   cut to the primary key instead;
3. payloads are built once per change and role (``columns`` and values limited to what the role may
   SELECT) and handed to each subscriber's ``deliver`` in commit order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass

import asyncpg

from . import patterns
from .filters import Binding, Pattern, compile_filter, parse_binding, validate_binding
from .pgoutput import UNCHANGED, Change, Relation, TypeCache, pg_timestamp
from .rls import RlsChecker
from .wal import PUBLICATION, Transaction, WalStream

log = logging.getLogger(__name__)

FEED_DOWN = "Realtime lost its connection to the project database: changes may have been missed"
SUBSCRIBE_TIMEOUT = 10.0  # s to wait for the change feed to be live before subscribe() gives up
MAX_BATCH = 2000  # changes handled in one batch when behind
RLS_SESSIONS = 2  # PostgreSQL sessions the RLS checks of a batch are spread over


@dataclass(eq=False)
class ChangeSubscription:
    topic: str
    bindings: list[dict]
    claims: dict
    deliver: Callable[[list[int], dict], None]
    on_error: Callable[[str], None]


class _Sub:
    """The hub's view of one subscription: parsed bindings and the claims' grouping key."""

    __slots__ = ("sub", "bindings", "key", "role")

    def __init__(self, sub: ChangeSubscription, bindings: list[Binding]):
        self.sub = sub
        self.bindings = bindings
        self.set_claims(sub.claims)

    def set_claims(self, claims: dict) -> None:
        self.role = str(claims.get("role") or "anon")
        self.key = json.dumps(claims, sort_keys=True)  # subscribers with equal claims see the same rows


class PostgresChangesHub:
    def __init__(self, ctx, publication: str = PUBLICATION):
        self.ctx = ctx
        self.publication = publication
        self.types = TypeCache()
        self._subs: dict[ChangeSubscription, _Sub] = {}
        self._queue: asyncio.Queue[Transaction] = asyncio.Queue()
        self._roles: dict[str, bool | None] = {}  # role -> bypasses RLS (None: no such role)
        self._wal = WalStream(lambda: ctx.db.dsn(), self._queue.put_nowait, self._feed_down,
                              publication=publication)
        self._worker: asyncio.Task | None = None
        self._rls = RlsChecker(lambda: ctx.db.dsn(), RLS_SESSIONS)
        self.batches = 0  # handled batches, for tests and benchmarks
        self.rls_checks = 0  # subscriber × change RLS checks (what Supabase runs, one query each)
        self.rls_queries = 0  # the round trips the sandbox makes for them

    # -- interface ---------------------------------------------------------------------------------

    async def start(self) -> None:
        with contextlib.suppress(Exception):
            await self.types.load(self.ctx.require_pool())
        self._worker = asyncio.create_task(self._run(), name="realtime-changes")
        await self._wal.start()

    async def stop(self) -> None:
        await self._wal.stop()
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        await self._rls.close()
        self._subs.clear()

    async def validate(self, binding: dict) -> str | None:
        try:
            return await validate_binding(self.ctx.require_pool(), binding, self.publication)
        except (OSError, RuntimeError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("realtime: could not validate %s: %s", binding, exc)
            return f"Unable to subscribe to changes with given parameters. Exception: {exc}"

    async def subscribe(self, sub: ChangeSubscription) -> None:
        state = _Sub(sub, [parse_binding(b) for b in sub.bindings])
        try:
            async with asyncio.timeout(SUBSCRIBE_TIMEOUT):
                await self._wal.live.wait()
        except TimeoutError:
            raise RuntimeError("Realtime was unable to connect to the project database") from None
        self._subs[sub] = state

    def unsubscribe(self, sub: ChangeSubscription) -> None:
        self._subs.pop(sub, None)

    def update_claims(self, sub: ChangeSubscription, claims: dict) -> None:
        sub.claims = claims
        state = self._subs.get(sub)
        if state is not None:
            state.set_claims(claims)

    @property
    def live(self) -> asyncio.Event:
        """Set while the change feed streams (tests wait on it)."""
        return self._wal.live

    # -- feed ----------------------------------------------------------------------------------------

    def _feed_down(self, reason: str) -> None:
        self._rls.reset()
        for state in list(self._subs.values()):
            try:
                state.sub.on_error(FEED_DOWN)
            except Exception:
                log.exception("realtime: on_error of %s failed", state.sub.topic)

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            size = len(batch[0].changes)
            while size < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
                size += len(batch[-1].changes)
            try:
                if self._subs and size:
                    await self._process(batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("realtime: %d changes could not be delivered", size)
            finally:
                for txn in batch:
                    self._wal.confirm(txn.end_lsn)
                self.batches += 1

    async def _process(self, batch: list[Transaction]) -> None:
        pool = self.ctx.require_pool()
        subs = list(self._subs.values())
        touched = {id(ch.relation): ch.relation for t in batch for ch in t.changes}
        await self.types.ensure(pool, {c.type_oid for r in touched.values() for c in r.columns})
        # 1. match
        # (txn, change, [(subscriber, claims key, role, {select: binding ids})]); key and role are
        # snapshotted so that a claims update during the batch cannot skip a check
        work: list[tuple[Transaction, Change, list[tuple[_Sub, str, str, dict]]]] = []
        relations: dict[int, Relation] = {}
        alike: dict[tuple[Binding, ...], list[_Sub]] = {}  # subscribers with equal bindings match alike
        for state in subs:
            alike.setdefault(tuple(state.bindings), []).append(state)
        changes = [(txn, change) for txn in batch for change in txn.changes]
        for rel in {id(c.relation): c.relation for _, c in changes if c.kind == "DELETE"}.values():
            await self._ensure_meta(pool, rel, set())  # DELETE filters need the primary key
        verdicts: dict[tuple[int, Binding], bool] = {}
        deferred: list[tuple[tuple[int, Binding], list[tuple[str, Pattern]]]] = []
        distinct = {b for bindings in alike for b in bindings}
        for n, (_txn, change) in enumerate(changes):
            rel = change.relation
            for b in distinct:
                if b.matches(rel.schema, rel.name, change.kind):
                    verdict = self._passes(rel, b, change)
                    if isinstance(verdict, list):
                        deferred.append(((n, b), verdict))
                    else:
                        verdicts[(n, b)] = verdict
        if deferred:
            verdicts.update(await patterns.verdicts(pool, deferred))
        for n, (txn, change) in enumerate(changes):
            matched = []
            for bindings, states in alike.items():
                groups: dict[tuple | None, list[int]] = {}
                for b in bindings:
                    if verdicts.get((n, b)):
                        groups.setdefault(b.select, []).append(b.id)
                if groups:
                    matched.extend((state, state.key, state.role, groups) for state in states)
            if matched:
                work.append((txn, change, matched))
                relations[id(change.relation)] = change.relation
        if not work:
            return
        # 2. catalog facts: primary keys, RLS flag, column privileges of each role involved
        await self._ensure_roles(pool, {role for _, _, m in work for _, _, role, _ in m})
        for rel in relations.values():
            await self._ensure_meta(pool, rel, {role for _, c, m in work if c.relation is rel for _, _, role, _ in m})
        # 3. RLS: one query per distinct claims for all its candidate rows
        checks: dict[str, tuple[_Sub, str, list[int]]] = {}  # claims -> (subscriber, role, rows)
        for i, (_txn, change, matched) in enumerate(work):
            meta = change.relation.meta
            if change.kind == "DELETE" or not meta["rls"] or not meta["pk"]:
                continue
            for state, key, role, _ in matched:
                if self._roles.get(role) is False and meta["privs"][role][1]:
                    self.rls_checks += 1
                    entry = checks.setdefault(key, (state, role, []))
                    if not entry[2] or entry[2][-1] != i:
                        entry[2].append(i)
        hidden: set[tuple[str, int]] = set()
        if checks:
            keys = list(checks)
            candidates = sorted({i for k in keys for i in checks[k][2]})
            self.rls_queries += 1
            results = await self._rls.visible([(checks[k][1], k) for k in keys],
                                              [(i, work[i][1]) for i in candidates],
                                              [work[i][0].xid for i in candidates])
            for key, seen in zip(keys, results, strict=True):
                hidden.update((key, i) for i in checks[key][2] if i not in seen)
        # 4. deliver, in commit order
        for i, (txn, change, matched) in enumerate(work):
            payloads: dict[tuple, dict] = {}
            for state, key, role, groups in matched:
                if self._subs.get(state.sub) is not state or self._roles.get(role) is None:
                    continue  # unsubscribed meanwhile, or a role that does not exist
                if (key, i) in hidden:
                    continue
                error = self._access_error(change, role)
                for select, ids in groups.items():
                    pkey = (role, select)
                    if pkey not in payloads:
                        payloads[pkey] = self._payload(txn, change, role, select, error)
                    try:
                        state.sub.deliver(ids, payloads[pkey])
                    except Exception:
                        log.exception("realtime: deliver to %s failed", state.sub.topic)

    # -- matching ------------------------------------------------------------------------------------

    def _passes(self, rel: Relation, b: Binding, change: Change) -> bool | list[tuple[str, Pattern]]:
        """Whether the change passes the binding's filters; the (value, pattern) pairs PostgreSQL must
        still check when every other filter passes. A DELETE is matched on its primary key only (as
        Supabase documents: deletes cannot be filtered): a filter on any other column fails, so the
        old row of a table with REPLICA IDENTITY FULL reveals nothing through filters."""
        if not b.filters:
            return True
        compiled = rel.meta.setdefault("filters", {})
        preds = compiled.get(b.filters, False)
        if preds is False:
            preds = compiled[b.filters] = self._compile(rel, b)
        if preds is None:
            return False
        values = change.old if change.kind == "DELETE" else change.new
        if values is None:
            return False
        pk = {name for name, _ in rel.meta.get("pk", ())} if change.kind == "DELETE" else None
        patterns = []
        for idx, pred in preds:
            value = values[idx]
            if value is UNCHANGED and change.old_kind == "O":
                value = change.old[idx]
            elif pk is not None and rel.columns[idx].name not in pk:
                value = UNCHANGED  # not the primary key: absent, so the filter fails
            if isinstance(pred, Pattern):
                if not isinstance(value, str):
                    return False  # NULL or absent fails, negated or not
                patterns.append((value, pred))
            elif not pred(value):
                return False
        return patterns or True

    def _compile(self, rel: Relation, b: Binding) -> list | None:
        index = {c.name: i for i, c in enumerate(rel.columns)}
        preds = []
        for f in b.filters:
            if f.column not in index:
                return None
            col = rel.columns[index[f.column]]
            info = self.types.base(col.type_oid)
            try:
                preds.append((index[f.column], compile_filter(f, info.name if info else "text")))
            except Exception:
                return None
        return preds

    # -- catalog ---------------------------------------------------------------------------------------

    async def _ensure_roles(self, pool, roles: set[str]) -> None:
        missing = [r for r in roles if r not in self._roles]
        if missing:
            rows = await pool.fetch("select rolname, rolbypassrls or rolsuper from pg_catalog.pg_roles "
                                    "where rolname = any($1::text[])", missing)
            found = {r[0]: r[1] for r in rows}
            for role in missing:
                self._roles[role] = found.get(role)
                if role not in found:
                    log.warning("realtime: subscribers claim role %r, which does not exist", role)

    async def _ensure_meta(self, pool, rel: Relation, roles: set[str]) -> None:
        """rel.meta: rls, pk [(name, type)], privs {role: (columns [{name,type}], pk selectable)}."""
        meta = rel.meta
        if "rls" not in meta:
            rows = await pool.fetch(
                """select c.relrowsecurity, a.attname, format_type(a.atttypid, a.atttypmod)
                   from pg_catalog.pg_class c
                   left join pg_catalog.pg_index i on i.indrelid = c.oid and i.indisprimary
                   left join lateral unnest(i.indkey) with ordinality k(attnum, n) on true
                   left join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum
                   where c.oid = $1 order by k.n""", rel.relid)
            meta["rls"] = bool(rows and rows[0][0])
            meta["pk"] = [(r[1], r[2]) for r in rows if r[1] is not None]
            meta["privs"] = {}
        pk_names = {name for name, _ in meta["pk"]}
        for role in roles:
            if role in meta["privs"] or self._roles.get(role) is None:
                continue
            rows = await pool.fetch(
                """select a.attname, t.typname from pg_catalog.pg_attribute a
                   join pg_catalog.pg_type t on t.oid = a.atttypid
                   where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
                     and has_column_privilege($2, a.attrelid, a.attnum, 'SELECT')
                   order by a.attnum""", rel.relid, role)
            columns = [{"name": r[0], "type": r[1]} for r in rows]
            names = {c["name"] for c in columns}
            meta["privs"][role] = (columns, bool(pk_names) and pk_names <= names)

    # -- payloads --------------------------------------------------------------------------------------

    def _access_error(self, change: Change, role: str) -> str | None:
        if change.kind == "DELETE":
            return None  # as the real server: old_record below keeps only key columns the role may read
        meta = change.relation.meta
        if not meta["pk"]:
            return "Error 400: Bad Request, no primary key"
        privs = meta["privs"].get(role)
        if privs is not None and not privs[1]:
            return "Error 401: Unauthorized"
        return None

    def _payload(self, txn: Transaction, change: Change, role: str, select: tuple | None,
                 error: str | None) -> dict:
        rel = change.relation
        ts = pg_timestamp(txn.commit_ts)
        data = {"schema": rel.schema, "table": rel.name,
                "commit_timestamp": ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z",
                "type": change.kind}
        if error is not None:
            data.update(columns=[], errors=[error])
            return data
        meta = rel.meta
        pk = [name for name, _ in meta["pk"]]
        columns = meta["privs"].get(role, ([], False))[0]
        if select is not None:
            columns = [c for c in columns if c["name"] in select or c["name"] in pk]
        allowed = {c["name"] for c in columns}
        data["columns"] = columns
        data["errors"] = None
        full_old = change.old if change.old_kind == "O" else None
        new = self._values(rel, change.new, full_old) if change.new is not None else None
        old = self._values(rel, change.old, None, keys_only=change.old_kind == "K") if change.old else None
        if change.kind in ("INSERT", "UPDATE"):
            data["record"] = {k: v for k, v in new.items() if k in allowed}
        if change.kind == "UPDATE":
            source = old if old is not None else {k: new[k] for k in pk if k in new}
            data["old_record"] = {k: v for k, v in source.items() if k in allowed}
        elif change.kind == "DELETE":
            source = old or {}
            if meta["rls"]:
                source = {k: v for k, v in source.items() if k in pk}
            data["old_record"] = {k: v for k, v in source.items() if k in allowed}
        return data

    def _values(self, rel: Relation, values: list, fallback: list | None, keys_only: bool = False) -> dict:
        out = {}
        for i, col in enumerate(rel.columns):
            if keys_only and not col.key:
                continue
            v = values[i]
            if v is UNCHANGED:
                if fallback is None or fallback[i] is UNCHANGED:
                    continue
                v = fallback[i]
            out[col.name] = self.types.to_json(col.type_oid, v)
        return out
