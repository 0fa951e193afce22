"""``/auth/v1/signup`` and ``/auth/v1/admin/users``: creating users as GoTrue does, so tests and training
setups can make their own accounts with the official client.

The sandbox auto-confirms e-mail sign-ups (as a local Supabase stack does by default): the answer carries
a session. Admin endpoints need a ``service_role`` bearer token, as GoTrue's ``requireAdmin``.
"""

from __future__ import annotations

import json
import re
import uuid

import asyncpg
from aiohttp import web

from .auth import _error, json_body, user_json
from .gateway import bearer_token, require_api_key
from .keys import TokenError

MIN_PASSWORD = 6
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ADMIN_ROLES = ("service_role", "supabase_admin")
_INSERT_USER = """
insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                        raw_app_meta_data, raw_user_meta_data, confirmation_token, recovery_token,
                        email_change_token_new, email_change, created_at, updated_at)
values ('00000000-0000-0000-0000-000000000000', $1, 'authenticated', 'authenticated', $2,
        extensions.crypt($3, extensions.gen_salt('bf')), case when $4 then now() end, $5::jsonb, $6::jsonb,
        '', '', '', '', now(), now())
returning *
"""


def _email(body: dict) -> str:
    email = body.get("email")
    if not isinstance(email, str) or not email.strip():
        raise _error(400, "validation_failed", "To signup, please provide your email")
    email = email.strip().lower()
    if len(email) > 255 or not _EMAIL.match(email):
        raise _error(400, "validation_failed", "Unable to validate email address: invalid format")
    return email


def _password(body: dict, required: bool = True) -> str | None:
    password = body.get("password")
    if password is None and not required:
        return None
    if not isinstance(password, str) or len(password) < MIN_PASSWORD or len(password.encode()) > 72:
        raise _weak_password()
    return password


def _weak_password():
    err = _error(422, "weak_password", f"Password should be at least {MIN_PASSWORD} characters.")
    err.body["weak_password"] = {"reasons": ["length"]}
    return err


def _metadata(body: dict, key: str) -> dict:
    value = body.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _error(400, "validation_failed", f"{key} must be an object")
    return value


