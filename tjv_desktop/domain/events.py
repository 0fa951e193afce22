"""The events that cross layers, declared once and typed.

A station has one ``StationEvents``: the app builds it and hands it to every producer and consumer. The
realtime link publishes what the network did (link state, feed gaps, channels going live, database
changes and broadcasts arriving); the sync engine publishes what it wrote (changes applied, resync
finished); the window publishes which patient it shows. Consumers subscribe in their constructors with
``add`` and leave with ``remove``; nobody wires a callback by setting another object's attribute.

Following an alert from the socket to the screen: ``change_arrived`` (link) → the engine applies it →
``changes_applied`` (engine) → the window reads the view records for it.

Stdlib only. Listeners run on the publisher's thread (the event loop) and must not block.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar

from .changes import ChangeSet

log = logging.getLogger(__name__)

P = TypeVar("P")


class Event(Generic[P]):
    """One kind of event: listeners added and removed, payloads published to each in order.

    A listener that raises is logged with its traceback and the others still hear the event: one broken
    view must never stop an alert reaching the rest."""

    def __init__(self, name: str):
        self.name = name
        self._listeners: list[Callable[[P], None]] = []

    def add(self, listener: Callable[[P], None]) -> None:
        self._listeners.append(listener)

    def remove(self, listener: Callable[[P], None]) -> None:
        """Removes one registration of ``listener`` (nothing when it is not registered)."""
        if listener in self._listeners:
            self._listeners.remove(listener)

    def publish(self, payload: P) -> None:
        for listener in list(self._listeners):
            try:
                listener(payload)
            except Exception:  # noqa: BLE001 - logged in full; the other listeners must still run
                log.exception("a listener of %s failed", self.name)

    def __len__(self) -> int:
        return len(self._listeners)


class LinkState(Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    LOST = "lost"
    RECONNECTING = "reconnecting"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class LinkStateChanged:
    state: LinkState
    reason: str = ""


@dataclass(frozen=True, slots=True)
class FeedGap:
    """The live feed may have missed something. ``resync`` False: it may have (the socket went; replay
    may bring it back), so nothing live may move a cursor until the feed is confirmed caught up; True: it
    did (a hole in a topic's sequence, a full replay page, behind the server), so a resync must fetch it."""

    reason: str
    topic: str | None = None  # the topic whose gap was seen; None: every topic (the socket went)
    resync: bool = False


@dataclass(frozen=True, slots=True)
class FeedCaughtUp:
    """After a rejoin, every topic seen before reached the server's position: nothing was lost."""

    topics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChannelLive:
    """A channel's live delivery (re)started. ``resync``: nothing is known of the topic yet (or replay is
    impossible), so what it carried before must be fetched over REST."""

    channel: str
    resync: bool = True


@dataclass(frozen=True, slots=True)
class ChangeArrived:
    """One database change delivered live: ``table``, ``op`` (INSERT, UPDATE, DELETE) and the row."""

    channel: str
    table: str
    op: str
    record: Mapping[str, Any] | None
    old_record: Mapping[str, Any] | None = None
    commit_timestamp: str = ""


@dataclass(frozen=True, slots=True)
class BroadcastArrived:
    """A client broadcast (announcements and the like) on one of the station's channels."""

    channel: str
    event: str
    payload: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ChangesApplied:
    """The engine wrote these keys to the store (live, resync or a command)."""

    changes: ChangeSet


@dataclass(frozen=True, slots=True)
class ResyncFinished:
    """A REST resync wrote ``changes``; ``positions`` are the database topics' sequence numbers read
    before it fetched, so everything up to them is now in the store."""

    rows: int
    ms: float
    changes: ChangeSet
    positions: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PatientShown:
    """The window shows this patient's detail (None: none), so their own channel is wanted."""

    patient_id: str | None


@dataclass(frozen=True)
class StationEvents:
    link_state_changed: Event[LinkStateChanged] = field(default_factory=lambda: Event("link_state_changed"))
    feed_gap: Event[FeedGap] = field(default_factory=lambda: Event("feed_gap"))
    feed_caught_up: Event[FeedCaughtUp] = field(default_factory=lambda: Event("feed_caught_up"))
    channel_live: Event[ChannelLive] = field(default_factory=lambda: Event("channel_live"))
    change_arrived: Event[ChangeArrived] = field(default_factory=lambda: Event("change_arrived"))
    broadcast_arrived: Event[BroadcastArrived] = field(default_factory=lambda: Event("broadcast_arrived"))
    changes_applied: Event[ChangesApplied] = field(default_factory=lambda: Event("changes_applied"))
    resync_finished: Event[ResyncFinished] = field(default_factory=lambda: Event("resync_finished"))
    patient_shown: Event[PatientShown] = field(default_factory=lambda: Event("patient_shown"))
