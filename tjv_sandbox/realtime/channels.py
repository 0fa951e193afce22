"""Channels: ``phx_join`` and what a joined channel does (leave, access_token, token expiry,
postgres_changes subscription). Broadcast and presence pushes are handled in their own modules.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import asyncpg

from ..keys import TokenError
from . import authz, broadcast, presence, replay
from .db_broadcast import notify_replication_ready
from .serializer import Message, dumps

if TYPE_CHECKING:
    from .socket import Connection

log = logging.getLogger(__name__)

TOPIC_PREFIX = "realtime:"
NO_CHANGES_HUB = "postgres_changes is not available: the sandbox has no change hub"


def flexible_bool(value: Any, default: bool = False) -> bool:
    """Booleans as the real server's FlexibleBoolean: true/false or the strings "true"/"false", any case."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if value is not None:
        log.info("realtime: InvalidJoinPayload: %r is not a boolean", value)
    return default


def binding_id(binding: dict) -> int:
    """Stable id of a postgres_changes binding, like :erlang.phash2/1: equal params, equal id (< 2**27)."""
    return zlib.crc32(dumps({k: binding[k] for k in sorted(binding)}).encode()) & (2**27 - 1)


def _section(config: dict, name: str) -> dict:
    value = config.get(name)
    return value if isinstance(value, dict) else {}


