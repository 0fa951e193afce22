"""``/auth/v1``: the Supabase Auth (GoTrue) endpoints the official clients use.

Password and refresh-token grants, the current user, logout. Access tokens are HS256 JWTs carrying the
user's ``app_metadata`` (tenant, provider id, TJV role); refresh tokens rotate on every use and a reused
token revokes its session, as GoTrue does (with GoTrue's 10 s reuse interval for a concurrent retry).
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from datetime import UTC, datetime

import asyncpg
from aiohttp import web

from . import jsonbound
from .gateway import ApiError, bearer_token, require_api_key
from .keys import TokenError

REUSE_INTERVAL_S = 10


def _error(status: int, error_code: str, msg: str) -> ApiError:
    return ApiError(status, {"code": status, "error_code": error_code, "msg": msg})


def _iso(ts: datetime | None) -> str | None:
    return ts.astimezone(UTC).isoformat().replace("+00:00", "Z") if ts else None


def _jsonb(value) -> dict:
    if value is None:
        return {}
    return json.loads(value) if isinstance(value, str) else dict(value)


def user_json(row: asyncpg.Record) -> dict:
    return {
        "id": str(row["id"]),
        "aud": row["aud"] or "authenticated",
        "role": row["role"] or "authenticated",
        "email": row["email"],
        "email_confirmed_at": _iso(row["email_confirmed_at"]),
        "phone": row["phone"] or "",
        "confirmed_at": _iso(row["email_confirmed_at"]),
        "last_sign_in_at": _iso(row["last_sign_in_at"]),
        "app_metadata": _jsonb(row["raw_app_meta_data"]),
        "user_metadata": _jsonb(row["raw_user_meta_data"]),
        "identities": [],
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
        "is_anonymous": bool(row["is_anonymous"]),
    }


async def json_body(request: web.Request) -> dict:
    """The request's JSON object; GoTrue's bad_json error for anything else (too deep included)."""
    try:
        body = jsonbound.loads(await request.read())
    except (ValueError, UnicodeDecodeError):
        raise _error(400, "bad_json", "Could not parse request body as JSON") from None
    if not isinstance(body, dict):
        raise _error(400, "bad_json", "Could not parse request body as JSON")
    return body


class AuthService:
    def __init__(self, ctx):
        self.ctx = ctx

    def _access_token(self, user: asyncpg.Record, session_id: uuid.UUID) -> tuple[str, int]:
        now = int(time.time())
        exp = now + self.ctx.jwt_expiry
        claims = {
            "iss": f"{self.ctx.public_url}/auth/v1",
            "sub": str(user["id"]),
            "aud": user["aud"] or "authenticated",
            "exp": exp,
            "iat": now,
            "email": user["email"],
            "phone": user["phone"] or "",
            "app_metadata": _jsonb(user["raw_app_meta_data"]),
            "user_metadata": _jsonb(user["raw_user_meta_data"]),
            "role": user["role"] or "authenticated",
            "aal": "aal1",
            "amr": [{"method": "password", "timestamp": now}],
            "session_id": str(session_id),
            "is_anonymous": bool(user["is_anonymous"]),
        }
        return self.ctx.keys.sign(claims), exp

    async def _issue(self, conn: asyncpg.Connection, user: asyncpg.Record, session_id: uuid.UUID,
                     parent: str | None) -> dict:
        refresh = secrets.token_urlsafe(18)
        await conn.execute(
            "insert into auth.refresh_tokens(token, user_id, session_id, parent) values ($1, $2, $3, $4)",
            refresh, user["id"], session_id, parent,
        )
        await conn.execute("update auth.sessions set updated_at = now() where id = $1", session_id)
        access, exp = self._access_token(user, session_id)
        return {
            "access_token": access,
            "token_type": "bearer",
            "expires_in": self.ctx.jwt_expiry,
            "expires_at": exp,
            "refresh_token": refresh,
            "user": user_json(user),
        }

    async def token(self, request: web.Request) -> web.Response:
        require_api_key(request, self.ctx.keys)
        grant = request.query.get("grant_type")
        body = await json_body(request)
        if grant == "password":
            return web.json_response(await self._password_grant(body))
        if grant == "refresh_token":
            return web.json_response(await self._refresh_grant(body))
        raise _error(400, "validation_failed", "unsupported_grant_type")

    async def _password_grant(self, body: dict) -> dict:
        email = str(body.get("email") or "").strip().lower()
        password = body.get("password")
        if not email or not isinstance(password, str) or not password:
            raise _error(400, "validation_failed", "missing email or phone")
        async with self.ctx.require_pool().acquire() as conn, conn.transaction():
            user = await conn.fetchrow(
                "select * from auth.users where lower(email) = $1 and deleted_at is null "
                "and encrypted_password = extensions.crypt($2, encrypted_password)",
                email, password,
            )
            if user is None:
                raise _error(400, "invalid_credentials", "Invalid login credentials")
            if user["banned_until"] and user["banned_until"] > datetime.now(UTC):
                raise _error(400, "user_banned", "User is banned")
            user = await conn.fetchrow(
                "update auth.users set last_sign_in_at = now() where id = $1 returning *", user["id"]
            )
            session_id = uuid.uuid4()
            await conn.execute("insert into auth.sessions(id, user_id) values ($1, $2)", session_id, user["id"])
            return await self._issue(conn, user, session_id, None)

    async def _refresh_grant(self, body: dict) -> dict:
        token = body.get("refresh_token")
        if not isinstance(token, str) or not token:
            raise _error(400, "validation_failed", "refresh_token required")
        async with self.ctx.require_pool().acquire() as conn, conn.transaction():
            row = await conn.fetchrow("select * from auth.refresh_tokens where token = $1 for update", token)
            if row is None or row["session_id"] is None:
                raise _error(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found")
            if row["revoked"]:
                row = await conn.fetchrow(
                    "select * from auth.refresh_tokens where parent = $1 and not revoked "
                    "and created_at > now() - make_interval(secs => $2)",
                    token, float(REUSE_INTERVAL_S),
                )
            if row is not None:
                return await self._rotate(conn, row)
            # Reuse outside the grace interval: treat as theft and end the whole session. The
            # revocation commits with this transaction; the error is answered after it.
            await conn.execute(
                "update auth.refresh_tokens set revoked = true, updated_at = now() "
                "where session_id = (select session_id from auth.refresh_tokens where token = $1)", token,
            )
        raise _error(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used")

    async def _rotate(self, conn: asyncpg.Connection, row: asyncpg.Record) -> dict:
        user = await conn.fetchrow("select * from auth.users where id = $1 and deleted_at is null", row["user_id"])
        if user is None:
            raise _error(400, "user_not_found", "User from refresh token not found")
        await conn.execute("update auth.refresh_tokens set revoked = true, updated_at = now() where id = $1", row["id"])
        return await self._issue(conn, user, row["session_id"], row["token"])

    async def _claims(self, request: web.Request) -> dict:
        require_api_key(request, self.ctx.keys)
        token = bearer_token(request)
        try:
            claims = self.ctx.keys.verify(token, require=("sub", "exp"))
        except TokenError as exc:
            detail = "token is expired" if exc.reason == "expired" else str(exc)
            raise _error(403, "bad_jwt", f"invalid JWT: unable to parse or verify signature, {detail}") from exc
        return claims

    async def _live_session(self, conn: asyncpg.Connection, claims: dict) -> uuid.UUID | None:
        sid = claims.get("session_id")
        if not sid:
            return None
        alive = await conn.fetchval(
            "select exists(select 1 from auth.refresh_tokens where session_id = $1 and not revoked)", uuid.UUID(sid)
        )
        if not alive:
            raise _error(403, "session_not_found", "Session from session_id claim in JWT does not exist")
        return uuid.UUID(sid)

    async def user(self, request: web.Request) -> web.Response:
        claims = await self._claims(request)
        async with self.ctx.require_pool().acquire() as conn:
            await self._live_session(conn, claims)
            row = await conn.fetchrow("select * from auth.users where id = $1", uuid.UUID(claims["sub"]))
        if row is None:
            raise _error(403, "user_not_found", "User from sub claim in JWT does not exist")
        return web.json_response(user_json(row))

    async def logout(self, request: web.Request) -> web.Response:
        claims = await self._claims(request)
        scope = request.query.get("scope", "global")
        if scope not in ("global", "local", "others"):
            raise _error(400, "validation_failed", "Unsupported logout scope")
        user_id = uuid.UUID(claims["sub"])
        sid = uuid.UUID(claims["session_id"]) if claims.get("session_id") else None
        async with self.ctx.require_pool().acquire() as conn, conn.transaction():
            if scope == "local" and sid:
                where, args = "session_id = $1", [sid]
            elif scope == "others" and sid:
                where, args = "user_id = $1 and session_id <> $2", [user_id, sid]
            else:
                where, args = "user_id = $1", [user_id]
            await conn.execute(f"update auth.refresh_tokens set revoked = true, updated_at = now() where {where}", *args)
        return web.Response(status=204)


def setup(app: web.Application, ctx) -> None:
    from .auth_users import setup as setup_users

    service = AuthService(ctx)
    setup_users(app, ctx, service)
    app.router.add_post("/auth/v1/token", service.token)
    app.router.add_get("/auth/v1/user", service.user)
    app.router.add_post("/auth/v1/logout", service.logout)
