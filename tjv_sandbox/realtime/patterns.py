"""like/ilike/match/imatch filters of postgres_changes, evaluated by PostgreSQL as the real server does.

Python's ``re`` backtracks: ``^(a+)+$`` against 27 characters ran 4.5 s on the event loop for every
change, stalling every client of the sandbox. PostgreSQL evaluates the patterns of a whole batch in one
statement under a statement timeout, on its own process; when that times out, each pattern is tried
alone, so a pathological one fails only its own subscribers.
"""

from __future__ import annotations

import logging

import asyncpg

from .filters import Pattern

log = logging.getLogger(__name__)

BATCH_TIMEOUT = "500ms"  # every pattern of one batch, together
ALONE_TIMEOUT = "200ms"  # each pattern again, when the batch timed out


async def verdicts(pool, deferred: list[tuple[object, list[tuple[str, Pattern]]]]) -> dict:
    """For each (key, [(value, pattern), …]): True when every value matches its pattern."""
    result = {key: False for key, _ in deferred}
    rows = [(g, value, p) for g, (_, checks) in enumerate(deferred) for value, p in checks]
    try:
        passed = await _evaluate(pool, rows, BATCH_TIMEOUT)
    except asyncpg.QueryCanceledError:
        held: dict[Pattern, set[int]] = {}
        for pattern in {p for _, _, p in rows}:
            try:
                held[pattern] = await _evaluate(pool, [r for r in rows if r[2] == pattern], ALONE_TIMEOUT)
            except asyncpg.QueryCanceledError:
                log.warning("realtime: filter pattern %r timed out; its changes are not delivered",
                            pattern.pattern[:80])
                held[pattern] = set()
        passed = {g for g, (_, checks) in enumerate(deferred) if all(g in held[p] for _, p in checks)}
    except asyncpg.PostgresError as exc:
        log.warning("realtime: filter patterns could not be evaluated: %s", exc)
        return result
    for g in passed:
        result[deferred[g][0]] = True
    return result


async def _evaluate(pool, rows: list[tuple[int, str, Pattern]], timeout: str) -> set[int]:
    """Groups whose every (value, pattern) holds."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(f"set local statement_timeout = '{timeout}'")
        found = await conn.fetch(
            """select g from unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::bool[]) x(g, v, op, p, neg)
               group by g
               having bool_and((case op when '~~' then v ~~ p when '~~*' then v ~~* p
                                        when '~' then v ~ p else v ~* p end) <> neg)""",
            [g for g, _, _ in rows], [v for _, v, _ in rows], [p.operator for _, _, p in rows],
            [p.pattern for _, _, p in rows], [p.negate for _, _, p in rows])
    return {r[0] for r in found}
