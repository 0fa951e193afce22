"""postgres_changes bindings: parsing as the real server parses them (protocol reference §5.2), the exact
error texts it answers with, and filters compiled to Python predicates over a column's text value (like and
regular-expression patterns excepted: PostgreSQL evaluates those).

Filter values are compared after conversion to the column's type (integers, numeric, floats, booleans,
uuids, dates and timestamps, json); other types compare as text. A NULL or absent column fails every
filter except ``is.null`` (and ``isdistinct``), negated or not, as ``coalesce(<op>, false)`` does.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import asyncpg

from .pgoutput import parse_array

FILTER_TYPES = ("eq", "neq", "lt", "lte", "gt", "gte", "in", "like", "ilike", "is", "match", "imatch",
                "isdistinct")
EVENTS = ("INSERT", "UPDATE", "DELETE")


class BindingError(ValueError):
    """The binding cannot be subscribed; the message is the real server's system error text."""


@dataclass(frozen=True)
class Filter:
    column: str
    op: str
    value: str  # `in` values as the array literal '{a,b}'
    negate: bool


@dataclass(frozen=True)
class Binding:
    id: int
    event: str  # '*' | INSERT | UPDATE | DELETE
    schema: str
    table: str
    filters: tuple[Filter, ...]
    select: tuple[str, ...] | None

    def matches(self, schema: str, table: str, kind: str) -> bool:
        return ((self.event == "*" or self.event == kind) and (self.schema == "*" or self.schema == schema)
                and (self.table == "*" or self.table == table))

    def log_params(self) -> str:
        """The ``[event: *, schema: public, …]`` text of the real server's error messages."""
        filters = inspect([(f.column, f.op, f.value, f.negate) for f in self.filters])
        select = "nil" if self.select is None else inspect(list(self.select))
        return f"event: {self.event}, schema: {self.schema}, table: {self.table}, filters: {filters}, select: {select}"


def inspect(value: Any) -> str:
    """Elixir's ``inspect/1`` for the JSON-ish values a binding holds."""
    if value is None:
        return "nil"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, tuple):
        return "{" + ", ".join(inspect(v) for v in value) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(inspect(v) for v in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: str(kv[0]))
        return "%{" + ", ".join(f"{inspect(k)} => {inspect(v)}" for k, v in items) + "}"
    return repr(value)


def parse_binding(params: dict) -> Binding:
    """A binding as sent by a client (``id`` optional); BindingError with the server's text otherwise."""
    given = {k: v for k, v in params.items() if v is not None and k != "id"}
    event = given.get("event")
    event = event.upper() if isinstance(event, str) and event.upper() in EVENTS else "*"
    select = given.get("select")
    if isinstance(select, str):
        raise BindingError('Error parsing `select` params: expected a list of column name strings, '
                           'e.g. select: ["col1", "col2"]')
    select = (tuple(c for c in select if isinstance(c, str)) or None) if isinstance(select, list) else None
    schema, table, flt = given.get("schema"), given.get("table"), given.get("filter")
    filters: tuple[Filter, ...] = ()
    if isinstance(schema, str) and isinstance(table, str) and isinstance(flt, str):
        filters = tuple(parse_filters(flt))
    elif isinstance(schema, str) and isinstance(table, str) and "filter" not in given:
        pass
    elif isinstance(schema, str) and "table" not in given and "filter" not in given:
        table = "*"
    elif isinstance(table, str) and "schema" not in given and "filter" not in given:
        schema = "public"
    elif "user_token" in given or "auth_token" in given:
        raise BindingError("No subscription params provided. Please provide at least a `schema` or `table` "
                           "to subscribe to: <redacted>")
    else:
        raise BindingError("No subscription params provided. Please provide at least a `schema` or `table` "
                           f"to subscribe to: {inspect(dict(params))}")
    if select is not None and (schema == "*" or table == "*"):
        raise BindingError("Column selection is not supported for wildcard subscriptions. "
                           "Provide an explicit schema and table name.")
    bid = params.get("id")
    return Binding(bid if isinstance(bid, int) else 0, event, schema, table, filters, select)


def _split_top_level(text: str) -> list[str]:
    parts, cur, depth, quoted, prev = [], [], 0, False, ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == "\\" and i + 1 < len(text):
                cur.append(text[i:i + 2])
                i += 2
                continue
            quoted = ch != '"'
        elif ch == '"' and prev in (".", "(", ","):
            quoted = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            parts.append("".join(cur))
            cur, prev, i = [], "", i + 1
            continue
        cur.append(ch)
        prev = ch
        i += 1
    parts.append("".join(cur))
    return parts


