"""PostgREST's URL grammar, turned into parameterised SQL: select lists, filters, logic trees, order.

Every value travels as a text parameter cast to the column's type, so PostgreSQL does the typing (and
reports a bad value as PostgREST would, with SQLSTATE 22P02).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .gateway import ApiError

OPERATORS = {
    "eq": "=", "neq": "<>", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=",
    "like": "like", "ilike": "ilike", "match": "~", "imatch": "~*",
    "cs": "@>", "cd": "<@", "ov": "&&", "is": "is", "in": "in", "isdistinct": "is distinct from",
}
RESERVED_PARAMS = {"select", "order", "limit", "offset", "on_conflict", "columns", "apikey", "vsn"}
MAX_TREE_DEPTH = 32  # nested and()/or() levels; deeper trees are refused as parse errors
IS_VALUES = {"null": "null", "true": "true", "false": "false", "unknown": "unknown", "not_null": "not null"}


def parse_error(message: str, details: str | None = None) -> ApiError:
    return ApiError(400, {"code": "PGRST100", "details": details, "hint": None, "message": message})


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass
class Params:
    """Accumulates text parameters for asyncpg ($1, $2, …)."""

    values: list[str | None] = field(default_factory=list)

    def add(self, value: str | list[str] | None, cast: str | None) -> str:
        self.values.append(value)  # type: ignore[arg-type]
        n = len(self.values)
        if isinstance(value, list):
            return f"(${n}::text[])::{cast}[]" if cast else f"${n}::text[]"
        return f"(${n}::text)::{cast}" if cast else f"${n}::text"


class Table:
    """A relation's columns (name → base type usable in a cast) and primary key."""

    def __init__(self, name: str, columns: dict[str, str], pk: list[str]):
        self.name = name
        self.columns = columns
        self.pk = pk

    def column(self, name: str) -> str:
        if name not in self.columns:
            raise ApiError(400, {"code": "42703", "details": None, "hint": None,
                                 "message": f"column {self.name}.{name} does not exist"})
        return self.columns[name]


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split at ``sep`` outside parentheses, braces (array and range literals: ``tags.cs.{a,b}``) and
    double quotes."""
    parts, depth, quoted, current = [], 0, False, []
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "({":
            depth += 1
        elif not quoted and ch in ")}":
            depth -= 1
        if ch == sep and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if quoted or depth != 0:
        raise parse_error(f'"failed to parse logic tree ({text})"', "unbalanced parentheses or quotes")
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"')
    return value


def select_list(table: Table, select: str | None) -> str:
    if not select or select.strip() == "*":
        return "*"
    out = []
    for item in split_top_level(select):
        item = item.strip()
        if not item:
            continue
        if "(" in item:
            raise parse_error(f'"failed to parse select parameter ({select})"',
                              "resource embedding is not supported by the sandbox")
        alias, _, name = item.rpartition(":") if ":" in item and "::" not in item else ("", "", item)
        name, _, cast = name.partition("::")
        name = name.strip()
        if name == "*":
            out.append("*")
            continue
        table.column(name)
        expr = quote_ident(name) + (f"::{cast.strip()}" if cast and cast.strip().isidentifier() else "")
        out.append(f"{expr} as {quote_ident(alias.strip() or name)}")
    return ", ".join(out) or "*"


def condition(table: Table, column: str, expression: str, params: Params) -> str:
    """``column`` with a PostgREST ``[not.]op.value`` expression → SQL."""
    negate = False
    if expression.startswith("not."):
        negate, expression = True, expression[4:]
    op, dot, value = expression.partition(".")
    if not dot or op not in OPERATORS:
        raise parse_error(f'"failed to parse filter ({expression})" (line 1, column 1)',
                          f"unexpected \"{op}\" expecting an operator")
    cast = table.column(column)
    col = quote_ident(column)
    if op == "is":
        if value.lower() not in IS_VALUES:
            raise parse_error(f'"failed to parse filter (is.{value})"', "expecting null, true, false or unknown")
        sql = f"{col} is {IS_VALUES[value.lower()]}"
    elif op == "in":
        if not (value.startswith("(") and value.endswith(")")):
            raise parse_error(f'"failed to parse filter (in.{value})"', "expecting a list in parentheses")
        items = [_unquote(v) for v in split_top_level(value[1:-1])] if value[1:-1].strip() else []
        sql = f"{col} = any({params.add(items, cast)})"
    elif op in ("like", "ilike"):
        sql = f"{col}::text {OPERATORS[op]} {params.add(value.replace('*', '%'), None)}"
    elif op in ("match", "imatch"):
        sql = f"{col}::text {OPERATORS[op]} {params.add(value, None)}"
    else:
        sql = f"{col} {OPERATORS[op]} {params.add(_unquote(value), cast)}"
    return f"not ({sql})" if negate else sql


def logic_tree(table: Table, op: str, text: str, params: Params, depth: int = 1) -> str:
    """``or=(a.eq.1,and(b.gt.2,c.lt.3))`` → SQL."""
    if not (text.startswith("(") and text.endswith(")")):
        raise parse_error(f'"failed to parse logic tree ({text})"', "expecting a list in parentheses")
    if depth > MAX_TREE_DEPTH:
        raise parse_error(f'"failed to parse logic tree ({text[:80]}…)"',
                          f"logic trees nest at most {MAX_TREE_DEPTH} levels")
    parts = []
    for item in split_top_level(text[1:-1]):
        item = item.strip()
        negate = item.startswith("not.")
        body = item[4:] if negate else item
        head = body.split("(", 1)[0]
        if head in ("and", "or") and body.endswith(")"):
            sql = logic_tree(table, head, body[len(head):], params, depth + 1)
        else:
            column, dot, expression = body.partition(".")
            if not dot:
                raise parse_error(f'"failed to parse logic tree ({text})"', f"unexpected \"{item}\"")
            sql = condition(table, column, expression, params)
        parts.append(f"not ({sql})" if negate else sql)
    return "(" + f" {op} ".join(parts or ["true"]) + ")"


def where_clause(table: Table, query: list[tuple[str, str]], params: Params) -> str:
    conditions = []
    for key, value in query:
        if key in RESERVED_PARAMS:
            continue
        if key in ("or", "and", "not.or", "not.and"):
            negate = key.startswith("not.")
            sql = logic_tree(table, key.removeprefix("not."), value, params)
            conditions.append(f"not {sql}" if negate else sql)
        else:
            conditions.append(condition(table, key, value, params))
    return " and ".join(conditions) if conditions else "true"


def order_clause(table: Table, order: str | None) -> str:
    if not order:
        return ""
    terms = []
    for item in split_top_level(order):
        parts = item.strip().split(".")
        column = parts[0]
        table.column(column)
        sql = quote_ident(column)
        for modifier in parts[1:]:
            if modifier in ("asc", "desc"):
                sql += f" {modifier}"
            elif modifier in ("nullsfirst", "nullslast"):
                sql += " nulls " + modifier[5:]
            else:
                raise parse_error(f'"failed to parse order ({order})"', f"unexpected \"{modifier}\"")
        terms.append(sql)
    return " order by " + ", ".join(terms)


def int_param(query, name: str) -> int | None:
    raw = query.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise parse_error(f'"failed to parse {name} parameter ({raw})"') from None
    if value < 0:
        raise parse_error(f'"failed to parse {name} parameter ({raw})"')
    return value
