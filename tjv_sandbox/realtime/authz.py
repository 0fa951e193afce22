"""Tokens and Realtime Authorization (private channels through RLS policies on realtime.messages).

The policy checks run exactly as the real server runs them (protocol reference §9): inside a transaction
that is always rolled back, with ``role``, ``realtime.topic`` (the subtopic, without ``realtime:``) and the
``request.jwt.*`` settings set locally, so PostgreSQL itself evaluates the project's policies.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

import asyncpg
import jwt

from ..keys import ProjectKeys, TokenError

log = logging.getLogger(__name__)

# Join error codes the real server puts in front of a token error message.
JOIN_ERROR_CODES = {"expired": "InvalidJWTToken", "claims": "InvalidJWTToken",
                    "malformed": "MalformedJWT", "signature": "JwtSignatureError"}

_SET_CLAIMS = """
select set_config('role', $1, true),
       set_config('realtime.topic', $2, true),
       set_config('request.jwt.claims', $3, true),
       set_config('request.jwt.claim.sub', $4, true),
       set_config('request.jwt.claim.role', $1, true),
       set_config('request.headers', '{}', true)
"""


def is_opaque_key(token: str) -> bool:
    """``sb_publishable_…``/``sb_secret_…`` keys: not JWTs; the gateway would translate them."""
    return token.startswith("sb_")


def api_key_claims(keys: ProjectKeys, token: str | None) -> dict:
    """Claims of a connect-time or REST key: one of the project's keys (JWTs with role and exp; the
    sandbox issues no ``sb_`` keys, so none is accepted)."""
    return keys.verify(token)


def verify_access_token(keys: ProjectKeys, token: str) -> dict:
    """Claims of a channel access token; TokenError carries the channel-level texts, including
    ``Token has expired <n> seconds ago``."""
    if is_opaque_key(token):
        return {"role": "anon"}
    try:
        return keys.verify(token)
    except TokenError as exc:
        if exc.reason != "expired":
            raise
        exp = jwt.decode(token, options={"verify_signature": False})["exp"]
        raise TokenError("expired", expired_message(exp)) from exc


def expired_message(exp: float) -> str:
    return f"Token has expired {max(0, int(time.time() - exp))} seconds ago"


def join_error_reason(exc: TokenError) -> str:
    return f"{JOIN_ERROR_CODES.get(exc.reason, 'InvalidJWTToken')}: {exc}"


async def _set_claims(conn: asyncpg.Connection, sub_topic: str, claims: dict) -> None:
    await conn.execute(_SET_CLAIMS, str(claims.get("role") or "anon"), sub_topic, json.dumps(claims),
                       str(claims.get("sub") or ""))


async def read_permissions(pool: asyncpg.Pool, sub_topic: str, claims: dict,
                           extensions: tuple[str, ...]) -> dict[str, bool]:
    """Which of ``extensions`` the claims may read on ``sub_topic``: rows inserted as admin, then
    selected back under the user's role."""
    ids = {ext: uuid.uuid4() for ext in extensions}
    async with pool.acquire() as conn:
        tr = conn.transaction()
        await tr.start()
        try:
            await conn.executemany(
                "insert into realtime.messages (id, topic, extension, inserted_at, updated_at)"
                " values ($1, $2, $3, now(), now())",
                [(id_, sub_topic, ext) for ext, id_ in ids.items()])
            await _set_claims(conn, sub_topic, claims)
            visible = {r["id"] for r in await conn.fetch(
                "select id from realtime.messages where id = any($1::uuid[])", list(ids.values()))}
        finally:
            await tr.rollback()
    return {ext: id_ in visible for ext, id_ in ids.items()}


async def write_permission(pool: asyncpg.Pool, sub_topic: str, claims: dict, extension: str) -> bool:
    """Whether the claims may INSERT a ``extension`` message on ``sub_topic`` (always rolled back)."""
    async with pool.acquire() as conn:
        tr = conn.transaction()
        await tr.start()
        try:
            await _set_claims(conn, sub_topic, claims)
            try:
                async with conn.transaction():  # a savepoint, as the real server uses
                    await conn.execute(
                        "insert into realtime.messages (topic, extension, inserted_at, updated_at)"
                        " values ($1, $2, now(), now())", sub_topic, extension)
            except asyncpg.InsufficientPrivilegeError:
                return False
            return True
        finally:
            await tr.rollback()


def db_error_reason(exc: Exception) -> str:
    """Join error reason for a failed policy check."""
    if isinstance(exc, asyncpg.PostgresError):
        return f"RlsPolicyError: {exc}"
    return "UnableToConnectToProject: Realtime was unable to connect to the project database"
