"""``GET /realtime/v1/websocket``: connect-time checks, the socket's read loop and its outbound queue.

Inbound frames are handled in order per topic, each topic in a task of its own: a join (its policy
check, a refused join's 5 s backoff) or a slow database check never holds up heartbeats or other
topics, and a closed socket is noticed (and its channels and presence dropped) at once. At most
MAX_INFLIGHT frames wait per socket (past that the socket reads no more until some finish) and at most
JOINS_IN_PARALLEL of its joins run at once. Parsing stays on the loop (json holds the GIL, so a worker
thread would spare no one; the 5 MB frame limit bounds it to a few tens of milliseconds).

Outbound frames go through a bounded per-socket queue drained by one writer task: fan-out only
enqueues, so a slow or vanished client delays nobody else; a socket whose queue overflows is closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiohttp import WSMsgType, web

from ..keys import TokenError
from . import SERVER_KEY, RealtimeServer, authz, channels
from .serializer import VSNS, FrameError, Message, decode, encode

log = logging.getLogger(__name__)

_CLOSE_TIMEOUT = 1.0
MAX_INFLIGHT = 256
# Joins of one socket run at most this many at a time: each holds a database connection for its policy
# check, and a join storm must not take the pool every other client's requests need.
JOINS_IN_PARALLEL = 4


class Connection:
    def __init__(self, server: RealtimeServer, ws: web.WebSocketResponse, request: web.Request, vsn: int,
                 token: str):
        self.server = server
        self.ws = ws
        self.request = request
        self.vsn = vsn
        self.token = token  # the connect-time key: access token of joins that bring none
        self.channels: dict[str, channels.Channel] = {}
        self._queue: asyncio.Queue[str | bytes] = asyncio.Queue(server.config.outbound_queue_size)
        self._writer: asyncio.Task | None = None
        self._close_task: asyncio.Task | None = None
        self._open = True  # frames are accepted for sending
        self._tails: dict[str, asyncio.Task] = {}  # topic -> its last queued frame's task
        self._inflight: set[asyncio.Task] = set()
        self._join_slots = asyncio.Semaphore(JOINS_IN_PARALLEL)

    # -- output ------------------------------------------------------------------------------------

    def send_frame(self, frame: str | bytes) -> None:
        """Queues one frame; never blocks. Overflow means the client does not keep up: close it."""
        if not self._open:
            return
        try:
            self._queue.put_nowait(frame)
        except asyncio.QueueFull:
            # Its TCP buffers are full too, so a close frame would never get through: reset the connection.
            log.warning("realtime: dropping a socket whose outbound queue overflowed (%d frames)",
                        self._queue.maxsize)
            self._begin_close(1011, b"", abort=True)

    def push(self, msg: Message) -> None:
        self.send_frame(encode(msg, self.vsn))

    def reply(self, msg: Message, status: str, response: Any) -> None:
        """``phx_reply`` echoing the request's join_ref and ref."""
        self.push(Message(msg.topic, "phx_reply", {"status": status, "response": response}, msg.ref,
                          msg.join_ref))

    async def _write_loop(self) -> None:
        while True:
            frame = await self._queue.get()
            try:
                if isinstance(frame, str):
                    await self.ws.send_str(frame)
                else:
                    await self.ws.send_bytes(frame)
            except (ConnectionError, RuntimeError):  # the socket is closing or gone
                return

    # -- lifecycle ---------------------------------------------------------------------------------

    async def run(self) -> None:
        self._writer = asyncio.create_task(self._write_loop())
        try:
            await self._read_loop()
        finally:
            self._open = False
            for task in list(self._inflight):
                task.cancel()
            await asyncio.gather(*self._inflight, return_exceptions=True)
            for channel in list(self.channels.values()):
                channel.teardown()
            if self._close_task is not None:
                await self._close_task
            # Only now: a task waiting on aiohttp's drain shares one future with every other writer, so
            # cancelling the writer while the transport is still in use would cancel their waits too.
            self._writer.cancel()

    def close(self, code: int, message: bytes = b"") -> asyncio.Future:
        """Closes the socket from the server side; the read loop then ends and cleans up."""
        return asyncio.shield(self._begin_close(code, message))

    def _begin_close(self, code: int, message: bytes, abort: bool = False) -> asyncio.Task:
        if self._close_task is None:
            self._open = False
            self._close_task = asyncio.create_task(self._close(code, message, abort))
        return self._close_task

    async def _close(self, code: int, message: bytes, abort: bool) -> None:
        if not abort:
            try:
                async with asyncio.timeout(_CLOSE_TIMEOUT):
                    await self.ws.close(code=code, message=message)
                return
            except (TimeoutError, ConnectionError):
                pass  # the peer does not take the close frame: drop the connection
        if self.request.transport is not None:
            self.request.transport.abort()

    async def _read_loop(self) -> None:
        config = self.server.config
        while self._close_task is None:
            try:
                frame = await self.ws.receive(timeout=config.idle_timeout)
            except TimeoutError:
                log.info("realtime: closing a socket idle for %s s", config.idle_timeout)
                await self.close(code=1000)
                return
            if frame.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                return  # close, closing, closed or error
            if len(frame.data) > config.max_frame_size:
                log.warning("realtime: dropped a %d-byte frame (max_frame_size %d)", len(frame.data),
                            config.max_frame_size)
                continue
            try:
                msg = decode(frame.data, self.vsn)
            except FrameError as exc:
                log.warning("realtime: MalformedWebSocketMessage: %s", exc)
                continue
            if msg.topic == "phoenix" and msg.event == "heartbeat":
                self.reply(msg, "ok", {})
                continue
            if len(self._inflight) >= MAX_INFLIGHT:
                await asyncio.wait(self._inflight, return_when=asyncio.FIRST_COMPLETED)
            self._route(msg)

    # -- routing -----------------------------------------------------------------------------------

    def _route(self, msg: Message) -> None:
        """Runs ``msg`` after the frames queued before it on its topic."""
        previous = self._tails.get(msg.topic)
        task = asyncio.create_task(self._after(previous, msg))
        self._tails[msg.topic] = task
        self._inflight.add(task)
        task.add_done_callback(lambda t, topic=msg.topic: self._done(topic, t))

    def _done(self, topic: str, task: asyncio.Task) -> None:
        self._inflight.discard(task)
        if self._tails.get(topic) is task:
            del self._tails[topic]

    async def _after(self, previous: asyncio.Task | None, msg: Message) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        with contextlib.suppress(ConnectionError):  # the socket is going away; the read loop cleans up
            await self._dispatch(msg)

    async def _dispatch(self, msg: Message) -> None:
        if msg.event == "phx_join":
            if not msg.topic.startswith(channels.TOPIC_PREFIX):
                self.reply(msg, "error", {"reason": "unmatched topic"})
                return
            try:
                async with self._join_slots:
                    await channels.join(self, msg)
            except (asyncio.CancelledError, ConnectionError):
                raise
            except Exception:  # answered as the real server answers an unexpected join failure
                log.exception("realtime: join of %s failed", msg.topic)
                self.reply(msg, "error", {"reason": "Unknown Error on Channel"})
            return
        channel = self.channels.get(msg.topic)
        if channel is None:
            if msg.event == "phx_leave":
                self.reply(msg, "ok", {})
            else:
                self.reply(msg, "error", {"reason": "unmatched topic"})
            return
        try:
            await channel.handle_in(msg)
        except (asyncio.CancelledError, ConnectionError):
            raise
        except Exception:  # a channel crash: phx_error to the client, the socket lives on (as in Phoenix)
            log.exception("realtime: channel %s crashed handling %r", msg.topic, msg.event)
            channel.crash("channel_crash")


def _error_response(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def websocket_handler(request: web.Request) -> web.StreamResponse:
    server = request.app[SERVER_KEY]
    config = server.config
    token = request.headers.get("x-api-key") or request.query.get("apikey")
    try:
        authz.api_key_claims(server.ctx.keys, token)
    except TokenError as exc:
        if config.connect_error_backoff > 0:
            await asyncio.sleep(config.connect_error_backoff)
        return _error_response(401, str(exc))
    vsn = VSNS.get(request.query.get("vsn", "1.0.0"))
    if vsn is None:
        return _error_response(403, "Unsupported serializer version")
    # aiohttp would close the socket on a frame above max_msg_size; Phoenix's limit is enforced by
    # dropping instead, so aiohttp's own limit sits well above it.
    ws = web.WebSocketResponse(autoping=True, max_msg_size=config.max_frame_size * 4)
    await ws.prepare(request)
    conn = Connection(server, ws, request, vsn, token)
    server.connections.add(conn)
    try:
        await conn.run()
    finally:
        server.connections.discard(conn)
        if not ws.closed:
            await ws.close()
    return ws
