"""Shared fixtures: a prepared PostgreSQL cluster and a running sandbox, each started once per session."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from tests.support.sandbox import make_data_root, private_sandbox

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The alarm tones' player connects to this PulseAudio server: none, so the suite never sounds on a
# developer's speakers. tests/test_alarm_audio.py gives its players a private server instead.
os.environ["PULSE_SERVER"] = "unix:/nonexistent/tjv-tests-play-no-sound"

ARTIFACTS = Path(os.environ.get("TJV_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts"))


@pytest.fixture(scope="session")
def pg_cluster():
    """A private cluster with bootstrap, migrations and seed applied. Yields ClusterInfo."""
    from tjv_sandbox.database import prepare_database
    from tjv_sandbox.postgres import PostgresCluster

    root = make_data_root("tjv-pg-")
    cluster = PostgresCluster(root / "db")
    info = cluster.start()
    try:
        asyncio.run(prepare_database(info.dsn()))
        yield info
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def sandbox():
    """One ``tjv-sandbox`` for the session (bare: no simulator). Tests must not disturb seeded data."""
    with private_sandbox("tjv-sandbox-") as handle:
        yield handle


@pytest.fixture(scope="session")
def secret_service():
    """A real Secret Service keyring: gnome-keyring on a private D-Bus session, in a throw-away home.

    Yields keyring's SecretService backend bound to it; the user's own keyring is never touched."""
    from tests.support.secret_service import private_secret_service

    with private_secret_service() as keyring:
        yield keyring.backend