def _unquote(value: str) -> str:
    if not value.startswith('"'):
        return value
    out, i = [], 1
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            out.append(value[i + 1])
            i += 2
            continue
        if ch == '"':
            return "".join(out) if i == len(value) - 1 else value
        out.append(ch)
        i += 1
    return value


def parse_filters(text: str) -> list[Filter]:
    if not text.strip():
        return []
    filters = []
    for segment in _split_top_level(text.strip()):
        segment = segment.strip()
        if not segment:
            raise BindingError("Error parsing `filter` params: filter must not contain empty segments "
                               "(check for extra commas)")
        col, sep, rest = segment.partition("=")
        if not sep:
            raise BindingError(f"Error parsing `filter` params: {inspect([segment])}")
        negate = rest.startswith("not.")
        op_value = rest[4:] if negate else rest
        op, dot, value = op_value.partition(".")
        if not dot:
            raise BindingError(f"Error parsing `filter` params: {inspect([op_value])}")
        if op not in FILTER_TYPES:
            raise BindingError(f"Error parsing `filter` params: {inspect([op, value])}")
        if op == "in":
            if not (len(value) >= 2 and value.startswith("(") and value.endswith(")")):
                raise BindingError("Error parsing `filter` params: `in` filter value must be wrapped by parentheses")
            value = "{" + value[1:-1] + "}"
        else:
            value = _unquote(value)
        filters.append(Filter(col, op, value, negate))
    return filters


# -- evaluation ---------------------------------------------------------------------------------------

def _bool(text: str) -> bool:
    t = text.strip().lower()
    if t in ("t", "true", "y", "yes", "on", "1"):
        return True
    if t in ("f", "false", "n", "no", "off", "0"):
        return False
    raise ValueError(text)


def _timestamptz(text: str) -> datetime:
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(text) from exc


_COERCE: dict[str, Callable[[str], Any]] = {
    "int2": int, "int4": int, "int8": int, "oid": int, "numeric": _decimal, "float4": float, "float8": float,
    "bool": _bool, "uuid": uuid.UUID, "timestamptz": _timestamptz,
    "timestamp": lambda t: datetime.fromisoformat(t).replace(tzinfo=None), "date": date.fromisoformat,
    "json": json.loads, "jsonb": json.loads,
}


@dataclass(frozen=True)
class Pattern:
    """A like/ilike/match/imatch filter. Such patterns are evaluated by PostgreSQL, as the real server
    does (``patterns.verdicts``, with a statement timeout), never by Python's
    backtracking ``re`` on the event loop: one ``^(a+)+$`` froze every client of the sandbox."""

    operator: str  # ~~, ~~*, ~ or ~*
    pattern: str
    negate: bool


PATTERN_OPERATORS = {"like": "~~", "ilike": "~~*", "match": "~", "imatch": "~*"}


def compile_filter(f: Filter, type_name: str) -> Callable[[Any], bool] | Pattern:
    """Predicate over a column's text value (None = NULL, missing = anything not str), or the Pattern
    that PostgreSQL must evaluate."""
    coerce = _COERCE.get(type_name, str)

    def conv(text: Any) -> Any:
        return coerce(text) if isinstance(text, str) else None

    if f.op == "is":
        want = {"null": None, "true": True, "false": False, "unknown": None}.get(f.value)

        def is_(text: Any) -> bool:
            if not isinstance(text, str) and text is not None:
                return False
            try:
                value = None if text is None else (_bool(text) if f.value != "null" else text)
            except ValueError:
                return False
            result = value is None if want is None else value is want
            return result != f.negate

        return is_
    if f.op in PATTERN_OPERATORS:
        return Pattern(PATTERN_OPERATORS[f.op], f.value, f.negate)
    if f.op == "in":
        wanted = [v for v in parse_array(f.value, coerce) if v is not None]
        compare: Callable[[Any], bool] = lambda v: v in wanted  # noqa: E731
    else:
        other = coerce(f.value)
        compare = {
            "eq": lambda v: v == other, "neq": lambda v: v != other, "isdistinct": lambda v: v != other,
            "lt": lambda v: v < other, "lte": lambda v: v <= other,
            "gt": lambda v: v > other, "gte": lambda v: v >= other,
        }[f.op]

    def check(text: Any) -> bool:
        if f.op == "isdistinct" and text is None:
            return not f.negate  # NULL is distinct from any value
        if not isinstance(text, str):
            return False
        try:
            return compare(conv(text)) != f.negate
        except (TypeError, ValueError, ArithmeticError):
            return False

    return check


