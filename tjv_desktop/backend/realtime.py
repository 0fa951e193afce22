"""One supervised realtime connection per signed-in user (architecture §4, §5).

realtime-py 2.34 never checks heartbeat replies and gives up reconnecting after a few failures, so the
library's own reconnect is off and this supervisor is the single owner of the connection:

- it builds a fresh official client per connection attempt, joins the channel plan, and reconnects
  forever with capped exponential backoff and jitter (1 s doubling to 30 s);
- a liveness probe (a broadcast echoed to ourselves on the station's own ``probe:<user id>`` topic) must
  come back within ``probe_deadline`` seconds, so a half-open or black-holed socket is declared lost
  within that bound;
- channels the library closed (e.g. after an expired token) are re-created on the live socket;
- the data comes as database broadcasts (``feed.py``) on private topics, never as Postgres Changes: each
  message's ``seq`` shows by itself whether an earlier one was lost; a rejoin asks Broadcast Replay for
  what was missed since the last message seen, then checks the server's positions (``feed_position``):
  caught up, the engine resumes as before; behind, a replay page that was full, or a hole in ``seq``, and
  the engine resyncs over REST. A topic seen for the first time is resynced whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from realtime import AsyncRealtimeChannel, AsyncRealtimeClient, RealtimeSubscribeStates

from ..domain.events import (
    BroadcastArrived,
    FeedGap,
    LinkState,
    LinkStateChanged,
    PatientShown,
    StationEvents,
)
from ..tasks import cancel_and_wait
from .feed import DB_EVENT
from .feed_watch import FeedWatch
from .health import Health, run_sampler

log = logging.getLogger(__name__)

PROBE_EVENT = "tjv-probe"


@dataclass(frozen=True)
class ChannelSpec:
    """One channel of the plan. ``name`` is the sub-topic (``provider:<id>``)."""

    name: str
    private: bool = True
    database: bool = False  # carries the database feed (event ``change``, ``feed.py``)
    broadcast_events: tuple[str, ...] = ()
    probe: bool = False  # carries the liveness probe (needs broadcast self=True)


def channel_plan(provider_id: str, tenant_id: str | None, user_id: str | None) -> list[ChannelSpec]:
    """Architecture §4: everything routed to the clinician on ``provider:<id>`` (alerts, status and
    batched vitals of the panel, panel changes); the probe on the station's own topic; announcements."""
    plan = [ChannelSpec(f"provider:{provider_id}", database=True)]
    if user_id:
        plan.append(ChannelSpec(f"probe:{user_id}", probe=True))
    if tenant_id:
        plan.append(ChannelSpec(f"tenant:{tenant_id}:announcements", broadcast_events=("announcement",)))
    return plan


@dataclass(eq=False)
class ExtraChannel:
    """A channel joined on the link's socket besides the plan (a collaboration session): joined on
    every connection while attached, never able to bring the link down. ``setup`` registers callbacks on
    each fresh library channel; ``on_joined`` runs after every successful (re)join, ``on_lost`` when the
    channel or the socket goes, ``on_refused`` (once, then the channel is detached) when the server
    refuses the join for lack of permission."""

    name: str
    config: dict
    setup: Callable[[AsyncRealtimeChannel], None]
    on_joined: Callable[[AsyncRealtimeChannel], None]
    on_lost: Callable[[str], None]
    on_refused: Callable[[str], None]
    channel: AsyncRealtimeChannel | None = None


class LinkLost(Exception):
    """The connection is gone or unusable; the supervisor reconnects."""


@dataclass
class _Joined:
    spec: ChannelSpec
    channel: AsyncRealtimeChannel
    live: asyncio.Event = field(default_factory=asyncio.Event)


