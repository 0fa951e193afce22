"""``tjv-desktop watch`` as a process: its JSON-lines contract, clean exit, and a kill -9 mid-burst
followed by a restart on the same encrypted store."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.station import NURSE, Server, burst, instant
from tjv_desktop.backend.vault import Vault
from tjv_desktop.store import LocalStore


class WatchProcess:
    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc
        self.lines: list[dict] = []
        self._new = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, sandbox, *extra: str, password: str | None = "tjv-demo-2026",
                    env_extra: dict | None = None) -> WatchProcess:
        env = {k: v for k, v in os.environ.items() if k != "TJV_PASSWORD"} | (env_extra or {})
        if password:
            env["TJV_PASSWORD"] = password
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tjv_desktop.app.cli", "watch", "--url", sandbox.url, "--anon-key", sandbox.anon_key,
            "--email", NURSE, "--probe-deadline", "3", *extra,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env)
        return cls(proc)

    async def _read(self) -> None:
        while line := await self.proc.stdout.readline():
            self.lines.append(json.loads(line))
            self._new.set()

    async def wait_for(self, predicate, timeout: float = 30.0) -> dict:
        deadline = time.monotonic() + timeout
        seen = 0
        while True:
            for line in self.lines[seen:]:
                if predicate(line):
                    return line
            seen = len(self.lines)
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._reader.done():
                err = (await self.proc.stderr.read()).decode() if self._reader.done() else ""
                raise AssertionError(f"no such line within {timeout} s; got {self.lines[-5:]} {err[-2000:]}")
            self._new.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), remaining)

    async def terminate(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(self.proc.wait(), 30)
        await self._reader
        return code


async def test_watch_prints_connection_resync_and_alert_lines_and_exits_cleanly(sandbox):
    server = await Server.connect(sandbox.db_url)
    watch = await WatchProcess.start(sandbox)
    try:
        connected = await watch.wait_for(lambda line: line["type"] == "connection")
        assert connected["state"] == "connected" and connected["at"]
        resync = await watch.wait_for(lambda line: line["type"] == "resync")
        assert resync["rows"] > 0 and resync["ms"] >= 0
        provider = sandbox.user(NURSE)["provider_id"]
        patients = await server.nurse_patients(provider)
        await server.raise_alert(patients[0], "watch-contract", "high")
        line = await watch.wait_for(lambda line: line["type"] == "alert" and line["priority"] == "high"
                                    and line["state"] == "active")
        assert set(line) == {"type", "id", "patient_id", "priority", "state", "raised_at", "updated_at"}
        assert line["patient_id"] == patients[0]
    finally:
        assert await watch.terminate() == 0
        await server.close()


async def test_watch_without_password_or_terminal_says_so(sandbox):
    # No keyring either, so no stored session can stand in for the password.
    watch = await WatchProcess.start(sandbox, password=None,
                                     env_extra={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    code = await asyncio.wait_for(watch.proc.wait(), 30)
    assert code == 2
    assert "TJV_PASSWORD" in (await watch.proc.stderr.read()).decode()


async def test_killed_client_restarts_on_its_store_with_its_session_and_loses_no_alert(sandbox, secret_service,
                                                                                       tmp_path: Path):
    store = tmp_path / "station.tjvstore"
    server = await Server.connect(sandbox.db_url)
    provider = sandbox.user(NURSE)["provider_id"]
    patients = await server.nurse_patients(provider)
    since = datetime.now(UTC)
    first = await WatchProcess.start(sandbox, "--store", str(store))
    await first.wait_for(lambda line: line["type"] == "resync")

    async def kill() -> None:
        first.proc.send_signal(signal.SIGKILL)
        assert await first.proc.wait() == -signal.SIGKILL  # the fault happened

    await burst(server, patients, 16, rate=8, tag=f"kill-{time.time_ns()}", during=kill)
    # Restart WITHOUT a password: the session comes back from the keyring, the data from the store.
    second = await WatchProcess.start(sandbox, "--store", str(store), password=None)
    await second.wait_for(lambda line: line["type"] == "resync")
    assert not [line for line in second.lines if line["type"] == "store"]  # the store opened cleanly
    truth = await server.alerts_since(provider, since)
    assert await second.terminate() == 0

    key = Vault(sandbox.url, backend=secret_service).store_key()
    local = LocalStore.open(store, key)
    try:
        assert local.open_report.outcome == "opened"
        stored = {a["id"]: a for a in local.alerts_for_provider(provider)}
    finally:
        local.close()
    missing = [i for i in truth if i not in stored]
    stale = [i for i in truth if i in stored and instant(stored[i]["updated_at"]) != truth[i]]
    assert len(truth) >= 16 and not missing and not stale, (len(truth), missing, stale)
    # The raw file holds no alert message in clear.
    raw = store.read_bytes() + (store.with_name(store.name + "-wal").read_bytes()
                                if store.with_name(store.name + "-wal").exists() else b"")
    assert b"Heart rate 120" not in raw
    await server.close()


pytestmark = pytest.mark.timeout(180)


async def test_offline_watch_reports_the_loss_and_marks_its_data_stale_with_its_age(sandbox):
    from types import SimpleNamespace
    from urllib.parse import urlparse

    from tests.support.faultproxy import FaultProxy

    target = urlparse(sandbox.url)
    proxy = await FaultProxy(target.hostname, target.port).start()

    via_proxy = SimpleNamespace(url=proxy.url, anon_key=sandbox.anon_key)
    watch = await WatchProcess.start(via_proxy, env_extra={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    try:
        await watch.wait_for(lambda line: line["type"] == "resync")
        proxy.set_mode("refuse")
        assert proxy.cut() >= 1  # the fault happened
        lost = await watch.wait_for(lambda line: line["type"] == "connection" and line["state"] == "lost", 10)
        assert lost["reason"]
        first = await watch.wait_for(lambda line: line["type"] == "stale", 15)
        later = await watch.wait_for(lambda line: line["type"] == "stale" and line is not first
                                     and line["age_s"] > first["age_s"], 15)
        assert first["age_s"] is not None and later["age_s"] > first["age_s"]  # the age keeps growing
        proxy.set_mode("pass")
        await watch.wait_for(lambda line: line["type"] == "connection" and line["state"] == "connected"
                             and watch.lines.index(line) > watch.lines.index(lost), 40)
    finally:
        assert await watch.terminate() == 0
        await proxy.stop()
