"""Sandbox-only Realtime endpoints (service-role key required).

``GET /sandbox/v1/metrics``: the project's counters (``limits.Meter.snapshot``) plus the fault setting.
``POST /sandbox/v1/faults`` ``{"drop_broadcasts": <0..1>}``: drop that fraction of database broadcasts
from now on (deterministically: exactly floor(N·f) of the next N); answers the current faults.
"""

from __future__ import annotations

from aiohttp import web

from ..gateway import bearer_token
from . import SERVER_KEY


def _authorized(request: web.Request) -> bool:
    token = bearer_token(request) or request.headers.get("apikey")
    return token == request.app[SERVER_KEY].ctx.keys.service_role_key


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)


def _faults(server) -> dict:
    return {"drop_broadcasts": server.drop_fault.fraction}


async def get_metrics(request: web.Request) -> web.Response:
    if not _authorized(request):
        return _error(401, "service_role key required")
    server = request.app[SERVER_KEY]
    metrics = server.meter.snapshot()
    hub = server.changes
    metrics["authorization"]["delivery_checks"] += getattr(hub, "rls_checks", 0)
    metrics["authorization"]["delivery_queries"] += getattr(hub, "rls_queries", 0)
    return web.json_response({**metrics, "faults": _faults(server)})


async def set_faults(request: web.Request) -> web.Response:
    if not _authorized(request):
        return _error(401, "service_role key required")
    server = request.app[SERVER_KEY]
    try:
        body = await request.json()
    except ValueError:
        return _error(400, "body must be JSON")
    if not isinstance(body, dict) or not body or set(body) - {"drop_broadcasts"}:
        return _error(422, 'expected {"drop_broadcasts": <fraction from 0 to 1>}')
    try:
        server.drop_fault.set(body["drop_broadcasts"])
    except ValueError as exc:
        return _error(422, str(exc))
    return web.json_response(_faults(server))