class UserAdmin:
    def __init__(self, ctx, auth):
        self.ctx = ctx
        self.auth = auth

    async def _create(self, conn: asyncpg.Connection, email: str, password: str | None, confirmed: bool,
                      app_metadata: dict, user_metadata: dict, exists_code: tuple[int, str, str]) -> asyncpg.Record:
        if await conn.fetchval("select 1 from auth.users where lower(email) = $1 and deleted_at is null", email):
            raise _error(*exists_code)
        app = {"provider": "email", "providers": ["email"], **app_metadata}
        return await conn.fetchrow(_INSERT_USER, uuid.uuid4(), email, password, confirmed, json.dumps(app),
                                   json.dumps(user_metadata))

    async def signup(self, request: web.Request) -> web.Response:
        require_api_key(request, self.ctx.keys)
        body = await json_body(request)
        email, password = _email(body), _password(body)
        async with self.ctx.require_pool().acquire() as conn, conn.transaction():
            user = await self._create(conn, email, password, True, {}, _metadata(body, "data"),
                                      (422, "user_already_exists", "User already registered"))
            user = await conn.fetchrow("update auth.users set last_sign_in_at = now() where id = $1 returning *",
                                       user["id"])
            session_id = uuid.uuid4()
            await conn.execute("insert into auth.sessions(id, user_id) values ($1, $2)", session_id, user["id"])
            return web.json_response(await self.auth._issue(conn, user, session_id, None))

    def _require_admin(self, request: web.Request) -> None:
        require_api_key(request, self.ctx.keys)
        try:
            claims = self.ctx.keys.verify(bearer_token(request))
        except TokenError as exc:
            raise _error(401, "bad_jwt", f"invalid JWT: unable to parse or verify signature, {exc}") from exc
        if claims.get("role") not in _ADMIN_ROLES:
            raise _error(403, "not_admin", "User not allowed")

    async def create_user(self, request: web.Request) -> web.Response:
        self._require_admin(request)
        body = await json_body(request)
        email, password = _email(body), _password(body, required=False)
        async with self.ctx.require_pool().acquire() as conn, conn.transaction():
            user = await self._create(conn, email, password, bool(body.get("email_confirm")),
                                      _metadata(body, "app_metadata"), _metadata(body, "user_metadata"),
                                      (422, "email_exists", "A user with this email address has already been registered"))
        return web.json_response(user_json(user))

    async def list_users(self, request: web.Request) -> web.Response:
        self._require_admin(request)
        try:
            page = max(1, int(request.query.get("page", 1)))
            per_page = min(1000, max(1, int(request.query.get("per_page", 50))))
        except ValueError:
            raise _error(400, "validation_failed", "Bad Pagination Parameters") from None
        async with self.ctx.require_pool().acquire() as conn:
            total = await conn.fetchval("select count(*) from auth.users where deleted_at is null")
            rows = await conn.fetch("select * from auth.users where deleted_at is null order by created_at, id "
                                    "limit $1 offset $2", per_page, (page - 1) * per_page)
        return web.json_response({"users": [user_json(r) for r in rows], "aud": "authenticated"},
                                 headers={"X-Total-Count": str(total)})

    async def _user_id(self, request: web.Request) -> uuid.UUID:
        try:
            return uuid.UUID(request.match_info["user_id"])
        except ValueError:
            raise _error(404, "user_not_found", "User not found") from None

    async def get_user(self, request: web.Request) -> web.Response:
        self._require_admin(request)
        user_id = await self._user_id(request)
        row = await self.ctx.require_pool().fetchrow("select * from auth.users where id = $1 and deleted_at is null",
                                                     user_id)
        if row is None:
            raise _error(404, "user_not_found", "User not found")
        return web.json_response(user_json(row))

    async def update_user(self, request: web.Request) -> web.Response:
        self._require_admin(request)
        user_id = await self._user_id(request)
        body = await json_body(request)
        password = _password(body, required=False)
        async with self.ctx.require_pool().acquire() as conn, conn.transaction():
            row = await conn.fetchrow("select * from auth.users where id = $1 and deleted_at is null for update",
                                      user_id)
            if row is None:
                raise _error(404, "user_not_found", "User not found")
            row = await conn.fetchrow(
                """update auth.users set
                     encrypted_password = coalesce(extensions.crypt($2, extensions.gen_salt('bf')), encrypted_password),
                     raw_app_meta_data = raw_app_meta_data || $3::jsonb,
                     raw_user_meta_data = raw_user_meta_data || $4::jsonb,
                     email_confirmed_at = case when $5 then coalesce(email_confirmed_at, now()) else email_confirmed_at end,
                     updated_at = now()
                   where id = $1 returning *""",
                user_id, password, json.dumps(_metadata(body, "app_metadata")),
                json.dumps(_metadata(body, "user_metadata")), bool(body.get("email_confirm")))
        return web.json_response(user_json(row))

    async def delete_user(self, request: web.Request) -> web.Response:
        self._require_admin(request)
        user_id = await self._user_id(request)
        status = await self.ctx.require_pool().execute("delete from auth.users where id = $1", user_id)
        if status == "DELETE 0":
            raise _error(404, "user_not_found", "User not found")
        return web.json_response({})


def setup(app: web.Application, ctx, auth) -> None:
    admin = UserAdmin(ctx, auth)
    app.router.add_post("/auth/v1/signup", admin.signup)
    app.router.add_post("/auth/v1/admin/users", admin.create_user)
    app.router.add_get("/auth/v1/admin/users", admin.list_users)
    app.router.add_get("/auth/v1/admin/users/{user_id}", admin.get_user)
    app.router.add_put("/auth/v1/admin/users/{user_id}", admin.update_user)
    app.router.add_delete("/auth/v1/admin/users/{user_id}", admin.delete_user)
