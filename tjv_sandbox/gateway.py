"""What Supabase's API gateway does before a request reaches Auth or PostgREST: the API key check."""

from __future__ import annotations

from aiohttp import web

from .keys import ProjectKeys, TokenError


class ApiError(Exception):
    """An error answered as JSON with the status and body the real service gives."""

    def __init__(self, status: int, body: dict, headers: dict | None = None):
        super().__init__(body.get("message") or body.get("msg") or str(body))
        self.status = status
        self.body = body
        self.headers = headers or {}


def json_error(status: int, body: dict) -> ApiError:
    return ApiError(status, body)


@web.middleware
async def api_errors(request: web.Request, handler):
    try:
        return await handler(request)
    except ApiError as exc:
        return web.json_response(exc.body, status=exc.status, headers=exc.headers)


def api_key(request: web.Request) -> str | None:
    return request.headers.get("apikey") or request.query.get("apikey")


def require_api_key(request: web.Request, keys: ProjectKeys) -> dict:
    """Claims of the project API key on the request; 401 as the gateway answers otherwise."""
    key = api_key(request)
    if not key:
        raise json_error(401, {"message": "No API key found in request",
                               "hint": "No `apikey` request header or url param was found."})
    try:
        claims = keys.verify(key)
    except TokenError as exc:
        raise json_error(401, {"message": "Invalid API key", "hint": "Double check your Supabase `anon` or `service_role` API key."}) from exc
    if claims.get("role") not in ("anon", "service_role"):
        raise json_error(401, {"message": "Invalid API key", "hint": "Double check your Supabase `anon` or `service_role` API key."})
    return claims


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None
