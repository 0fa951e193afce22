"""The ``tjv-sandbox`` command-line contract: ready line, clean stop, restart and crash recovery, simulator."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import time
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.support.sandbox import make_data_root, start_sandbox, stop_sandbox


def _postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postgres" / "pgdata" / "postmaster.pid").read_text().splitlines()[0])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_ready_line_lists_every_demo_user_and_each_can_sign_in(sandbox):
    ready = sandbox.ready
    assert set(ready) >= {"url", "anon_key", "service_role_key", "db_url", "users"}
    assert ready["url"].startswith("http://127.0.0.1:")
    roles = {u["role"] for u in sandbox.users}
    assert {"clinician", "coordinator", "patient"} <= roles
    assert {u["tenant"] for u in sandbox.users} >= {"riverside", "lakeside"}
    for user in sandbox.users:
        if user["role"] != "patient":
            assert user["provider_id"], user
        token = sandbox.sign_in(user["email"])
        assert token["user"]["email"] == user["email"]


@pytest.fixture
def scratch_root():
    root = make_data_root("tjv-cli-")
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_sigkill_then_restart_on_the_same_data_dir_loses_nothing(scratch_root):
    data = scratch_root / "data"
    first = start_sandbox(data)
    marker = f"written before SIGKILL {time.time_ns()}"
    headers = {"apikey": first.service_role_key, "Authorization": f"Bearer {first.service_role_key}",
               "Prefer": "return=representation"}
    tenant = httpx.get(f"{first.url}/rest/v1/tenants?select=id&slug=eq.riverside", headers=headers).json()[0]["id"]
    r = httpx.post(f"{first.url}/rest/v1/system_metrics", headers=headers,
                   json={"tenant_id": tenant, "metric": marker, "value": 1})
    assert r.status_code == 201
    postmaster = _postmaster_pid(data)

    first.proc.send_signal(signal.SIGKILL)
    first.proc.wait(10)
    _wait(lambda: not _alive(postmaster), 30, "PostgreSQL to die with the killed sandbox")

    second = start_sandbox(data)
    try:
        assert second.anon_key == first.anon_key  # keys persist, so issued tokens stay valid
        rows = httpx.get(f"{second.url}/rest/v1/system_metrics?metric=eq.{marker}", headers=headers).json()
        assert len(rows) == 1
        assert len(second.users) == len(first.users)  # the seed was not applied twice
    finally:
        assert stop_sandbox(second) == 0
    # A clean stop takes PostgreSQL down too.
    assert not (data / "postgres" / "pgdata" / "postmaster.pid").exists()


def test_simulate_40_raises_alerts_of_every_priority_within_a_minute(scratch_root):
    handle = start_sandbox(scratch_root / "data", "--simulate", "40", "--seed", "7")
    started = time.monotonic()
    try:
        async def watch() -> tuple[set[str], int]:
            conn = await asyncpg.connect(handle.db_url)
            try:
                while time.monotonic() - started < 60:
                    priorities = {r[0] for r in await conn.fetch(
                        "select distinct priority from patient_alerts where raised_at > now() - interval '2 minutes'")}
                    vitals = await conn.fetchval(
                        "select count(*) from vital_signs where source = 'simulator'")
                    if priorities >= {"high", "medium", "low"} and vitals >= 40:
                        return priorities, vitals
                    await asyncio.sleep(0.5)  # polling the database for the condition, bounded by the deadline
                return priorities, vitals
            finally:
                await conn.close()

        priorities, vitals = asyncio.run(watch())
        assert priorities >= {"high", "medium", "low"}, priorities
        assert vitals >= 40
    finally:
        stop_sandbox(handle)
