"""Shared fixtures: a prepared PostgreSQL cluster and a running sandbox, each started once per session."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The alarm tones' player connects to this PulseAudio server: none, so the suite never sounds on a
# developer's speakers. tests/test_alarm_audio.py gives its players a private server instead.
os.environ["PULSE_SERVER"] = "unix:/nonexistent/tjv-tests-play-no-sound"

ARTIFACTS = Path(os.environ.get("TJV_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts"))


def make_data_root(prefix: str) -> Path:
    """A folder PostgreSQL can reach even when the tests run as root (it then runs as `postgres`)."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o711)
    return path


@pytest.fixture(scope="session")
def pg_cluster():
    """A private cluster with bootstrap, migrations and seed applied. Yields ClusterInfo."""
    from tjv_desktop.sandbox.database import prepare_database
    from tjv_desktop.sandbox.postgres import PostgresCluster

    root = make_data_root("tjv-pg-")
    cluster = PostgresCluster(root / "db")
    info = cluster.start()
    try:
        asyncio.run(prepare_database(info.dsn()))
        yield info
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


def fresh_database(pg_cluster, name: str):
    """Context manager: a new database ``name`` in the session cluster, prepared like the sandbox's
    (bootstrap, migrations, seed), dropped afterwards. Yields its superuser DSN. Tests that count rows
    or tables use one so that other tests sharing the cluster cannot disturb them."""
    import contextlib

    import asyncpg

    from tjv_desktop.sandbox.database import prepare_database

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


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


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
        [sys.executable, "-m", "tjv_desktop.sandbox.cli", "--data-dir", str(data_dir), *extra],
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


@pytest.fixture(scope="session")
def sandbox():
    """One ``tjv-sandbox`` for the session (bare: no simulator). Tests must not disturb seeded data."""
    root = make_data_root("tjv-sandbox-")
    handle = start_sandbox(root / "data")
    try:
        yield handle
    finally:
        stop_sandbox(handle)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def secret_service():
    """A real Secret Service keyring: gnome-keyring on a private D-Bus session, in a throw-away home.

    Yields keyring's SecretService backend bound to it; the user's own keyring is never touched."""
    import subprocess

    from keyring.backends import SecretService

    root = Path(tempfile.mkdtemp(prefix="tjv-keyring-"))
    env = {**os.environ, "HOME": str(root), "XDG_DATA_HOME": str(root / "data"),
           "XDG_RUNTIME_DIR": str(root / "run"), "XDG_CACHE_HOME": str(root / "cache")}
    (root / "run").mkdir(mode=0o700)
    bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                           stdout=subprocess.PIPE, text=True, env=env)
    address = bus.stdout.readline().strip()
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    unlock = subprocess.run(["gnome-keyring-daemon", "--unlock", "--components=secrets", "--daemonize"],
                            input="tjv-test-keyring", capture_output=True, text=True, env=env, timeout=30)
    assert unlock.returncode == 0, unlock.stderr
    previous = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
    try:
        backend = SecretService.Keyring()
        backend.set_password("tjv-desktop-test", "probe", "ok")
        assert backend.get_password("tjv-desktop-test", "probe") == "ok"
        yield backend
    finally:
        if previous is None:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = previous
        subprocess.run(["pkill", "-f", f"gnome-keyring-daemon.*{root}"], check=False)
        for line in unlock.stdout.splitlines():
            if line.startswith("GNOME_KEYRING_PID="):
                subprocess.run(["kill", line.split("=", 1)[1]], check=False)
        bus.terminate()
        bus.wait(10)
        shutil.rmtree(root, ignore_errors=True)
