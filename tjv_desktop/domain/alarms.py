"""Alarm signalling per IEC 60601-1-8 for a remote (distributed) alarm display. Pure, stdlib only.

The server decides which alerts exist and their responsibility state; this module decides how this
display signals them: which one is shown, which flash, whether and at what priority audio sounds,
and the time-limited inactivation states AUDIO PAUSED and ALARM PAUSED. Time is passed in as
monotonic seconds so tests drive it with a fake clock. Every transition is returned as an
``AlarmEvent`` for the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from .alerts import PRIORITIES, VISUAL, AlertState, Priority, needs_response, priority_rank

Inactivation = Literal["none", "audio_paused", "alarm_paused"]


@dataclass(frozen=True, slots=True)
class AuditoryPattern:
    """One burst of a priority's auditory signal (IEC 60601-1-8 Tables 3 and 4).

    ``pulses`` are (onset, duration) in seconds from the start of the burst. ``repeat_seconds`` is
    the time from the start of one burst to the start of the next (None: not repeated)."""

    pulses: tuple[tuple[float, float], ...]
    repeat_seconds: float | None
    fundamental_hz: float
    rise_fraction: float = 0.15

    @property
    def burst_seconds(self) -> float:
        onset, duration = self.pulses[-1]
        return onset + duration

    def spacings(self) -> tuple[float, ...]:
        """Silence between the end of each pulse and the onset of the next."""
        return tuple(b[0] - (a[0] + a[1]) for a, b in zip(self.pulses, self.pulses[1:], strict=False))


def _burst(durations: float, gaps: Iterable[float]) -> tuple[tuple[float, float], ...]:
    onset, pulses = 0.0, [(0.0, durations)]
    for gap in gaps:
        onset = round(onset + durations + gap, 6)
        pulses.append((onset, durations))
    return tuple(pulses)


# High: 10 pulses as 3+2, pause, 3+2; pulse 150 ms (75–200), spacing x = 100 ms (50–125), the
# 3→2 gap 2x+td, the mid-burst pause 500 ms; burst every 7 s (2.5–15).
_HIGH_X, _HIGH_TD = 0.1, 0.15
_HIGH_HALF = (_HIGH_X, _HIGH_X, 2 * _HIGH_X + _HIGH_TD, _HIGH_X)
AUDITORY: Mapping[Priority, AuditoryPattern] = {
    Priority.HIGH: AuditoryPattern(_burst(_HIGH_TD, (*_HIGH_HALF, 0.5, *_HIGH_HALF)), 7.0, 880.0),
    # Medium: 3 pulses of 200 ms (125–250), spacing 200 ms (125–250), every 15 s (2.5–30).
    Priority.MEDIUM: AuditoryPattern(_burst(0.2, (0.2, 0.2)), 15.0, 660.0),
    # Low: 2 pulses of 200 ms, spacing 200 ms, every 30 s (> 15 s).
    Priority.LOW: AuditoryPattern(_burst(0.2, (0.2,)), 30.0, 440.0),
}


# The server-row fields an Alert has as attributes; every other field goes to ``details``.
ALERT_FIELDS = frozenset({"id", "patient_id", "priority", "state", "message", "raised_at"})


@dataclass(frozen=True, slots=True)
class Alert:
    """A patient alert as the server reports it. Extra row fields are kept in ``details``."""

    id: str
    patient_id: str
    priority: Priority
    state: AlertState
    message: str
    raised_at: Any = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Alert:
        if not priority_rank(row["priority"]):
            raise ValueError(f"alert {row['id']}: unknown priority {row['priority']!r}")
        return cls(id=str(row["id"]), patient_id=str(row["patient_id"]), priority=row["priority"],
                   state=row.get("state", AlertState.ACTIVE), message=row.get("message", ""),
                   raised_at=row.get("raised_at"),
                   details={k: v for k, v in row.items() if k not in ALERT_FIELDS})


@dataclass(frozen=True, slots=True)
class TechnicalPolicy:
    """When data loss becomes a technical alarm and when it escalates (set by the responsible org)."""

    stale_after_seconds: float = 120.0
    high_after_seconds: float = 300.0
    priority: Priority = "medium"


TechnicalKind = Literal["communication_lost", "data_stale"]


@dataclass(frozen=True, slots=True)
class ShownAlarm:
    """One alarm as this display signals it: a patient alert or the technical alarm."""

    id: str
    priority: Priority
    state: str
    message: str
    patient_id: str | None
    flashing: bool
    audible: bool
    technical_kind: TechnicalKind | None = None
    since: float | None = None
    alert: Alert | None = None

    @property
    def needs_response(self) -> bool:
        return needs_response(self.state)


@dataclass(frozen=True, slots=True)
class AlarmEvent:
    """One alarm-signalling transition, for the audit trail."""

    at: float
    kind: str  # raised, state_changed, cleared, escalated, audio_paused, alarm_paused, break_through, resumed
    alarm_id: str | None = None
    priority: Priority | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class AlarmStatus:
    """What the display should show at one instant."""

    now: float
    alarms: tuple[ShownAlarm, ...]
    top: ShownAlarm | None
    technical: ShownAlarm | None
    counts: Mapping[Priority, int]
    waiting_counts: Mapping[Priority, int]
    audio_priority: Priority | None
    inactivation: Inactivation
    pause_remaining: float | None
    events: tuple[AlarmEvent, ...] = ()

    @property
    def flashing_ids(self) -> frozenset[str]:
        return frozenset(a.id for a in self.alarms if a.flashing)


TECHNICAL_ID = "technical"


class AlarmSystem:
    """Alarm-signal state machine for one display.

    Feed it the server's alerts (``set_alerts``) and the link's health (``set_technical``), apply
    operator actions (``pause_audio``, ``pause_alarms``, ``end_pause``), and ask ``evaluate(now)``
    what to show. Every method returns the transitions it caused.
    """

    def __init__(self, audio_pause_seconds: float = 120.0, alarm_pause_seconds: float = 120.0,
                 technical: TechnicalPolicy | None = None):
        if audio_pause_seconds <= 0 or alarm_pause_seconds <= 0:
            raise ValueError("pauses must be time-limited: durations must be > 0 seconds")
        self.audio_pause_seconds = float(audio_pause_seconds)
        self.alarm_pause_seconds = float(alarm_pause_seconds)
        self.technical_policy = technical or TechnicalPolicy()
        self._alerts: dict[str, Alert] = {}
        self._first_seen: dict[str, float] = {}
        self._lost_since: float | None = None
        self._stale_since: float | None = None
        self._technical_priority: Priority | None = None
        self._technical_kind: TechnicalKind | None = None
        self._inactivation: Inactivation = "none"
        self._pause_until: float | None = None
        self._pause_baseline = 0  # highest audible rank present when the pause began

    # -- inputs ------------------------------------------------------------------------------------

    def set_alerts(self, alerts: Iterable[Alert | Mapping[str, Any]], now: float) -> list[AlarmEvent]:
        """Replace the alert set with the server's current one. Resolved alerts are dropped."""
        events: list[AlarmEvent] = []
        incoming: dict[str, Alert] = {}
        for item in alerts:
            alert = item if isinstance(item, Alert) else Alert.from_row(item)
            if alert.state != "resolved":
                incoming[alert.id] = alert
        for alert_id, old in self._alerts.items():
            if alert_id not in incoming:
                events.append(AlarmEvent(now, "cleared", alert_id, old.priority))
                self._first_seen.pop(alert_id, None)
        for alert_id, alert in incoming.items():
            old = self._alerts.get(alert_id)
            if old is None:
                self._first_seen[alert_id] = now
                events.append(AlarmEvent(now, "raised", alert_id, alert.priority, alert.state))
            elif old.state != alert.state:
                events.append(AlarmEvent(now, "state_changed", alert_id, alert.priority,
                                         f"{old.state} -> {alert.state}"))
            elif old.priority != alert.priority:
                events.append(AlarmEvent(now, "escalated", alert_id, alert.priority,
                                         f"{old.priority} -> {alert.priority}"))
        self._alerts = incoming
        return events + self._advance(now)

    def set_technical(self, now: float, lost_since: float | None = None,
                      stale_age: float | None = None) -> list[AlarmEvent]:
        """Report the link: ``lost_since`` when communication was lost (None: connected),
        ``stale_age`` seconds since the newest data arrived (None: unknown/fresh)."""
        self._lost_since = lost_since
        self._stale_since = None if stale_age is None else now - stale_age
        return self._advance(now)

    # -- operator actions --------------------------------------------------------------------------

    def pause_audio(self, now: float) -> list[AlarmEvent]:
        """AUDIO PAUSED for the policy duration: audio stops, visual signals continue."""
        return self._pause("audio_paused", self.audio_pause_seconds, now)

    def pause_alarms(self, now: float) -> list[AlarmEvent]:
        """ALARM PAUSED for the policy duration: audio and flashing stop; alarms stay listed."""
        return self._pause("alarm_paused", self.alarm_pause_seconds, now)

    def end_pause(self, now: float) -> list[AlarmEvent]:
        """The operator ends the inactivation early; every present alarm signals again."""
        events = self._advance(now)
        if self._inactivation != "none":
            events.append(self._resume(now, "operator"))
        return events

    def _pause(self, state: Inactivation, seconds: float, now: float) -> list[AlarmEvent]:
        events = self._advance(now)
        self._inactivation = state
        self._pause_until = now + seconds
        self._pause_baseline = max((priority_rank(a.priority) for a in self._audible_candidates(now)),
                                   default=0)
        events.append(AlarmEvent(now, state, None, None, f"{seconds:.0f} s"))
        return events

    def _resume(self, now: float, reason: str) -> AlarmEvent:
        previous = self._inactivation
        self._inactivation, self._pause_until, self._pause_baseline = "none", None, 0
        return AlarmEvent(now, "resumed", None, None, f"{previous} ended: {reason}")

    # -- evaluation --------------------------------------------------------------------------------

    def evaluate(self, now: float) -> AlarmStatus:
        """What to show at ``now``; ``events`` holds transitions that time alone caused."""
        events = tuple(self._advance(now))
        paused_visual = self._inactivation == "alarm_paused"
        paused_audio = self._inactivation != "none"
        shown: list[ShownAlarm] = []
        for alarm in self._audible_candidates(now, include_responded=True):
            waiting = alarm.needs_response
            flashing = waiting and not paused_visual and VISUAL[alarm.priority].flashes
            shown.append(replace(alarm, flashing=flashing, audible=waiting and not paused_audio))
        shown.sort(key=lambda a: (not a.needs_response, -priority_rank(a.priority),
                                  a.technical_kind is None, -(a.since or 0.0)))
        # Counts are of patient alarms; the technical alarm is reported on its own.
        patients = [a for a in shown if a.technical_kind is None]
        counts = {p: sum(1 for a in patients if a.priority == p) for p in PRIORITIES}
        waiting_counts = {p: sum(1 for a in patients if a.priority == p and a.needs_response)
                          for p in PRIORITIES}
        audible = [a for a in shown if a.audible]
        audio = max((a.priority for a in audible), key=priority_rank, default=None)
        technical = next((a for a in shown if a.technical_kind), None)
        remaining = None if self._pause_until is None else max(0.0, self._pause_until - now)
        return AlarmStatus(now, tuple(shown), shown[0] if shown else None, technical, counts,
                           waiting_counts, audio, self._inactivation, remaining, events)

    def _audible_candidates(self, now: float, include_responded: bool = False) -> list[ShownAlarm]:
        """Alarms present at ``now`` (by default only those still needing a response)."""
        alarms = []
        for alert in self._alerts.values():
            if include_responded or needs_response(alert.state):
                alarms.append(ShownAlarm(alert.id, alert.priority, alert.state, alert.message,
                                         alert.patient_id, False, False, since=self._first_seen[alert.id],
                                         alert=alert))
        if self._technical_priority is not None:
            kind = self._technical_kind
            since = self._lost_since if kind == "communication_lost" else self._stale_since
            alarms.append(ShownAlarm(TECHNICAL_ID, self._technical_priority, "active", kind or "",
                                     None, False, False, technical_kind=kind, since=since))
        return alarms

    def _technical_now(self, now: float) -> tuple[TechnicalKind | None, Priority | None]:
        policy = self.technical_policy
        if self._lost_since is not None:
            kind: TechnicalKind = "communication_lost"
            age = now - self._lost_since
        elif self._stale_since is not None and now - self._stale_since >= policy.stale_after_seconds:
            kind, age = "data_stale", now - self._stale_since
        else:
            return None, None
        return kind, ("high" if age >= policy.high_after_seconds else policy.priority)

    def _advance(self, now: float) -> list[AlarmEvent]:
        """Apply what time and new inputs imply: technical alarm changes, expiry, break-through."""
        events: list[AlarmEvent] = []
        kind, priority = self._technical_now(now)
        if (kind, priority) != (self._technical_kind, self._technical_priority):
            if priority is None:
                events.append(AlarmEvent(now, "cleared", TECHNICAL_ID, self._technical_priority,
                                         self._technical_kind or ""))
            elif self._technical_priority is None:
                events.append(AlarmEvent(now, "raised", TECHNICAL_ID, priority, kind or ""))
            else:
                events.append(AlarmEvent(now, "escalated", TECHNICAL_ID, priority,
                                         f"{self._technical_kind}/{self._technical_priority} -> {kind}/{priority}"))
            self._technical_kind, self._technical_priority = kind, priority
        if self._inactivation == "none":
            return events
        assert self._pause_until is not None
        if now >= self._pause_until:
            events.append(self._resume(now, "expired"))
            return events
        # A condition of higher priority than any present when the pause began breaks through.
        louder = [a for a in self._audible_candidates(now) if priority_rank(a.priority) > self._pause_baseline]
        if louder:
            worst = max(louder, key=lambda a: priority_rank(a.priority))
            events.append(AlarmEvent(now, "break_through", worst.id, worst.priority, self._inactivation))
            events.append(self._resume(now, "break_through"))
        return events