class Channel:
    """One joined topic on one socket."""

    def __init__(self, conn: Connection, msg: Message, config: dict, token: str, claims: dict):
        self.conn = conn
        self.server = conn.server
        self.topic = msg.topic
        self.sub_topic = msg.topic[len(TOPIC_PREFIX):]
        self.join_ref = msg.join_ref if msg.join_ref is not None else msg.ref
        broadcast_config, presence_config = _section(config, "broadcast"), _section(config, "presence")
        self.ack = flexible_bool(broadcast_config.get("ack"))
        self.replication_ready = flexible_bool(broadcast_config.get("replication_ready"))
        self.self_broadcast = flexible_bool(broadcast_config.get("self"))
        self.presence_enabled = flexible_bool(presence_config.get("enabled"))
        key = presence_config.get("key")
        self.presence_key = str(key) if key not in (None, "") else str(uuid.uuid1())
        self.private = flexible_bool(config.get("private"))
        self.space = (self.private, self.sub_topic)
        raw_bindings = config.get("postgres_changes")
        self.bindings = [dict(b, id=binding_id(b)) for b in raw_bindings or [] if isinstance(b, dict)]
        self.token = token
        self.claims = claims
        self.can_read = {"broadcast": True, "presence": True}
        self._can_write: dict[str, bool] = {}
        self.change_sub = None
        self.replay_rows: list = []  # replayed messages not yet pushed
        self.replayed_ids: set[str] = set()  # their ids: live copies are not delivered again
        self._changes_task: asyncio.Task | None = None
        self._ready_task: asyncio.Task | None = None
        self._expiry: asyncio.TimerHandle | None = None
        self.closed = False

    def __repr__(self) -> str:
        return f"<Channel {self.topic} private={self.private} join_ref={self.join_ref}>"

    # -- output ------------------------------------------------------------------------------------

    def push(self, event: str, payload: Any) -> None:
        """A channel push: carries this channel's join_ref and a null ref."""
        self.conn.push(Message(self.topic, event, payload, None, self.join_ref))

    def reply(self, ref: str | None, status: str, response: Any) -> None:
        self.conn.push(Message(self.topic, "phx_reply", {"status": status, "response": response}, ref,
                               self.join_ref))

    def system(self, extension: str, status: str, message: str) -> None:
        self.push("system", {"extension": extension, "status": status, "message": message,
                             "channel": self.sub_topic})

    def push_close(self) -> None:
        self.conn.push(Message(self.topic, "phx_close", {}, self.join_ref, self.join_ref))

    # -- permissions -------------------------------------------------------------------------------

    async def load_read_permissions(self) -> None:
        extensions = ("broadcast", "presence") if self.presence_enabled else ("broadcast",)
        granted = await authz.read_permissions(self.server.ctx.require_pool(), self.sub_topic, self.claims,
                                               extensions)
        self.server.meter.authorization["join_checks"] += 1
        self.can_read = {"broadcast": granted["broadcast"], "presence": granted.get("presence", False)}

    async def write_allowed(self, extension: str) -> bool:
        """Checked on first use and cached until the access token changes, as the real server does."""
        if not self.private:
            return True
        if extension not in self._can_write:
            try:
                self._can_write[extension] = await authz.write_permission(
                    self.server.ctx.require_pool(), self.sub_topic, self.claims, extension)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("realtime: write check on %s failed: %s", self.topic, exc)
                return False
        return self._can_write[extension]

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> None:
        """Called once the ok reply is queued, in the real server's order: replayed messages, the
        replication-ready check, presence_state; then the change subscription and the token timer."""
        replay.push(self)
        if self.replication_ready:
            self._ready_task = asyncio.create_task(
                notify_replication_ready(self, self.server.config.replication_ready_timeout))
        if self.presence_enabled and self.can_read["presence"]:
            presence.push_state(self)
        if self.bindings:
            self._changes_task = asyncio.create_task(self._subscribe_changes())
        self._schedule_expiry()

    def teardown(self) -> None:
        """Removes every trace of the channel on the server (sends nothing to its own socket)."""
        if self.closed:
            return
        self.closed = True
        if self.conn.channels.get(self.topic) is self:
            del self.conn.channels[self.topic]
        self.server.registry.remove(self)
        presence.publish_diff(self.server, self.space, self.server.presence.untrack(self))
        if self._expiry is not None:
            self._expiry.cancel()
        if self._changes_task is not None:
            self._changes_task.cancel()
        if self._ready_task is not None and self._ready_task is not asyncio.current_task():
            self._ready_task.cancel()
        if self.change_sub is not None and self.server.changes is not None:
            self.server.changes.unsubscribe(self.change_sub)
            self.change_sub = None

    def stop(self, system_message: str | None = None) -> None:
        """Server-side stop: optional ``system`` error, then ``phx_close`` (ref = join_ref)."""
        if self.closed:
            return
        if system_message is not None:
            self.system("system", "error", system_message)
        self.teardown()
        self.push_close()

    def crash(self, reason: str) -> None:
        """``phx_error`` (ref = join_ref): both clients rejoin, which re-creates the channel afresh."""
        if self.closed:
            return
        self.teardown()
        self.conn.push(Message(self.topic, "phx_error", {"reason": reason}, self.join_ref, self.join_ref))

    # -- inbound -----------------------------------------------------------------------------------

    async def handle_in(self, msg: Message) -> None:
        if msg.event == "broadcast":
            await broadcast.handle_push(self, msg)
        elif msg.event == "presence":
            await presence.handle_push(self, msg)
        elif msg.event == "access_token":
            await self._refresh_token(msg.payload)
        elif msg.event == "phx_leave":
            self.reply(msg.ref, "ok", {})
            self.teardown()
            self.push_close()
        else:
            log.warning("realtime: dropped unknown event %r on %s", msg.event, self.topic)

    async def _refresh_token(self, payload: Any) -> None:
        token = payload.get("access_token") if isinstance(payload, dict) else None
        if not isinstance(token, str) or not token or authz.is_opaque_key(token) or token == self.token:
            return
        try:
            claims = authz.verify_access_token(self.server.ctx.keys, token)
        except TokenError as exc:
            self.stop(str(exc))
            return
        self.token, self.claims = token, claims
        self._can_write.clear()
        self._schedule_expiry()
        if self.change_sub is not None and self.server.changes is not None:
            self.server.changes.update_claims(self.change_sub, claims)
        if self.private:
            try:
                await self.load_read_permissions()
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("realtime: read check on %s failed: %s", self.topic, exc)
                return
            if not any(self.can_read.values()):
                self.stop(f"You no longer have permission to read from this Channel topic: {self.sub_topic}")

    def _schedule_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        exp = self.claims.get("exp")
        if isinstance(exp, (int, float)):
            delay = max(0.0, exp - time.time())
            self._expiry = asyncio.get_running_loop().call_later(delay, self._check_expiry, exp)

    def _check_expiry(self, exp: float) -> None:
        if time.time() < exp:
            self._schedule_expiry()
            return
        self.stop(authz.expired_message(exp))

    # -- postgres_changes --------------------------------------------------------------------------

    async def _subscribe_changes(self) -> None:
        hub = self.server.changes
        if hub is None:
            self.system("postgres_changes", "error", NO_CHANGES_HUB)
            return
        try:
            for binding in self.bindings:
                error = await hub.validate({k: v for k, v in binding.items() if k != "id"})
                if error:
                    self.system("postgres_changes", "error", error)
                    return
            self.change_sub = _subscription_class()(self.topic, [dict(b) for b in self.bindings], self.claims,
                                                    self._deliver_change, self._change_error)
            await hub.subscribe(self.change_sub)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # reported to the client; the traceback goes to the log
            log.exception("realtime: postgres_changes subscription on %s failed", self.topic)
            self._change_error("Unable to subscribe to changes with given parameters. An exception happened "
                               f"so please check your connect parameters: {self.bindings}. Exception: {exc}")
            return
        if not self.closed:
            self.system("postgres_changes", "ok", "Subscribed to PostgreSQL")

    def _deliver_change(self, ids: list[int], data: dict) -> None:
        if not self.closed:
            self.conn.push(Message(self.topic, "postgres_changes", {"ids": ids, "data": data}))
            self.server.meter.count("postgres_changes")

    def _change_error(self, message: str) -> None:
        """The change stream of this channel broke (changes may have been missed). The client gets the
        reason as a ``system`` error, then ``phx_error``: both official clients then rejoin with a fresh
        join (the server-side channel is gone, so it is not a duplicate join that would strand
        realtime-py in CLOSED), and a client that resyncs on every SUBSCRIBED catches up."""
        if self.closed:
            return
        self.system("postgres_changes", "error", message)
        self.crash(message)


