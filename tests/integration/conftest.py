"""Fixtures the integration tests on the session's sandbox share."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.support.faultproxy import FaultProxy
from tests.support.station import Server


@pytest.fixture
async def proxy(sandbox):
    """A fault proxy in front of the sandbox: clients pointed at ``proxy.url`` can be cut, delayed or refused."""
    target = urlparse(sandbox.url)
    p = await FaultProxy(target.hostname, target.port).start()
    yield p
    await p.stop()


@pytest.fixture
async def server(sandbox):
    """The sandbox's database, as the tests write to it (tests.support.station.Server)."""
    s = await Server.connect(sandbox.db_url)
    yield s
    await s.close()
