"""A loopback TCP proxy that injects network faults between a client and the sandbox.

Modes: ``pass`` (forward), ``delay`` (hold every chunk ``delay_s`` before forwarding), ``blackhole``
(keep connections open but silently drop every byte both ways, like a dead route), and the one-shot
actions ``cut()`` (close every connection with a FIN) and ``reset()`` (abort with RST). New connections
during ``refuse`` mode are closed at once. Counters prove to a test that its fault really happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass, field


@dataclass
class ProxyStats:
    accepted: int = 0
    refused: int = 0
    cut: int = 0
    reset: int = 0
    bytes_forwarded: int = 0
    bytes_dropped: int = 0
    chunks_delayed: int = 0
    open_connections: int = 0


@dataclass(eq=False)
class _Pair:
    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter
    tasks: list[asyncio.Task] = field(default_factory=list)


class FaultProxy:
    def __init__(self, target_host: str, target_port: int, host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.host = host
        self.port = 0
        self.mode = "pass"
        self.delay_s = 0.0
        self.stats = ProxyStats()
        self._pairs: set[_Pair] = set()
        self._server: asyncio.AbstractServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self.cut()

    def set_mode(self, mode: str, delay_s: float = 0.0) -> None:
        assert mode in ("pass", "delay", "blackhole", "refuse"), mode
        self.mode, self.delay_s = mode, delay_s

    def cut(self) -> int:
        """Close every open connection cleanly (FIN). Returns how many were cut."""
        pairs = list(self._pairs)
        for pair in pairs:
            self._close(pair, abort=False)
        self.stats.cut += len(pairs)
        return len(pairs)

    def reset(self) -> int:
        """Abort every open connection (RST)."""
        pairs = list(self._pairs)
        for pair in pairs:
            self._close(pair, abort=True)
        self.stats.reset += len(pairs)
        return len(pairs)

    def _close(self, pair: _Pair, abort: bool) -> None:
        self._pairs.discard(pair)
        self.stats.open_connections = len(self._pairs)
        for writer in (pair.client, pair.upstream):
            sock = writer.get_extra_info("socket")
            if abort and sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            if abort:
                writer.transport.abort()
            else:
                writer.close()
        for task in pair.tasks:
            task.cancel()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.mode == "refuse":
            self.stats.refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            self.stats.refused += 1
            writer.transport.abort()
            return
        if self.mode == "refuse":  # refused while connecting upstream: a cut() just now did not see it
            self.stats.refused += 1
            up_writer.transport.abort()
            writer.transport.abort()
            return
        self.stats.accepted += 1
        pair = _Pair(writer, up_writer)
        self._pairs.add(pair)
        self.stats.open_connections = len(self._pairs)
        pair.tasks = [asyncio.create_task(self._pump(reader, up_writer, pair)),
                      asyncio.create_task(self._pump(up_reader, writer, pair))]

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, pair: _Pair) -> None:
        try:
            while chunk := await reader.read(65536):
                if self.mode == "blackhole":
                    self.stats.bytes_dropped += len(chunk)
                    continue
                if self.mode == "delay" and self.delay_s > 0:
                    self.stats.chunks_delayed += 1
                    await asyncio.sleep(self.delay_s)  # the injected fault itself, not synchronisation
                writer.write(chunk)
                await writer.drain()
                self.stats.bytes_forwarded += len(chunk)
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            if pair in self._pairs:
                self._close(pair, abort=False)
