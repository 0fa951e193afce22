"""``/rest/v1``: the PostgREST subset the app and tests use, with PostgreSQL enforcing RLS.

Each request runs in one transaction with ``role`` and ``request.jwt.claims`` set from the caller's JWT
(or the API key), exactly as PostgREST does, so row-level security decides what is seen and written.
Responses are built by PostgreSQL itself (``json_agg``), so types serialise as PostgREST's do.
"""

from __future__ import annotations

import json
import logging
from contextlib import asynccontextmanager

import asyncpg
from aiohttp import web

from . import jsonbound
from .gateway import ApiError, bearer_token, require_api_key
from .keys import TokenError
from .rest_query import (
    RESERVED_PARAMS,
    Params,
    Table,
    int_param,
    order_clause,
    parse_error,
    quote_ident,
    select_list,
    split_top_level,
    where_clause,
)
from .rest_schema import API_ROLES, SCHEMA, SchemaCache, SchemaWatcher

log = logging.getLogger(__name__)

SINGLE_OBJECT = "application/vnd.pgrst.object+json"
UNKNOWN_COLUMN = ("PGRST204", "42703")  # errors a stale schema cache gives for a column added since

# SQLSTATE (or its class) → HTTP status, after PostgREST's table.
_STATUS_BY_STATE = {
    "23503": 409, "23505": 409, "25006": 405, "40001": 409, "42883": 404, "42P01": 404,
    "42703": 400, "42P17": 500, "P0001": 400, "57014": 504, "22023": 400, "23502": 400, "23514": 400,
}
_STATUS_BY_CLASS = {"08": 503, "09": 500, "0L": 403, "0P": 403, "22": 400, "23": 409, "25": 500,
                    "28": 403, "2D": 500, "38": 500, "39": 500, "3B": 500, "40": 500, "53": 503,
                    "54": 500, "55": 500, "57": 500, "58": 500, "F0": 500, "HV": 500, "P0": 500,
                    "XX": 500, "42": 400}


def pg_error(exc: asyncpg.PostgresError, role: str) -> ApiError:
    state = exc.sqlstate or "XX000"
    if state == "42501":
        status = 401 if role == "anon" else 403
    else:
        status = _STATUS_BY_STATE.get(state) or _STATUS_BY_CLASS.get(state[:2], 500)
    return ApiError(status, {"code": state, "details": getattr(exc, "detail", None) or None,
                             "hint": getattr(exc, "hint", None) or None, "message": str(exc)})


def _prefer(request: web.Request) -> dict[str, str]:
    prefs: dict[str, str] = {}
    for header in request.headers.getall("Prefer", []):
        for item in header.split(","):
            key, _, value = item.strip().partition("=")
            if key:
                prefs[key] = value
    return prefs


def _check_profile(request: web.Request) -> None:
    for header in ("Accept-Profile", "Content-Profile"):
        profile = request.headers.get(header)
        if profile and profile != SCHEMA:
            raise ApiError(406, {"code": "PGRST106", "details": None, "hint": None,
                                 "message": f"The schema must be one of the following: {SCHEMA}"})


