"""``/realtime/v1``: Supabase Realtime for the sandbox (reference/supabase-realtime-protocol.md).

``setup(app, ctx)`` registers the websocket and the REST broadcast endpoints. Server-wide state (which
channels are joined to which topic, presence, the postgres_changes hub) lives in one ``RealtimeServer``
stored on the app; it is created and started by the app's startup hook and stopped by its cleanup hook.

Database broadcasts (``realtime.send``) are streamed by ``db_broadcast``, with Broadcast Replay
(``replay``), ``replication_ready``, the payload limit, the project's events rate limit and the billed
message count (``limits``) as on a Pro project; ``/sandbox/v1/metrics`` and ``/sandbox/v1/faults`` report
the counters and drop database broadcasts on purpose (``sandbox_api``).

Not implemented (see README): ``persist``, realtime-js ``postgres_changes_options.wait``, the join,
connection and presence rate limits, tenant features (``private_only``, Host-based tenant), JWKS keys, the legacy
config-less topic form. A broken change stream is reported as a ``system`` error followed by ``phx_error``
(see ``Channel._change_error``), so both official clients rejoin afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

import asyncpg
from aiohttp import web

from . import partitions
from .broadcast import Registry
from .limits import DropFault, Meter, RateCounter
from .presence import PresenceRegistry

log = logging.getLogger(__name__)

_ENV_PREFIX = "TJV_SANDBOX_REALTIME_"


@dataclass
class RealtimeConfig:
    """Server settings. Defaults are the real server's (self-host) defaults, except the 2 s connect-error
    backoff, which an emulator skips. Override through ``ctx.extras["realtime"]`` (a dict) or environment
    variables ``TJV_SANDBOX_REALTIME_<FIELD>`` (e.g. ``..._IDLE_TIMEOUT=2``)."""

    idle_timeout: float = 60.0  # close a socket after this long without any received frame
    join_error_backoff: float = 5.0  # CHANNEL_ERROR_BACKOFF_MS: delay before a join error reply
    connect_error_backoff: float = 0.0  # CONNECT_ERROR_BACKOFF_MS (real server: 2 s)
    max_payload_kb: int = 3000  # broadcast payload limit (Pro), checked as size > kb*1000 + 500
    max_events_per_second: int = 500  # the project's messages per second (Pro)
    rate_tick: float = 5.0  # s per tick of the events rate counter (averaged over 12 ticks)
    replication_ready_timeout: float = 60.0
    db_broadcasts: bool = True  # stream realtime.messages (database broadcasts)
    drop_broadcasts: float = 0.0  # fraction of database broadcasts dropped on purpose (fault injection)
    max_frame_size: int = 5_000_000  # larger frames are dropped (connection stays up)
    max_channels_per_client: int = 100
    outbound_queue_size: int = 10_000  # frames queued for one socket before it is closed as too slow
    # () -> hub with the PostgresChangesHub interface; None means "use .changes if it is installed"
    hub_factory: Callable[[], Any] | None = None

    @classmethod
    def from_ctx(cls, ctx) -> RealtimeConfig:
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = os.environ.get(_ENV_PREFIX + f.name.upper())
            if raw is not None and f.name != "hub_factory":
                values[f.name] = float(raw) if f.type == "float" else int(raw)
                if f.type == "bool":
                    values[f.name] = bool(values[f.name])
        values.update(getattr(ctx, "extras", {}).get("realtime", {}))
        return cls(**values)

    @property
    def max_payload_bytes(self) -> int:
        return self.max_payload_kb * 1000 + 500


class RealtimeServer:
    """Everything the sockets and REST handlers of one sandbox share."""

    def __init__(self, ctx, config: RealtimeConfig):
        self.ctx = ctx
        self.config = config
        self.registry = Registry()
        self.presence = PresenceRegistry()
        self.connections: set = set()
        self.changes = None  # the postgres_changes hub, or None when it is not available
        self.meter = Meter(RateCounter(config.max_events_per_second, config.rate_tick))
        self.drop_fault = DropFault(config.drop_broadcasts)
        self.db_broadcasts = None  # db_broadcast.DatabaseBroadcasts while streaming
        self._maintenance: asyncio.Task | None = None

    async def start(self) -> None:
        self.meter.rate.start()
        self._maintenance = asyncio.create_task(self._maintain_partitions(), name="realtime-partitions")
        if self.config.db_broadcasts:
            from .db_broadcast import DatabaseBroadcasts

            self.db_broadcasts = DatabaseBroadcasts(self)
            await self.db_broadcasts.start()
        factory = self.config.hub_factory or _default_hub_factory(self.ctx)
        if factory is not None:
            self.changes = factory()
            await self.changes.start()

    async def _maintain_partitions(self) -> None:
        """realtime.messages partitions at start and every 4 h, as the real server's janitor."""
        while True:
            try:
                async with self.ctx.require_pool().acquire() as conn:
                    created, dropped = await partitions.maintain(conn)
                if created or dropped:
                    log.info("realtime: partitions created %s, dropped %s", created, dropped)
            except (OSError, RuntimeError, asyncpg.PostgresError) as exc:
                log.error("realtime: PartitionCreationFailed: %s", exc)
            await asyncio.sleep(partitions.INTERVAL)

    async def close_connections(self) -> None:
        await asyncio.gather(*(conn.close(code=1001, message=b"server shutting down") for conn in self.connections))

    async def stop(self) -> None:
        await self.close_connections()
        self.meter.rate.stop()
        if self._maintenance is not None:
            self._maintenance.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._maintenance
            self._maintenance = None
        if self.db_broadcasts is not None:
            await self.db_broadcasts.stop()
            self.db_broadcasts = None
        if self.changes is not None:
            await self.changes.stop()
            self.changes = None


def _default_hub_factory(ctx) -> Callable[[], Any] | None:
    try:
        changes = importlib.import_module(f"{__name__}.changes")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__name__}.changes":
            raise
        log.warning("realtime: postgres_changes is not available (no %s.changes module)", __name__)
        return None
    return lambda: changes.PostgresChangesHub(ctx)


SERVER_KEY = web.AppKey("realtime_server", RealtimeServer)


def setup(app: web.Application, ctx, config: RealtimeConfig | None = None) -> None:
    from .rest_api import batch_broadcast, single_broadcast
    from .sandbox_api import get_metrics, set_faults
    from .socket import websocket_handler

    server = RealtimeServer(ctx, config or RealtimeConfig.from_ctx(ctx))
    app[SERVER_KEY] = server

    async def on_startup(_app: web.Application) -> None:
        await server.start()

    async def on_shutdown(_app: web.Application) -> None:
        await server.close_connections()

    async def on_cleanup(_app: web.Application) -> None:
        await server.stop()

    app.on_startup.append(on_startup)
    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    app.router.add_get("/realtime/v1/websocket", websocket_handler)
    app.router.add_post("/realtime/v1/api/broadcast", batch_broadcast)
    app.router.add_post(r"/realtime/v1/api/broadcast/{topic:.+}/events/{event:[^/]+}", single_broadcast)
    app.router.add_get("/sandbox/v1/metrics", get_metrics)
    app.router.add_post("/sandbox/v1/faults", set_faults)
