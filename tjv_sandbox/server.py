"""The sandbox: PostgreSQL plus the Supabase Auth, REST and Realtime endpoints, served on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web

from .database import prepare_database
from .keys import ProjectKeys
from .postgres import ClusterInfo, PostgresCluster

log = logging.getLogger(__name__)

DEMO_PASSWORD = "tjv-demo-2026"  # the password seed.sql gives every demo login


@dataclass
class SandboxContext:
    """What every service of the sandbox shares. ``pool`` connects as the superuser; services that act
    for a user switch role per transaction so PostgreSQL enforces row-level security."""

    keys: ProjectKeys
    cluster: PostgresCluster
    pool: asyncpg.Pool | None = None
    public_url: str = ""
    jwt_expiry: int = 3600
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def db(self) -> ClusterInfo:
        return self.cluster.info

    def require_pool(self) -> asyncpg.Pool:
        if self.pool is None:
            raise RuntimeError("sandbox database pool is not open")
        return self.pool


async def _init_connection(conn: asyncpg.Connection) -> None:
    # json/jsonb come back as text; services pass JSON through untouched.
    await conn.execute("set timezone = 'UTC'")


class Sandbox:
    """Owns the cluster, the connection pool, the HTTP server and (optionally) the simulator."""

    def __init__(self, data_dir: Path, host: str = "127.0.0.1", port: int = 0, *,
                 jwt_expiry: int = 3600, simulate: int = 0, seed: int = 1, sim_interval: float = 2.0,
                 backfill_hours: float = 72.0, realtime: dict[str, Any] | None = None, patient_apps: int = 0):
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port
        self.simulate = simulate
        self.patient_apps = patient_apps
        self.seed = seed
        self.sim_interval = sim_interval
        self.backfill_hours = backfill_hours
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.ctx = SandboxContext(
            keys=ProjectKeys.load_or_create(self.data_dir / "project-keys.json"),
            cluster=PostgresCluster(self.data_dir / "postgres"),
            jwt_expiry=jwt_expiry,
            extras={"realtime": realtime} if realtime else {},
        )
        self._runner: web.AppRunner | None = None
        self.simulator = None
        self.apps = None  # simulated patients' home apps (patient_apps.py)

    @property
    def url(self) -> str:
        return self.ctx.public_url

    async def start(self) -> None:
        info = await self._start_postgres()
        await prepare_database(info.dsn())
        await self._open_pool()
        app = self.build_app()
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, shutdown_timeout=1.0)
        await site.start()
        sock = site._server.sockets[0]  # type: ignore[union-attr]
        self.port = sock.getsockname()[1]
        self.ctx.public_url = f"http://{self.host}:{self.port}"
        if self.simulate:
            from datetime import timedelta

            from .simulator import PatientSimulator

            # A fresh data folder looks like a ward on its third day: history through the same rules.
            self.simulator = PatientSimulator(info.dsn(), self.simulate, seed=self.seed, interval=self.sim_interval,
                                              backfill=timedelta(hours=self.backfill_hours) or None)
            await self.simulator.start()
            if self.patient_apps:
                await self._start_patient_apps()
        log.info("sandbox serving at %s (PostgreSQL on port %s)", self.url, info.port)

    async def _start_patient_apps(self) -> None:
        """The first ``patient_apps`` simulated patients' home apps, each signed in as its patient."""
        import time as _time

        from .patient_apps import PatientApps

        def token_for(user_id: str) -> str:
            now = int(_time.time())
            return self.ctx.keys.sign({"iss": f"{self.ctx.public_url}/auth/v1", "sub": user_id, "aud": "authenticated",
                                       "role": "authenticated", "iat": now, "exp": now + self.ctx.jwt_expiry})

        ids = [p.id for p in self.simulator.patients[:self.patient_apps]]
        self.apps = PatientApps(self.ctx.require_pool(), f"{self.ctx.public_url}/realtime/v1", self.ctx.keys.anon_key,
                                token_for, ids, seed=self.seed)
        await self.apps.start()

    async def _start_postgres(self) -> ClusterInfo:
        loop = asyncio.get_running_loop()
        cluster = self.ctx.cluster
        await loop.run_in_executor(None, cluster.prepare)
        cluster.launch()  # on the loop's thread: PostgreSQL dies with it
        return await loop.run_in_executor(None, cluster.wait_ready)

    async def _open_pool(self) -> None:
        self.ctx.pool = await asyncpg.create_pool(
            self.ctx.db.dsn(), min_size=2, max_size=20, init=_init_connection, command_timeout=30
        )

    def build_app(self) -> web.Application:
        from . import admin, auth, rest
        from .gateway import api_errors

        app = web.Application(client_max_size=8 * 1024 * 1024, middlewares=[api_errors])
        app["ctx"] = self.ctx
        app["sandbox"] = self
        auth.setup(app, self.ctx)
        rest.setup(app, self.ctx)
        admin.setup(app, self.ctx)
        with contextlib.suppress(ModuleNotFoundError):
            realtime = importlib.import_module(f"{__package__}.realtime")
            realtime.setup(app, self.ctx)
        return app

    async def restart_postgres(self) -> None:
        """Stops and starts PostgreSQL under the running services (a fault the tests inject)."""
        await asyncio.get_running_loop().run_in_executor(None, self.ctx.cluster.stop)
        await self._start_postgres()
        if self.ctx.pool is not None:
            self.ctx.pool.terminate()
        await self._open_pool()

    async def demo_users(self) -> list[dict]:
        rows = await self.ctx.require_pool().fetch(
            """
            select u.email, u.raw_app_meta_data ->> 'tjv_role' as role,
                   p.id::text as provider_id, pt.id::text as patient_id, t.slug as tenant
            from auth.users u
            left join public.providers p on p.user_id = u.id
            left join public.patients pt on pt.user_id = u.id
            left join public.tenants t on t.id = coalesce(p.tenant_id, pt.tenant_id)
            where u.encrypted_password is not null
            order by t.slug nulls last, u.email
            """
        )
        users = []
        for r in rows:
            entry = {"email": r["email"], "password": DEMO_PASSWORD, "role": r["role"],
                     "provider_id": r["provider_id"], "tenant": r["tenant"]}
            if r["patient_id"]:
                entry["patient_id"] = r["patient_id"]
            users.append(entry)
        return users

    async def ready_line(self) -> dict:
        return {
            "url": self.url,
            "anon_key": self.ctx.keys.anon_key,
            "service_role_key": self.ctx.keys.service_role_key,
            "db_url": self.ctx.db.dsn(),
            "users": await self.demo_users(),
        }

    async def stop(self) -> None:
        if self.apps is not None:
            await self.apps.stop()
        if self.simulator is not None:
            await self.simulator.stop()
        if self._runner is not None:
            await self._runner.cleanup()
        if self.ctx.pool is not None:
            await self.ctx.pool.close()
        await asyncio.get_running_loop().run_in_executor(None, self.ctx.cluster.stop)