class RestService:
    def __init__(self, ctx):
        self.ctx = ctx
        self.schema = SchemaCache()

    def _claims(self, request: web.Request) -> dict:
        key_claims = require_api_key(request, self.ctx.keys)
        token = bearer_token(request)
        if token is None or token == request.headers.get("apikey"):
            return key_claims
        try:
            claims = self.ctx.keys.verify(token, require=("exp",))
        except TokenError as exc:
            if exc.reason == "expired":
                raise ApiError(401, {"code": "PGRST303", "details": None, "hint": None, "message": "JWT expired"},
                               {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="JWT expired"'}) from exc
            raise ApiError(401, {"code": "PGRST301", "details": None, "hint": None,
                                 "message": "JWT cryptographic operation failed" if exc.reason == "signature"
                                 else "JWT could not be decoded"}) from exc
        if claims.get("role", "anon") not in API_ROLES:
            raise ApiError(401, {"code": "PGRST301", "details": None, "hint": None,
                                 "message": f"role \"{claims.get('role')}\" is not an API role"})
        return claims

    @asynccontextmanager
    async def _as_caller(self, request: web.Request, read_only: bool = False):
        _check_profile(request)
        claims = self._claims(request)
        role = claims.get("role", "anon")
        try:
            async with self.ctx.require_pool().acquire() as conn, conn.transaction(readonly=read_only):
                if not self.schema.loaded:
                    await self.schema.load(conn)
                # What PostgREST sets: the role with its own settings, the claims as ONE setting (the
                # legacy request.jwt.claim.* are not set), the request, and the extra search path.
                await conn.execute(
                    "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true),"
                    " set_config('request.method', $3, true), set_config('request.path', $4, true),"
                    " set_config('request.headers', $5, true), set_config('search_path', 'public, extensions', true),"
                    " set_config('statement_timeout', $6, true)",
                    role, json.dumps(claims), request.method, request.path,
                    json.dumps({k.lower(): v for k, v in request.headers.items()}),
                    self.schema.timeouts.get(role, "0"),
                )
                yield conn, role
        except asyncpg.PostgresError as exc:
            raise pg_error(exc, role) from exc
        except (OSError, asyncpg.InterfaceError) as exc:
            log.warning("database unavailable: %s", exc)
            raise ApiError(503, {"code": "PGRST001", "details": str(exc), "hint": None,
                                 "message": "Database client error. Retrying the connection."}) from exc

    @staticmethod
    def _respond(request: web.Request, body: str, rows: int, status: int, *, offset: int = 0,
                 total: int | None = None) -> web.Response:
        headers = {"Content-Range": (f"{offset}-{offset + rows - 1}" if rows else "*") + f"/{'*' if total is None else total}"}
        accept = request.headers.get("Accept", "").split(";")[0].strip()
        if accept == SINGLE_OBJECT:
            if rows != 1:
                raise ApiError(406, {"code": "PGRST116", "details": f"The result contains {rows} rows", "hint": None,
                                     "message": "JSON object requested, multiple (or no) rows returned"})
            body = json.dumps(json.loads(body)[0])
        if request.method == "HEAD":
            return web.Response(status=status, headers=headers, content_type="application/json")
        return web.Response(status=status, text=body, headers=headers, content_type="application/json")

    async def _select(self, request: web.Request, conn, table: Table, source: str, params: Params,
                      query: list[tuple[str, str]]) -> web.Response:
        """select/filters/order/limit/offset/count over ``source`` (a table or a function call)."""
        where = where_clause(table, query, params)
        limit, offset = int_param(request.query, "limit"), int_param(request.query, "offset") or 0
        sql = (f"select {select_list(table, request.query.get('select'))} from {source} as t"
               f" where {where}{order_clause(table, request.query.get('order'))}"
               + (f" limit {limit}" if limit is not None else "") + (f" offset {offset}" if offset else ""))
        row = await conn.fetchrow(f"select coalesce(json_agg(t), '[]')::text as body, count(*) as n from ({sql}) t",
                                  *params.values)
        total = None
        if _prefer(request).get("count") in ("exact", "planned", "estimated"):
            total = await conn.fetchval(f"select count(*) from {source} as t where {where}", *params.values)
        return self._respond(request, row["body"], row["n"], 200, offset=offset, total=total)

    async def _current(self, conn, name: str, handle):
        """``handle(table)`` for the table ``name``; when the request names a column the cache does not
        know (DDL whose notification has not arrived yet), once more on a freshly loaded cache."""
        for attempt in range(2):
            table = await self.schema.table(conn, name)
            try:
                return await handle(table)
            except ApiError as exc:
                if attempt or exc.body.get("code") not in UNKNOWN_COLUMN or not self.schema.may_be_stale():
                    raise
                await self.schema.load(conn)
        raise AssertionError("unreachable")

    async def read(self, request: web.Request) -> web.Response:
        async with self._as_caller(request, read_only=True) as (conn, _role):
            return await self._current(conn, request.match_info["table"], lambda table: self._select(
                request, conn, table, f"{SCHEMA}.{quote_ident(table.name)}", Params(), list(request.query.items())))

    async def _body(self, request: web.Request) -> tuple[list[dict] | dict, str]:
        """The JSON body and its text (passed on to PostgreSQL as sent: encoding it again would hold the
        event loop twice as long for a body of megabytes)."""
        try:
            text = (await request.read()).decode()
            body = jsonbound.loads(text)
        except (ValueError, UnicodeDecodeError):  # invalid JSON, or nested deeper than jsonbound allows
            body = None
        if not isinstance(body, dict | list) or (isinstance(body, list) and not all(isinstance(r, dict) for r in body)):
            raise ApiError(400, {"code": "PGRST102", "details": None, "hint": None, "message": "Empty or invalid json"})
        return body, text

    @staticmethod
    def _columns(table: Table, request: web.Request, rows: list[dict]) -> list[str]:
        if "columns" in request.query:
            cols = [c.strip().strip('"') for c in split_top_level(request.query["columns"]) if c.strip()]
        else:
            cols = list(dict.fromkeys(k for r in rows for k in r))
        for c in cols:
            if c not in table.columns:
                raise ApiError(400, {"code": "PGRST204", "details": None, "hint": None,
                                     "message": f"Could not find the '{c}' column of '{table.name}' in the schema cache"})
        return cols

    async def _write(self, request: web.Request, conn, table: Table, sql: str, params: Params,
                     status_with_body: int, status_without: int) -> web.Response:
        prefer = _prefer(request)
        if prefer.get("return") == "representation":
            select = select_list(table, request.query.get("select"))
            row = await conn.fetchrow(
                f"with m as ({sql} returning *) select coalesce(json_agg(t), '[]')::text as body, count(*) as n"
                f" from (select {select} from m) t", *params.values)
            return self._respond(request, row["body"], row["n"], status_with_body)
        status = await conn.execute(sql, *params.values)
        count = int(status.split()[-1]) if status and status.split()[-1].isdigit() else 0
        return web.Response(status=status_without, headers={"Content-Range": f"*/{count}"})

    async def insert(self, request: web.Request) -> web.Response:
        body, text = await self._body(request)
        rows = body if isinstance(body, list) else [body]
        rows_json = text if isinstance(body, list) else f"[{text}]"

        async def run(conn, table: Table) -> web.Response:
            cols = self._columns(table, request, rows)
            params = Params()
            payload = params.add(rows_json, None)
            target = f"{SCHEMA}.{quote_ident(table.name)}"
            col_sql = ", ".join(quote_ident(c) for c in cols)
            if cols:
                sql = f"insert into {target} ({col_sql}) select {col_sql} from json_populate_recordset(null::{target}, {payload}::json)"
            else:
                sql = f"insert into {target} default values"
            resolution = _prefer(request).get("resolution")
            if resolution in ("merge-duplicates", "ignore-duplicates"):
                conflict = [c.strip() for c in request.query.get("on_conflict", "").split(",") if c.strip()] or table.pk
                for c in conflict:
                    table.column(c)
                updates = [c for c in cols if c not in conflict]
                sql += f" on conflict ({', '.join(quote_ident(c) for c in conflict)}) "
                if resolution == "merge-duplicates" and updates:
                    sql += "do update set " + ", ".join(f"{quote_ident(c)} = excluded.{quote_ident(c)}" for c in updates)
                else:
                    sql += "do nothing"
            return await self._write(request, conn, table, sql, params, 201, 201)

        async with self._as_caller(request) as (conn, _role):
            return await self._current(conn, request.match_info["table"], lambda table: run(conn, table))

    async def update(self, request: web.Request) -> web.Response:
        body, body_json = await self._body(request)
        if not isinstance(body, dict):
            raise ApiError(400, {"code": "PGRST102", "details": None, "hint": None, "message": "Empty or invalid json"})

        async def run(conn, table: Table) -> web.Response:
            cols = self._columns(table, request, [body])
            if not cols:
                return web.Response(status=204)
            params = Params()
            payload = params.add(body_json, None)
            target = f"{SCHEMA}.{quote_ident(table.name)}"
            sets = ", ".join(f"{quote_ident(c)} = (select {quote_ident(c)} from json_populate_record(null::{target}, {payload}::json))"
                             for c in cols)
            sql = f"update {target} set {sets} where {where_clause(table, list(request.query.items()), params)}"
            return await self._write(request, conn, table, sql, params, 200, 204)

        async with self._as_caller(request) as (conn, _role):
            return await self._current(conn, request.match_info["table"], lambda table: run(conn, table))

    async def delete(self, request: web.Request) -> web.Response:
        async def run(conn, table: Table) -> web.Response:
            params = Params()
            sql = (f"delete from {SCHEMA}.{quote_ident(table.name)}"
                   f" where {where_clause(table, list(request.query.items()), params)}")
            return await self._write(request, conn, table, sql, params, 200, 204)

        async with self._as_caller(request) as (conn, _role):
            return await self._current(conn, request.match_info["table"], lambda table: run(conn, table))

    async def rpc(self, request: web.Request) -> web.Response:
        name = request.match_info["function"]
        query = [(k, v) for k, v in request.query.items() if k not in RESERVED_PARAMS]
        body = {}
        if request.method == "POST" and request.can_read_body:
            body, _ = await self._body(request)
            if not isinstance(body, dict):
                raise parse_error("RPC arguments must be a JSON object")
        async with self._as_caller(request, read_only=request.method != "POST") as (conn, _role):
            if request.method == "POST":
                args, filters = body, query
            else:
                # GET/HEAD: parameters naming an argument of the function are arguments, the rest filter
                # its result (as PostgREST splits them).
                known = {a for f in await self.schema.candidates(conn, name) for a, _ in f.args}
                args = {k: v for k, v in query if k in known}
                filters = [(k, v) for k, v in query if k not in known]
            fn = await self.schema.function(conn, name, set(args))
            params = Params()
            types = dict(fn.args)
            call_args = ", ".join(f"{quote_ident(k)} => {_rpc_argument(params, v, types[k])}" for k, v in args.items())
            call = f"{SCHEMA}.{quote_ident(fn.name)}({call_args})"
            if fn.void:
                await conn.execute(f"select {call}", *params.values)
                return web.Response(status=204)
            if fn.returns_set and fn.composite:
                return await self._select(request, conn, fn.result_table(), call, params, filters)
            if filters:
                raise parse_error(f"{fn.name} does not return rows of a table type: its result cannot be filtered")
            if fn.returns_set:
                row = await conn.fetchrow(f"select coalesce(json_agg(t.v), '[]')::text as body, count(*) as n"
                                          f" from {call} as t(v)", *params.values)
                return self._respond(request, row["body"], row["n"], 200)
            if fn.composite:
                sql = (f"select to_json(t)::text from (select {select_list(fn.result_table(), request.query.get('select'))}"
                       f" from {call} as t) t")
            else:
                sql = f"select to_json({call})::text"
            body = await conn.fetchval(sql, *params.values)
        if request.method == "HEAD":
            return web.Response(status=200, content_type="application/json")
        return web.Response(status=200, text=body or "null", content_type="application/json")


def setup(app: web.Application, ctx) -> None:
    service = RestService(ctx)
    app["rest"] = service
    watcher = SchemaWatcher(lambda: ctx.db.dsn(), service.schema)

    async def on_startup(_app: web.Application) -> None:
        watcher.start()

    async def on_cleanup(_app: web.Application) -> None:
        await watcher.stop()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    app.router.add_get("/rest/v1/rpc/{function}", service.rpc)  # add_get answers HEAD too
    app.router.add_post("/rest/v1/rpc/{function}", service.rpc)
    app.router.add_get("/rest/v1/{table}", service.read)
    app.router.add_route("POST", "/rest/v1/{table}", service.insert)
    app.router.add_route("PATCH", "/rest/v1/{table}", service.update)
    app.router.add_route("DELETE", "/rest/v1/{table}", service.delete)


def _rpc_argument(params: Params, value, arg_type: str) -> str:
    """One RPC argument as PostgREST passes it: a JSON array to an array parameter becomes a PostgreSQL
    array (its elements cast to the element type), anything else goes as text cast to the type."""
    if arg_type.endswith("[]") and isinstance(value, list) and not any(isinstance(v, dict | list) for v in value):
        return params.add([v if isinstance(v, str) or v is None else json.dumps(v) for v in value], arg_type[:-2])
    return params.add(value if isinstance(value, str) or value is None else json.dumps(value), arg_type)