# -- validation against the database ------------------------------------------------------------------

_PUBLICATION_TABLES = """
select c.oid, p.schemaname, p.tablename
from pg_catalog.pg_publication_tables p
join pg_catalog.pg_namespace n on n.nspname = p.schemaname
join pg_catalog.pg_class c on c.relnamespace = n.oid and c.relname = p.tablename
where p.pubname = $1
  and p.schemaname like (case $2 when '*' then '%' else $2 end) escape ''
  and p.tablename like (case $3 when '*' then '%' else $3 end) escape ''
"""

_COLUMNS = """
select a.attname, a.atttypid::regtype::text, a.atttypid::regtype = 'boolean'::regtype
from pg_catalog.pg_attribute a where a.attrelid = $1 and a.attnum > 0 and not a.attisdropped
"""


class _Raise(Exception):
    """What the real server's subscription_check_filters trigger raises (P0001)."""


def _pg_error_text(exc: Exception) -> str:
    """Postgrex's rendering of a PostgreSQL error: ``ERROR 22P02 (invalid_text_representation) …``."""
    if isinstance(exc, _Raise):
        return f"ERROR P0001 (raise_exception) {exc}"
    code = getattr(exc, "sqlstate", None) or "XX000"
    name = type(exc).__name__.removesuffix("Error")
    condition = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() if code != "P0001" else "raise_exception"
    return f"ERROR {code} ({condition}) {getattr(exc, 'message', None) or exc}"


async def validate_binding(pool, params: dict, publication: str) -> str | None:
    """None when the binding can be subscribed, else the real server's system error text."""
    try:
        b = parse_binding(params)
    except BindingError as exc:
        return str(exc)
    async with pool.acquire() as conn:
        tables = await conn.fetch(_PUBLICATION_TABLES, publication, b.schema, b.table)
        if not tables:
            return ("Unable to subscribe to changes with given parameters. Please check Realtime is enabled "
                    f"for the given connect parameters: [{b.log_params()}]")
        for t in tables:
            try:
                await _check_table(conn, t["oid"], b)
            except (_Raise, asyncpg.PostgresError) as exc:
                return ("Unable to subscribe to changes with given parameters. An exception happened so please "
                        f"check your connect parameters: [{b.log_params()}]. Exception: {_pg_error_text(exc)}")
    return None


async def _check_table(conn, relid: int, b: Binding) -> None:
    columns = {r[0]: (r[1], r[2]) for r in await conn.fetch(_COLUMNS, relid)}
    for f in b.filters:
        if f.column not in columns:
            raise _Raise(f"invalid column for filter {f.column}")
        regtype, is_bool = columns[f.column]
        if f.op == "in":
            n = await conn.fetchval(f"select cardinality($1::text::{regtype}[])", f.value)
            if (n or 0) > 100:
                raise _Raise("too many values for `in` filter. Maximum 100")
        elif f.op == "is":
            if f.value not in ("null", "true", "false", "unknown"):
                raise _Raise("invalid value for is filter: must be null, true, false, or unknown")
            if f.value != "null" and not is_bool:
                raise _Raise(f"is {f.value} filter requires a boolean column, got {regtype}")
        elif f.op in ("like", "ilike", "match", "imatch"):
            opr = {"like": "~~", "ilike": "~~", "match": "~", "imatch": "~*"}[f.op]
            ok = await conn.fetchval("select exists(select 1 from pg_catalog.pg_operator where oprname = $1 "
                                     "and oprleft = $2::regtype)", opr, regtype)
            if not ok:
                raise _Raise(f"operator {f.op} requires a text-compatible column type, got {regtype}")
            if f.op in ("match", "imatch"):
                try:
                    await conn.fetchval("select '' ~ $1", f.value)
                except asyncpg.PostgresError as exc:
                    raise _Raise(f"invalid regular expression for {f.op} filter: {exc}") from exc
        else:
            await conn.fetchval(f"select $1::text::{regtype}", f.value)
    for col in b.select or ():
        if col not in columns:
            raise _Raise(f"invalid column for select {col}")