@dataclass
class _Subscription:
    """Stand-in with ChangeSubscription's fields, used only while .changes is not installed (a hub
    injected through RealtimeConfig.hub_factory then receives it)."""

    topic: str
    bindings: list[dict]
    claims: dict
    deliver: Callable[[list[int], dict], None]
    on_error: Callable[[str], None]


def _subscription_class() -> type:
    try:
        from .changes import ChangeSubscription
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.changes":
            raise
        return _Subscription
    return ChangeSubscription


async def join(conn: Connection, msg: Message) -> None:
    """``phx_join``: the reply (ok or error), then for a duplicate join the old channel's ``phx_close``,
    then ``presence_state`` and the postgres_changes subscription."""
    server = conn.server
    old = conn.channels.get(msg.topic)
    if old is not None:
        old.teardown()
    reason, channel = await _admit(conn, msg)
    if reason is not None:
        if server.config.join_error_backoff > 0:
            await asyncio.sleep(server.config.join_error_backoff)
        conn.reply(msg, "error", {"reason": reason})
    else:
        conn.channels[msg.topic] = channel
        server.registry.add(channel)
        conn.reply(msg, "ok", {"postgres_changes": channel.bindings})
    if old is not None:
        old.push_close()
    if channel is not None:
        channel.start()


async def _admit(conn: Connection, msg: Message) -> tuple[str | None, Channel | None]:
    server = conn.server
    if msg.topic == TOPIC_PREFIX:
        return "TopicNameRequired: You must provide a topic name", None
    if len(conn.channels) >= server.config.max_channels_per_client:
        return "ChannelRateLimitReached: Too many channels", None
    payload = msg.payload if isinstance(msg.payload, dict) else {}
    config = payload.get("config")
    if not isinstance(config, dict):
        if config is not None:
            log.info("realtime: InvalidJoinPayload: config is not an object on %s", msg.topic)
        config = {}
    token = payload.get("access_token") or payload.get("user_token")
    if not isinstance(token, str) or authz.is_opaque_key(token):
        token = conn.token
    try:
        claims = authz.verify_access_token(server.ctx.keys, token)
    except TokenError as exc:
        return authz.join_error_reason(exc), None
    channel = Channel(conn, msg, config, token, claims)
    if channel.private:
        try:
            await channel.load_read_permissions()
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("realtime: read check on %s failed: %s", msg.topic, exc)
            return authz.db_error_reason(exc), None
        if not any(channel.can_read.values()):
            return f"Unauthorized: You do not have permissions to read from this Channel topic: {channel.sub_topic}", None
    reason = await replay.prepare(channel, config)
    if reason is not None:
        return reason, None
    return None, channel
