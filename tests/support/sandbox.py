"""The sandbox as the tests use it: a data folder PostgreSQL can reach, a running ``tjv-sandbox`` process,
and fresh databases prepared like the sandbox's."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from pathlib import Path


def make_data_root(prefix: str) -> Path:
    """A folder PostgreSQL can reach even when the tests run as root (it then runs as `postgres`)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o711)
    return path


def fresh_database(pg_cluster, name: str):
    """Context manager: a new database ``name`` in the session cluster, prepared like the sandbox's
    (bootstrap, migrations, seed), dropped afterwards. Yields its superuser DSN. Tests that count rows
    or tables use one so that other tests sharing the cluster cannot disturb them."""
    import contextlib

    import asyncpg

    from tjv_sandbox.database import prepare_database

    async def recreate(create: bool) -> None:
        conn = await asyncpg.connect(pg_cluster.dsn())
        try:
            await conn.execute(f'drop database if exists "{name}" with (force)')
            if create:
                await conn.execute(f'create database "{name}"')
        finally:
            await conn.close()

    @contextlib.contextmanager
    def manager():
        asyncio.run(recreate(True))
        dsn = pg_cluster.dsn(database=name)
        asyncio.run(prepare_database(dsn))
        try:
            yield dsn
        finally:
            asyncio.run(recreate(False))

    return manager()


class SandboxHandle:
    """A running ``tjv-sandbox`` process, as its ready line describes it."""

    def __init__(self, proc, ready: dict, data_dir: Path):
        self.proc = proc
        self.ready = ready
        self.data_dir = data_dir
        self.url: str = ready["url"]
        self.anon_key: str = ready["anon_key"]
        self.service_role_key: str = ready["service_role_key"]
        self.db_url: str = ready["db_url"]
        self.users: list[dict] = ready["users"]

    def user(self, email: str) -> dict:
        return next(u for u in self.users if u["email"] == email)

    def sign_in(self, email: str) -> dict:
        """Token response (access_token, refresh_token, user, …) for a demo user."""
        import httpx

        r = httpx.post(f"{self.url}/auth/v1/token?grant_type=password", headers={"apikey": self.anon_key},
                       json={"email": email, "password": self.user(email)["password"]}, timeout=10)
        r.raise_for_status()
        return r.json()

    def restart_postgres(self) -> None:
        import httpx

        r = httpx.post(f"{self.url}/sandbox/v1/restart-postgres",
                       headers={"apikey": self.service_role_key, "Authorization": f"Bearer {self.service_role_key}"},
                       timeout=60)
        r.raise_for_status()


def start_sandbox(data_dir: Path, *extra: str, timeout: float = 60.0) -> SandboxHandle:
    """Starts ``tjv-sandbox`` on ``data_dir`` and waits for its ready line (stderr goes to a log file)."""
    import json
    import selectors
    import subprocess
    import sys
    import time

    log = open(data_dir.parent / f"{data_dir.name}.log", "ab")  # noqa: SIM115 - owned by the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "tjv_sandbox.cli", "--data-dir", str(data_dir), *extra],
        stdout=subprocess.PIPE, stderr=log, text=True,
    )
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sel.select(timeout=0.5):
            line = proc.stdout.readline()
            if line:
                return SandboxHandle(proc, json.loads(line), data_dir)
        if proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError(f"tjv-sandbox did not become ready; see {log.name}")


def stop_sandbox(handle: SandboxHandle) -> int:
    import signal
    import subprocess

    handle.proc.send_signal(signal.SIGTERM)
    try:
        return handle.proc.wait(30)
    except subprocess.TimeoutExpired:
        handle.proc.kill()
        return handle.proc.wait(10)


@contextlib.contextmanager
def private_sandbox(prefix: str, *extra: str, timeout: float = 60.0):
    """A sandbox of its own for a test module whose writes or faults must not reach the shared one:
    started on a fresh data folder with ``extra`` command-line flags, stopped and removed after."""
    root = make_data_root(prefix)
    handle = start_sandbox(root / "data", *extra, timeout=timeout)
    try:
        yield handle
    finally:
        stop_sandbox(handle)
        shutil.rmtree(root, ignore_errors=True)


@contextlib.asynccontextmanager
async def official_clients(handle: SandboxHandle, timeout: float = 15.0):
    """Yields ``make(email=None, key=None)``: an official supabase-py client on the sandbox (anon key
    unless ``key``), signed in as the demo user ``email`` when given. Every client made is closed at the
    end, its realtime socket and its HTTP client."""
    import httpx
    from supabase import AsyncClientOptions, acreate_client

    opened = []

    async def make(email: str | None = None, key: str | None = None):
        http = httpx.AsyncClient(timeout=timeout)
        sb = await acreate_client(handle.url, key or handle.anon_key,
                                  options=AsyncClientOptions(httpx_client=http, auto_refresh_token=False))
        opened.append((sb, http))
        if email:
            await sb.auth.sign_in_with_password({"email": email, "password": handle.user(email)["password"]})
        return sb

    try:
        yield make
    finally:
        for sb, http in opened:
            await sb.realtime.close()
            await http.aclose()
