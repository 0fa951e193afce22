"""``/sandbox/v1``: sandbox-only operations for tests and the demo (service-role key required)."""

from __future__ import annotations

from aiohttp import web

from .gateway import ApiError, bearer_token
from .keys import same_secret


def _require_service_role(request: web.Request, ctx) -> None:
    token = bearer_token(request) or request.headers.get("apikey")
    if not same_secret(token, ctx.keys.service_role_key):
        raise ApiError(401, {"message": "service_role key required"})


def setup(app: web.Application, ctx) -> None:
    async def health(request: web.Request) -> web.Response:
        ok = True
        try:
            await ctx.require_pool().fetchval("select 1")
        except Exception:  # noqa: BLE001 - health reports any database failure as down
            ok = False
        return web.json_response({"database": "up" if ok else "down"}, status=200 if ok else 503)

    async def restart_postgres(request: web.Request) -> web.Response:
        _require_service_role(request, ctx)
        await request.app["sandbox"].restart_postgres()
        return web.json_response({"restarted": True})

    app.router.add_get("/sandbox/v1/health", health)
    app.router.add_post("/sandbox/v1/restart-postgres", restart_postgres)
