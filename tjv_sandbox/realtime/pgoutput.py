"""Decoding of PostgreSQL's built-in ``pgoutput`` logical replication messages (protocol version 1), and
conversion of their text-format column values to JSON values the way ``to_jsonb`` renders them.

Only what a change feed needs: Begin, Commit, Relation, Type, Insert, Update, Delete (Truncate, Origin
and logical messages decode to ``None``). Values stay text until a subscriber needs them; ``TypeCache``
turns a type oid into a converter (domains resolve to their base type, arrays convert element-wise).
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

PG_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class Unchanged:
    """An unchanged TOASTed value ('u'): pgoutput does not resend it."""

    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED = Unchanged()

# One tuple: per column None (SQL NULL), UNCHANGED, or the value's text output.
TupleValues = list  # list[str | None | Unchanged]


@dataclass(eq=False)
class Column:
    name: str
    type_oid: int
    typmod: int
    key: bool  # part of the replica identity


@dataclass(eq=False)
class Relation:
    relid: int
    schema: str
    name: str
    replident: str  # 'd' default, 'f' full, 'i' index, 'n' nothing
    columns: list[Column]
    meta: dict = field(default_factory=dict)  # filled by consumers; a new Relation message starts afresh


@dataclass
class Begin:
    final_lsn: int
    commit_ts: int  # microseconds since 2000-01-01 UTC
    xid: int


@dataclass
class Commit:
    commit_lsn: int
    end_lsn: int
    commit_ts: int


@dataclass
class TypeMsg:
    oid: int
    schema: str
    name: str


@dataclass(eq=False)
class Change:
    kind: str  # "INSERT" | "UPDATE" | "DELETE"
    relid: int
    new: TupleValues | None
    old: TupleValues | None
    old_kind: str | None  # 'K' (identity key only) | 'O' (whole old row) | None
    relation: Relation | None = None


def pg_timestamp(us: int) -> datetime:
    return PG_EPOCH + timedelta(microseconds=us)


class _Reader:
    __slots__ = ("buf", "pos")

    def __init__(self, buf: bytes):
        self.buf = buf
        self.pos = 1

    def u8(self) -> int:
        v = self.buf[self.pos]
        self.pos += 1
        return v

    def byte(self) -> str:
        return chr(self.u8())

    def i16(self) -> int:
        (v,) = struct.unpack_from("!h", self.buf, self.pos)
        self.pos += 2
        return v

    def i32(self) -> int:
        (v,) = struct.unpack_from("!i", self.buf, self.pos)
        self.pos += 4
        return v

    def u32(self) -> int:
        (v,) = struct.unpack_from("!I", self.buf, self.pos)
        self.pos += 4
        return v

    def i64(self) -> int:
        (v,) = struct.unpack_from("!q", self.buf, self.pos)
        self.pos += 8
        return v

    def cstr(self) -> str:
        end = self.buf.index(0, self.pos)
        s = self.buf[self.pos:end].decode("utf-8", "replace")
        self.pos = end + 1
        return s

    def tuple(self) -> TupleValues:
        values: TupleValues = []
        for _ in range(self.i16()):
            kind = self.u8()
            if kind == 0x74 or kind == 0x62:  # 't' text ('b' binary never requested)
                n = self.i32()
                values.append(self.buf[self.pos:self.pos + n].decode("utf-8", "replace"))
                self.pos += n
            elif kind == 0x6E:  # 'n'
                values.append(None)
            elif kind == 0x75:  # 'u'
                values.append(UNCHANGED)
            else:
                raise ValueError(f"pgoutput: unknown tuple data kind {kind!r}")
        return values


def decode(buf: bytes) -> Begin | Commit | Relation | TypeMsg | Change | None:
    """One pgoutput message (the XLogData payload). Unneeded message kinds give None."""
    if not buf:
        return None
    r = _Reader(bytes(buf))
    tag = buf[0:1]
    if tag == b"B":
        return Begin(r.i64(), r.i64(), r.u32())
    if tag == b"C":
        r.u8()  # flags
        return Commit(r.i64(), r.i64(), r.i64())
    if tag == b"R":
        relid, schema, name, replident = r.u32(), r.cstr(), r.cstr(), r.byte()
        columns = []
        for _ in range(r.i16()):
            flags = r.u8()
            columns.append(Column(r.cstr(), r.u32(), r.i32(), bool(flags & 1)))
        return Relation(relid, schema or "pg_catalog", name, replident, columns)
    if tag == b"Y":
        return TypeMsg(r.u32(), r.cstr(), r.cstr())
    if tag == b"I":
        relid = r.u32()
        r.byte()  # 'N'
        return Change("INSERT", relid, r.tuple(), None, None)
    if tag == b"U":
        relid = r.u32()
        kind = r.byte()
        old = old_kind = None
        if kind in ("K", "O"):
            old_kind, old = kind, r.tuple()
            kind = r.byte()
        return Change("UPDATE", relid, r.tuple(), old, old_kind)
    if tag == b"D":
        relid = r.u32()
        kind = r.byte()
        return Change("DELETE", relid, None, r.tuple(), kind)
    return None  # 'T' truncate, 'O' origin, 'M' message, stream messages (not requested)


# -- text to JSON (to_jsonb semantics) ------------------------------------------------------------

_TZ_SHORT = re.compile(r"([+-]\d\d)$")
_TZ_SECONDS = re.compile(r"([+-]\d\d:\d\d):\d\d$")


def _tz_iso(text: str) -> str:
    """'…+00' → '…+00:00' (PostgreSQL's XSD style used by to_jsonb)."""
    return _TZ_SHORT.sub(r"\1:00", text)


def _timestamptz(text: str) -> str:
    if not text[:1].isdigit():
        return text  # infinity / -infinity
    return _tz_iso(text.replace(" ", "T", 1))


def _timestamp(text: str) -> str:
    return text.replace(" ", "T", 1) if text[:1].isdigit() else text


def _float(text: str) -> Any:
    try:
        v = float(text)
    except ValueError:
        return text
    return v if v == v and v not in (float("inf"), float("-inf")) else text


def _numeric(text: str) -> Any:
    if text in ("NaN", "Infinity", "-Infinity"):
        return text
    return float(text) if ("." in text or "e" in text or "E" in text) else int(text)


def _bytea(text: str) -> str:
    return text[2:] if text.startswith("\\x") else text


def _jsonv(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


_SCALARS: dict[str, Callable[[str], Any]] = {
    "bool": lambda t: t == "t",
    "int2": int, "int4": int, "int8": int, "oid": int, "xid": int, "cid": int,
    "float4": _float, "float8": _float, "numeric": _numeric,
    "json": _jsonv, "jsonb": _jsonv,
    "timestamptz": _timestamptz, "timestamp": _timestamp, "timetz": _tz_iso,
    "bytea": _bytea,
}


def parse_array(text: str, convert: Callable[[str], Any] = str, delim: str = ",") -> list:
    """A PostgreSQL array literal ('{1,2}', '{{a,"b c"},{NULL,d}}', '[0:1]={x,y}') as nested lists."""
    if text.startswith("["):
        text = text[text.index("=") + 1:]
    pos = 0
    n = len(text)

    def level() -> list:
        nonlocal pos
        if text[pos] != "{":
            raise ValueError(f"malformed array literal: {text!r}")
        pos += 1
        items: list = []
        while pos < n:
            ch = text[pos]
            if ch == "}":
                pos += 1
                return items
            if ch == delim or ch.isspace():
                pos += 1
            elif ch == "{":
                items.append(level())
            elif ch == '"':
                pos += 1
                out = []
                while text[pos] != '"':
                    if text[pos] == "\\":
                        pos += 1
                    out.append(text[pos])
                    pos += 1
                pos += 1
                items.append(convert("".join(out)))
            else:
                out = []
                while text[pos] not in (delim, "}"):
                    if text[pos] == "\\":
                        pos += 1
                    out.append(text[pos])
                    pos += 1
                raw = "".join(out).strip()
                items.append(None if raw.upper() == "NULL" else convert(raw))
        raise ValueError(f"malformed array literal: {text!r}")

    return level()


@dataclass
class TypeInfo:
    oid: int
    name: str  # pg_type.typname, what `columns` reports
    typtype: str  # b base, d domain, e enum, c composite, r range, p pseudo, m multirange
    elem: int  # element type of an array type (typcategory 'A'), else 0
    base: int  # base type of a domain, else 0
    delim: str
    converter: Callable[[str], Any] | None = None


TYPE_QUERY = """
select t.oid, t.typname, t.typtype::text, case when t.typcategory = 'A' then t.typelem else 0::oid end,
       t.typbasetype, t.typdelim::text
from pg_catalog.pg_type t
"""


class TypeCache:
    """pg_type by oid, loaded once (and again for oids created later) through an asyncpg pool."""

    def __init__(self) -> None:
        self.types: dict[int, TypeInfo] = {}

    async def load(self, pool, oids: set[int] | None = None) -> None:
        if oids is None:
            rows = await pool.fetch(TYPE_QUERY)
        else:
            rows = await pool.fetch(TYPE_QUERY + " where t.oid = any($1::oid[])", list(oids))
        for r in rows:
            self.types[r[0]] = TypeInfo(r[0], r[1], r[2], r[3], r[4], r[5] or ",")

    async def ensure(self, pool, oids: set[int]) -> None:
        """Loads every oid in ``oids`` not yet known, elements and domain bases included."""
        missing = {o for o in oids if o not in self.types}
        while missing:
            await self.load(pool, missing)
            unknown = {o for o in missing if o not in self.types}
            for o in unknown:  # vanished type: treat as text
                self.types[o] = TypeInfo(o, str(o), "b", 0, 0, ",")
            missing = {d for o in missing for d in (self.types[o].elem, self.types[o].base)
                       if d and d not in self.types}

    def name(self, oid: int) -> str:
        info = self.types.get(oid)
        return info.name if info else str(oid)

    def base(self, oid: int) -> TypeInfo | None:
        """The type a value behaves as: a domain's base type (recursively), else the type itself."""
        info = self.types.get(oid)
        for _ in range(16):
            if info is None or info.typtype != "d" or not info.base:
                return info
            info = self.types.get(info.base)
        return info

    def converter(self, oid: int) -> Callable[[str], Any]:
        info = self.types.get(oid)
        if info is None:
            return str
        if info.converter is None:
            info.converter = self._build(oid)
        return info.converter

    def _build(self, oid: int) -> Callable[[str], Any]:
        info = self.base(oid)
        if info is None:
            return str
        if info.elem:
            element = self.converter(info.elem)
            delim = info.delim

            def array(text: str) -> Any:
                try:
                    return parse_array(text, element, delim)
                except (ValueError, IndexError):
                    return text

            return array
        scalar = _SCALARS.get(info.name) if info.typtype == "b" else None
        if scalar is None:
            return str

        def safe(text: str) -> Any:
            try:
                return scalar(text)
            except ValueError:
                return text

        return safe

    def to_json(self, oid: int, value: str | None) -> Any:
        return None if value is None else self.converter(oid)(value)
