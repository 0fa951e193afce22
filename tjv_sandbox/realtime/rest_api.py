"""``/realtime/v1/api/broadcast``: the REST broadcast endpoints (batch and single message).

Authentication as the real server's AuthTenant plug: ``Authorization: Bearer`` first, else the ``apikey``
header. Unknown query parameters are ignored (realtime-js reuses the socket URL, ``?apikey=…&vsn=…``).
"""

from __future__ import annotations

import logging

import asyncpg
from aiohttp import web

from .. import jsonbound
from ..gateway import bearer_token
from ..keys import TokenError
from . import SERVER_KEY, RealtimeServer, authz
from .broadcast import payload_size, publish
from .channels import flexible_bool
from .serializer import BINARY_ENCODING, JSON_ENCODING, UserBroadcast

log = logging.getLogger(__name__)

_SIZE_ERROR = "Payload size exceeds tenant limit"


def _unauthorized(status: int = 401) -> web.Response:
    return web.json_response({"message": "Unauthorized"}, status=status)


def _invalid(errors: dict) -> web.Response:
    return web.json_response({"errors": errors}, status=422)


def _claims(request: web.Request, server: RealtimeServer) -> dict | None:
    token = bearer_token(request) or request.headers.get("apikey")
    try:
        return authz.api_key_claims(server.ctx.keys, token)
    except TokenError:
        return None


async def _can_write(server: RealtimeServer, claims: dict, sub_topic: str) -> bool:
    try:
        return await authz.write_permission(server.ctx.require_pool(), sub_topic, claims, "broadcast")
    except (OSError, asyncpg.PostgresError) as exc:
        log.warning("realtime: REST write check on %s failed: %s", sub_topic, exc)
        return False


def _message_errors(message: object, limit: int) -> list[str]:
    if not isinstance(message, dict):
        return ["is invalid"]
    errors = []
    for key in ("topic", "event"):
        if not isinstance(message.get(key), str) or not message[key]:
            errors.append(f"{key} can't be blank")
    if not isinstance(message.get("payload"), dict):
        errors.append("payload is invalid")
    elif payload_size(message["payload"]) > limit:
        errors.append(_SIZE_ERROR)
    return errors


async def batch_broadcast(request: web.Request) -> web.Response:
    """``POST /api/broadcast`` ``{"messages": [{topic, event, payload, private?, id?}]}`` → 202."""
    server = request.app[SERVER_KEY]
    claims = _claims(request, server)
    if claims is None:
        return _unauthorized()
    try:
        body = jsonbound.loads(await request.read())
    except (ValueError, UnicodeDecodeError):  # not JSON, or nested deeper than jsonbound allows
        return _invalid({"messages": ["is invalid"]})
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list) or not messages:
        return _invalid({"messages": ["can't be blank"]})
    errors = {str(i): e for i, m in enumerate(messages) if (e := _message_errors(m, server.config.max_payload_bytes))}
    if errors:
        return _invalid({"messages": errors})
    writable: dict[str, bool] = {}
    for message in messages:
        private = flexible_bool(message.get("private"))
        topic = message["topic"]
        if private:
            if topic not in writable:
                writable[topic] = await _can_write(server, claims, topic)
            if not writable[topic]:
                continue  # skipped silently; the response is still 202
        payload = {"type": "broadcast", "event": message["event"], "payload": message["payload"]}
        if isinstance(message.get("id"), str):
            payload["meta"] = {"id": message["id"]}
        server.meter.count("client_broadcast")
        publish(server, (private, topic), payload)
    return web.Response(status=202)


async def single_broadcast(request: web.Request) -> web.Response:
    """``POST /api/broadcast/{topic}/events/{event}[?private=true]``: the body (JSON, or raw bytes as
    ``application/octet-stream``) is delivered as a user broadcast → 202."""
    server = request.app[SERVER_KEY]
    claims = _claims(request, server)
    if claims is None:
        return _unauthorized()
    if request.content_type == "application/json":
        encoding = JSON_ENCODING
    elif request.content_type == "application/octet-stream":
        encoding = BINARY_ENCODING
    else:
        return web.json_response({"message": f"Unsupported content type {request.content_type!r}"}, status=415)
    data = await request.read()
    if encoding == JSON_ENCODING:
        try:
            jsonbound.loads(data)
        except (ValueError, UnicodeDecodeError):
            return _invalid({"payload": ["is invalid JSON"]})
    if len(data) > server.config.max_payload_bytes:
        return _invalid({"payload": [_SIZE_ERROR]})
    topic, event = request.match_info["topic"], request.match_info["event"]
    private = flexible_bool(request.query.get("private"))
    if private and not await _can_write(server, claims, topic):
        return _unauthorized(403)
    server.meter.count("client_broadcast")
    publish(server, (private, topic), UserBroadcast(event, data, encoding))
    return web.Response(status=202)
