"""PostgREST's schema cache for the sandbox: tables, functions and API-role settings of ``public``.

Loaded lazily and dropped whenever PostgreSQL says the schema changed: like PostgREST, the service
LISTENs on the ``pgrst`` channel, where the bootstrap's event triggers NOTIFY ``reload schema`` after
DDL (and anyone may send it by hand).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg

from .gateway import ApiError
from .rest_query import Table

log = logging.getLogger(__name__)

SCHEMA = "public"
API_ROLES = ("anon", "authenticated", "service_role")
CHANNEL = "pgrst"
RELOAD_RETRY_S = 1.0
STALE_AFTER_S = 0.05

# A cast for a column's type. ``format_type(oid, null)`` names char(n) "character", which casts to
# char(1) and so cuts every filter value to its first letter: bpchar is cast unsized instead.
_TYPE_SQL = ("case t.typname when 'bpchar' then 'bpchar' when '_bpchar' then 'bpchar[]' "
             "else format_type(a.atttypid, null) end")


@dataclass
class Function:
    name: str
    args: list[tuple[str, str]]  # (name, type) of input arguments
    required: int
    returns_set: bool
    composite: bool
    void: bool
    columns: dict[str, str] = field(default_factory=dict)  # of a composite result

    def result_table(self) -> Table:
        return Table(self.name, self.columns, [])


class SchemaCache:
    """Tables and functions of the exposed schema, loaded once and again after each schema change."""

    def __init__(self):
        self.tables: dict[str, Table] = {}
        self.functions: dict[str, list[Function]] = {}
        self.timeouts: dict[str, str] = {}  # API role -> statement_timeout (PostgREST applies role settings)
        self.loaded = False
        self.loaded_at = 0.0

    def invalidate(self) -> None:
        self.loaded = False

    def may_be_stale(self) -> bool:
        """Whether a reload could find something new: DDL just committed may not have been notified
        yet. A cache loaded in the last moment is not reloaded again (unknown names cost no reloads)."""
        return time.monotonic() - self.loaded_at > STALE_AFTER_S

    async def load(self, conn: asyncpg.Connection) -> None:
        rows = await conn.fetch(
            f"""
            select c.relname, a.attname, {_TYPE_SQL} as type,
                   coalesce((select array_agg(k.attname order by array_position(i.indkey, k.attnum))
                             from pg_index i join pg_attribute k on k.attrelid = i.indrelid and k.attnum = any(i.indkey)
                             where i.indrelid = c.oid and i.indisprimary), '{{}}') as pk
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
            join pg_type t on t.oid = a.atttypid
            where n.nspname = $1 and c.relkind in ('r', 'v', 'm', 'p', 'f')
            order by c.relname, a.attnum
            """, SCHEMA,
        )
        tables: dict[str, Table] = {}
        for r in rows:
            t = tables.setdefault(r["relname"], Table(r["relname"], {}, list(r["pk"])))
            t.columns[r["attname"]] = r["type"]
        funcs = await conn.fetch(
            f"""
            select p.proname, p.proargnames, p.proargmodes, p.pronargs, p.pronargdefaults, p.proretset,
                   t.typtype, t.typname, array(select format_type(x, null) from unnest(p.proargtypes) x) as argtypes,
                   array(select format_type(x, null) from unnest(p.proallargtypes) x) as allargtypes,
                   array(select a.attname from pg_attribute a where a.attrelid = t.typrelid and a.attnum > 0
                         and not a.attisdropped order by a.attnum) as colnames,
                   array(select {_TYPE_SQL} from pg_attribute a join pg_type t on t.oid = a.atttypid
                         where a.attrelid = rt.typrelid and a.attnum > 0 and not a.attisdropped
                         order by a.attnum) as coltypes
            from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_type t on t.oid = p.prorettype
            join pg_type rt on rt.oid = p.prorettype
            where n.nspname = $1 and p.prokind = 'f'
            """, SCHEMA,
        )
        functions: dict[str, list[Function]] = {}
        for f in funcs:
            names = list(f["proargnames"] or [])
            columns = dict(zip(f["colnames"], f["coltypes"], strict=True))
            composite = f["typtype"] in (b"c", "c")  # asyncpg gives "char" as bytes
            if f["proargmodes"]:
                # "char"[] comes from asyncpg as bytes: b"i", b"t", ...
                modes = [m.decode() if isinstance(m, bytes) else m for m in f["proargmodes"]]
                outputs = {n: t for n, m, t in zip(names, modes, f["allargtypes"], strict=False) if m in ("o", "b", "t")}
                if f["typname"] == "record" and outputs:  # RETURNS TABLE (...) or OUT parameters: rows
                    columns, composite = outputs, True
                names = [n for n, m in zip(names, modes, strict=False) if m in ("i", "b", "v")]
            args = list(zip(names, f["argtypes"], strict=False))
            functions.setdefault(f["proname"], []).append(Function(
                f["proname"], args, f["pronargs"] - f["pronargdefaults"], f["proretset"],
                composite, f["typname"] == "void", columns,
            ))
        settings = await conn.fetch(
            """select r.rolname, s.setting from pg_roles r
               cross join lateral (select split_part(c, '=', 2) as setting
                                   from pg_db_role_setting d, unnest(d.setconfig) c
                                   where d.setrole = r.oid and d.setdatabase in (0, (select oid from pg_database
                                         where datname = current_database()))
                                     and c like 'statement_timeout=%' limit 1) s
               where r.rolname = any($1::text[])""", [*API_ROLES, "authenticator"])
        by_role = {r["rolname"]: r["setting"] for r in settings}
        self.timeouts = {role: by_role.get(role) or by_role.get("authenticator") or "0" for role in API_ROLES}
        self.tables, self.functions, self.loaded = tables, functions, True
        self.loaded_at = time.monotonic()

    async def table(self, conn: asyncpg.Connection, name: str) -> Table:
        if not self.loaded or (name not in self.tables and self.may_be_stale()):
            await self.load(conn)
        if name not in self.tables:
            raise ApiError(404, {"code": "PGRST205", "details": None, "hint": None,
                                 "message": f"Could not find the table '{SCHEMA}.{name}' in the schema cache"})
        return self.tables[name]

    async def candidates(self, conn: asyncpg.Connection, name: str) -> list[Function]:
        if not self.loaded or (name not in self.functions and self.may_be_stale()):
            await self.load(conn)
        return self.functions.get(name, [])

    async def function(self, conn: asyncpg.Connection, name: str, given: set[str]) -> Function:
        for f in await self.candidates(conn, name):
            names = [a for a, _ in f.args]
            if given <= set(names) and set(names[: f.required]) <= given:
                return f
        listed = ", ".join(sorted(given))
        raise ApiError(404, {"code": "PGRST202", "details": "Searched for the function "
                             f"{SCHEMA}.{name} with parameters {listed or 'no parameters'}",
                             "hint": None, "message": f"Could not find the function {SCHEMA}.{name}({listed}) in the schema cache"})


class SchemaWatcher:
    """LISTENs on ``pgrst`` on a connection of its own; any notification (or the connection's loss,
    when notifications may have been missed) drops the cache, which the next request reloads."""

    def __init__(self, dsn: Callable[[], str], cache: SchemaCache):
        self._dsn = dsn
        self._cache = cache
        self._task: asyncio.Task | None = None
        self.listening = asyncio.Event()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="rest-schema-watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _notified(self, _conn, _pid, _channel, payload: str) -> None:
        if payload in ("", "reload schema"):
            self._cache.invalidate()

    async def _run(self) -> None:
        while True:
            lost = asyncio.Event()
            conn = None
            try:
                conn = await asyncpg.connect(self._dsn(), timeout=5)
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self._notified)
                self._cache.invalidate()  # whatever changed while nobody listened
                self.listening.set()
                await lost.wait()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.info("rest: schema listener unavailable (%s); retrying", exc)
            finally:
                self.listening.clear()
                self._cache.invalidate()
                if conn is not None and not conn.is_closed():
                    conn.terminate()
            await asyncio.sleep(RELOAD_RETRY_S)