class RealtimeLink:
    """Owns the realtime connection of one user. It publishes what the network did on ``events``
    (link state, gaps, channels going live, changes and broadcasts arriving) and opens the channel of
    the patient the window shows (``patient_shown``)."""

    def __init__(self, url: str, anon_key: str, token: Callable[[], str | None],
                 plan: Callable[[], Awaitable[list[ChannelSpec]]], events: StationEvents, *,
                 positions: Callable[[list[str]], Awaitable[dict[str, int]]] | None = None,
                 position_check_seconds: float = 15.0, probe_deadline: float = 10.0, backoff_initial: float = 1.0, backoff_max: float = 30.0,
                 join_timeout: float = 10.0, health: Health | None = None):
        self.url = url.rstrip("/")
        self.anon_key = anon_key
        self._token = token
        self._plan = plan
        self.events = events
        self.position_check_seconds = position_check_seconds
        self.probe_deadline = probe_deadline
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.join_timeout = join_timeout
        self.health = health or Health()
        self._client: AsyncRealtimeClient | None = None
        self._joined: dict[str, _Joined] = {}
        self._probes: dict[str, float] = {}
        self._probe_back = asyncio.Event()
        self._token_tasks: set[asyncio.Task] = set()
        self._extras: dict[str, ExtraChannel] = {}
        self._patient_channel: ExtraChannel | None = None
        self._task: asyncio.Task | None = None
        self._sampler: asyncio.Task | None = None
        self._stopping = False
        self._lost_reason: str | None = None
        events.patient_shown.add(self._on_patient_shown)
        # positions: the server's feed positions (REST), to tell caught up from behind
        self.feed = FeedWatch(events, self.health, positions=positions, live_topics=self._live_topics,
                              spawn=self._spawn)

    # --- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._supervise(), name="tjv-realtime-supervisor")
            self._sampler = asyncio.create_task(run_sampler(self.health), name="tjv-health-sampler")

    async def stop(self) -> None:
        self._stopping = True
        self.events.patient_shown.remove(self._on_patient_shown)
        self.feed.close()
        await cancel_and_wait([self._task, self._sampler, *self._token_tasks])
        await self._teardown()
        self._set_state(LinkState.STOPPED, "stopped")

    @property
    def socket_token(self) -> str | None:
        """The access token the live socket's channels hold (None while disconnected)."""
        return self._client.access_token if self._client is not None else None

    @property
    def state(self) -> LinkState:
        return self.health.state

    def _set_state(self, state: LinkState, reason: str = "") -> None:
        if state is self.health.state and reason == self.health.state_reason:
            return
        self.health.state, self.health.state_since, self.health.state_reason = state, time.time(), reason
        self.health.trace.record("state", state=state.value, reason=reason)
        log.info("realtime %s%s", state.value, f": {reason}" if reason else "")
        self.events.link_state_changed.publish(LinkStateChanged(state, reason))

    def backoff_delay(self, attempt: int) -> float:
        """Capped exponential backoff with jitter: 1, 2, 4 … 30 s, each scaled by 0.5–1.0."""
        return min(self.backoff_max, self.backoff_initial * 2 ** max(0, attempt - 1)) * random.uniform(0.5, 1.0)

    async def _supervise(self) -> None:
        attempt = 0
        first = True
        ever_connected = False
        while not self._stopping:
            self._set_state(LinkState.CONNECTING if first else LinkState.RECONNECTING,
                            "" if first else f"attempt {attempt}")
            try:
                await self._connect()
                attempt = 0
                if ever_connected:
                    self.health.reconnects += 1
                ever_connected = True
                self._set_state(LinkState.CONNECTED)
                await self._watch()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # any failure of one attempt ends it; the loop decides what next
                reason = str(exc) or exc.__class__.__name__
                self.events.feed_gap.publish(FeedGap(reason))
                self._set_state(LinkState.LOST, reason)
            await self._teardown()
            first = False
            attempt += 1
            delay = self.backoff_delay(attempt)
            self._set_state(LinkState.RECONNECTING, f"next attempt in {delay:.1f} s")
            await asyncio.sleep(delay)

    async def _teardown(self) -> None:
        client, self._client = self._client, None
        self._joined.clear()
        for extra in self._extras.values():
            if extra.channel is not None:
                extra.channel = None
                extra.on_lost("connection lost")
        self._probes.clear()
        if client is not None:
            with contextlib.suppress(Exception):  # the socket may already be dead; nothing to save
                async with asyncio.timeout(2.0):
                    await client.close()

    # --- connecting ---------------------------------------------------------------------------------

    async def _connect(self) -> None:
        token = self._token()
        if not token:
            raise LinkLost("not signed in")
        client = AsyncRealtimeClient(f"{self.url}/realtime/v1", token=self.anon_key, auto_reconnect=False,
                                     max_retries=1, timeout=int(self.join_timeout))
        client.access_token = token
        self._client = client
        async with asyncio.timeout(self.join_timeout):
            await client.connect()
        for spec in await self._plan():
            await self._join(spec)
        for extra in list(self._extras.values()):
            self._spawn(self._join_extra(extra), f"tjv-join-{extra.name}")
        self._spawn(self.feed.catch_up(), "tjv-realtime-catch-up")

    def _channel_config(self, name: str, *, private: bool, probe: bool = False, database: bool = False,
                        presence: dict | None = None) -> dict:
        broadcast: dict = {"ack": False, "self": probe}
        replay = self.feed.joining(name) if database else None
        if replay is not None:
            broadcast["replay"] = replay
        return {"config": {"broadcast": broadcast, "presence": presence or {"key": "", "enabled": False},
                           "private": private}}

    async def _join(self, spec: ChannelSpec) -> None:
        assert self._client is not None
        client = self._client
        self.health.trace.record("join", channel=spec.name)
        channel = client.channel(spec.name, self._channel_config(spec.name, private=spec.private, probe=spec.probe,
                                                                 database=spec.database))
        joined = _Joined(spec, channel)
        if spec.database:
            channel.on_broadcast(DB_EVENT, self.feed.callback(spec.name))
        if spec.probe:
            channel.on_broadcast(PROBE_EVENT, self._probe_echo)
        for event in spec.broadcast_events:
            channel.on_broadcast(event, lambda payload, name=spec.name: self._broadcast(name, payload))
        outcome: asyncio.Future = asyncio.get_running_loop().create_future()

        def on_subscribe(state: RealtimeSubscribeStates, error: Exception | None) -> None:
            self.health.trace.record("channel", channel=spec.name, status=getattr(state, "value", str(state)),
                                     error=str(error) if error else "")
            if not outcome.done():
                outcome.set_result((state, error))
            if state == RealtimeSubscribeStates.SUBSCRIBED:
                joined.live.set()
                if spec.database:
                    self.feed.went_live(spec.name)
            else:
                joined.live.clear()
                self.events.feed_gap.publish(FeedGap(f"channel {spec.name}: {state}", spec.name))
                log.info("channel %s: %s %s", spec.name, state, error or "")

        self._joined[spec.name] = joined
        await channel.subscribe(on_subscribe)
        async with asyncio.timeout(self.join_timeout):
            state, error = await outcome
        if state != RealtimeSubscribeStates.SUBSCRIBED:
            raise LinkLost(f"could not join {spec.name}: {state} {error or ''}".strip())

    def _live_topics(self) -> set[str]:
        topics = {name for name, j in self._joined.items() if j.spec.database and j.live.is_set()}
        if self._patient_channel is not None and self._patient_channel.channel is not None:
            topics.add(self._patient_channel.name)
        return topics

    def _broadcast(self, name: str, payload: dict) -> None:
        self.health.messages_in.add()
        self.health.trace.record("broadcast", channel=name, event=payload.get("event", ""))
        self.events.broadcast_arrived.publish(BroadcastArrived(name, payload.get("event", ""),
                                                               payload.get("payload") or {}))

    # --- liveness -----------------------------------------------------------------------------------

    def _probe_echo(self, payload: dict) -> None:
        probe_id = (payload.get("payload") or {}).get("id")
        sent = self._probes.pop(probe_id, None)
        if sent is not None:
            rtt = (time.monotonic() - sent) * 1000
            self.health.add_probe_rtt(rtt)
            self.health.trace.record("probe", rtt_ms=round(rtt, 2))
            self._probe_back.set()

    async def _send_probe(self) -> None:
        joined = next((j for j in self._joined.values() if j.spec.probe), None)
        if joined is None or self._client is None:
            raise LinkLost("no channel carries the liveness probe")
        probe_id = uuid.uuid4().hex
        self._probes[probe_id] = time.monotonic()
        self.health.messages_out.add()
        await joined.channel.send_broadcast(PROBE_EVENT, {"id": probe_id})

    async def _watch(self) -> None:
        """Returns (by raising LinkLost) when the connection is lost; otherwise probes forever."""
        interval = max(0.5, self.probe_deadline / 4)
        last_echo = last_check = time.monotonic()
        while True:
            if time.monotonic() - last_check >= self.position_check_seconds:
                last_check = time.monotonic()
                self._spawn(self.feed.check_positions(), "tjv-realtime-positions")
            client = self._client
            if client is None or not client.is_connected:
                raise LinkLost("socket closed")
            await self._rejoin_closed_channels()
            self._probe_back.clear()
            # A send that cannot complete is a dead link too; the deadline below decides.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(interval):
                    await self._send_probe()
            try:
                async with asyncio.timeout(interval):
                    await self._probe_back.wait()
                last_echo = time.monotonic()
                await asyncio.sleep(interval)
            except TimeoutError:
                silent = time.monotonic() - last_echo
                self.health.trace.record("probe_late", silent_s=round(silent, 1), deadline_s=self.probe_deadline)
                if silent >= self.probe_deadline:
                    raise LinkLost(f"no answer from the server for {silent:.1f} s") from None

    async def _rejoin_closed_channels(self) -> None:
        assert self._client is not None
        for name, joined in list(self._joined.items()):
            if self._client.channels.get(joined.channel.topic) is not joined.channel:
                log.info("channel %s was closed by the server; joining it again", name)
                self.health.trace.record("rejoin", channel=name, reason="closed by the server")
                await self._join(joined.spec)
        for extra in list(self._extras.values()):
            channel = extra.channel
            if channel is not None and self._client.channels.get(channel.topic) is not channel:
                log.info("channel %s was closed by the server; joining it again", extra.name)
                extra.channel = None
                extra.on_lost("closed by the server")
                await self._join_extra(extra)

    # --- extra channels (collaboration sessions) ------------------------------------------------------

    def _spawn(self, coro, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        self._token_tasks.add(task)
        task.add_done_callback(self._token_tasks.discard)

    async def attach(self, extra: ExtraChannel) -> None:
        """Joins ``extra`` now if connected, and again on every later connection, until ``detach``."""
        self._extras[extra.name] = extra
        if self._client is not None and self.health.state is LinkState.CONNECTED:
            await self._join_extra(extra)

    async def detach(self, name: str) -> None:
        extra = self._extras.pop(name, None)
        if extra is None or extra.channel is None:
            return
        channel, extra.channel = extra.channel, None
        if self._client is not None:
            with contextlib.suppress(Exception):  # leaving a dead channel: nothing to tell the server
                async with asyncio.timeout(self.join_timeout):
                    await self._client.remove_channel(channel)

    async def _join_extra(self, extra: ExtraChannel) -> None:
        client = self._client
        if client is None or self._extras.get(extra.name) is not extra or extra.channel is not None:
            return
        channel = client.channel(extra.name, {"config": extra.config})
        extra.setup(channel)
        extra.channel = channel

        def on_subscribe(state: RealtimeSubscribeStates, error: Exception | None) -> None:
            if extra.channel is not channel:
                return
            if state == RealtimeSubscribeStates.SUBSCRIBED:
                extra.on_joined(channel)
            elif "Unauthorized" in str(error or ""):
                log.warning("channel %s: join refused: %s", extra.name, error)
                self._extras.pop(extra.name, None)
                extra.channel = None
                self._spawn(client.remove_channel(channel), f"tjv-leave-{extra.name}")
                extra.on_refused(str(error))
            else:
                log.info("channel %s: %s %s", extra.name, state, error or "")
                extra.on_lost(f"{state}")

        try:
            # Bounded: realtime-py's subscribe waits for the server's reply; a reply that never comes
            # must not hold the caller (opening a session, showing a patient). The join itself goes on
            # in the background and on_subscribe still reports how it ends.
            async with asyncio.timeout(self.join_timeout + 2):
                await channel.subscribe(on_subscribe)
        except TimeoutError:
            log.warning("channel %s: no answer to the join within %.0f s", extra.name, self.join_timeout + 2)
        except Exception as exc:  # the socket died under the join; the next connection joins again
            log.info("channel %s: join not sent: %s", extra.name, exc)

    # --- the shown patient's channel (architecture §4) -------------------------------------------------

    def _on_patient_shown(self, event: PatientShown) -> None:
        self._spawn(self.watch_patient(event.patient_id), "tjv-realtime-patient")

    async def watch_patient(self, patient_id: str | None) -> None:
        """``patient:{id}``, open only while that patient's detail is shown: their messages and care plan
        as they change (at most one patient at a time; None closes it). Joining asks for a resync, so
        whatever changed before the channel was live is fetched too."""
        current = self._patient_channel
        if current is not None and current.name == f"patient:{patient_id}":
            return
        if current is not None:
            self._patient_channel = None
            await self.detach(current.name)
        if patient_id is None:
            return
        name = f"patient:{patient_id}"
        deliver = self.feed.callback(name)

        def setup(channel: AsyncRealtimeChannel) -> None:
            channel.on_broadcast(DB_EVENT, deliver)

        extra = ExtraChannel(name, self._channel_config(name, private=True, database=True)["config"],
                             setup=setup, on_joined=lambda _channel: self.feed.went_live(name),
                             on_lost=lambda reason: log.info("channel %s: %s", name, reason),
                             on_refused=lambda reason: log.warning("channel %s refused: %s", name, reason))
        self._patient_channel = extra
        await self.attach(extra)

    @property
    def patient_channel(self) -> str | None:
        return self._patient_channel.name if self._patient_channel is not None else None

    # --- token --------------------------------------------------------------------------------------

    def token_changed(self, token: str) -> None:
        """Sync entry point for auth listeners: pushes the token in a task the link keeps."""
        task = asyncio.create_task(self.set_token(token), name="tjv-realtime-token")
        self._token_tasks.add(task)
        task.add_done_callback(self._token_tasks.discard)

    async def set_token(self, token: str) -> None:
        """A refreshed access token: joined channels get it at once, future joins use it."""
        self.health.trace.record("token", detail="access token refreshed")
        if self._client is not None:
            with contextlib.suppress(Exception):  # a dead socket takes the token on reconnect
                await self._client.set_auth(token)
