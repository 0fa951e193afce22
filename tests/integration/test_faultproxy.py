"""The fault proxy itself: each fault must really happen before a fault test may rely on it."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.faultproxy import FaultProxy


@pytest.fixture
async def echo_server():
    async def echo(reader, writer):
        while data := await reader.read(1024):
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


@pytest.fixture
async def proxy(echo_server):
    p = await FaultProxy("127.0.0.1", echo_server).start()
    yield p
    await p.stop()


async def test_pass_forwards_both_ways(proxy):
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    writer.write(b"ping")
    assert await asyncio.wait_for(reader.readexactly(4), 2) == b"ping"
    assert proxy.stats.bytes_forwarded == 8
    writer.close()


async def test_blackhole_drops_silently_and_keeps_the_connection_open(proxy):
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    proxy.set_mode("blackhole")
    writer.write(b"lost")
    await writer.drain()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(reader.read(4), 0.3)
    assert proxy.stats.bytes_dropped == 4
    assert not reader.at_eof()
    proxy.set_mode("pass")
    writer.write(b"back")
    assert await asyncio.wait_for(reader.readexactly(4), 2) == b"back"
    writer.close()


async def test_cut_closes_and_reset_aborts(proxy):
    r1, w1 = await asyncio.open_connection("127.0.0.1", proxy.port)
    w1.write(b"x")
    await r1.readexactly(1)
    assert proxy.cut() == 1
    assert await asyncio.wait_for(r1.read(), 2) == b""
    r2, w2 = await asyncio.open_connection("127.0.0.1", proxy.port)
    w2.write(b"y")
    await r2.readexactly(1)
    assert proxy.reset() == 1
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(r2.read(), 2)
    assert proxy.stats.cut == 1 and proxy.stats.reset == 1


async def test_refuse_closes_new_connections(proxy):
    proxy.set_mode("refuse")
    reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
    with pytest.raises((ConnectionResetError, asyncio.IncompleteReadError)):
        await asyncio.wait_for(reader.readexactly(1), 2)
    assert proxy.stats.refused == 1
