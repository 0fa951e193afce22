"""The typed records the window shows: what the read side (``read_side.py``) computes on the store's
thread and the item models apply. Plain data, no Qt."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tjv_desktop.domain.alarms import ALERT_FIELDS, Alert
from tjv_desktop.domain.alerts import (
    AlertState,
    Command,
    Priority,
    allowed_commands,
    is_open,
    needs_response,
    parse_priority,
)

VITAL_FIELDS = ("heart_rate", "spo2", "respiratory_rate", "temperature", "systolic_bp", "diastolic_bp",
                "pain_score")


@dataclass(frozen=True, slots=True)
class CensusRow:
    """One patient in the census. ``unanswered`` counts the open alerts that still need a response
    (``domain.alerts.needs_response``), the same rule as the alarm bar's."""

    patient_id: str
    name: str
    procedure: str | None = None
    side: str | None = None
    pod: int | None = None
    status: str | None = None
    news2: float | None = None
    vitals: Mapping[str, Any] = field(default_factory=dict)
    measured_at: datetime | None = None
    alert_count: int = 0
    unanswered: int = 0
    top_priority: str | None = None
    unread: int = 0  # the patient's messages not yet read by the care team
    app_online: bool | None = None  # the patient's app in presence now (None: not known here)
    last_seen: datetime | None = None  # the newest sign of the patient: presence or data


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One alert as listed: the shown ``state`` is a pending command's until the server answers
    (``server_state`` is the server's). ``row`` is the full server row (value, limit, unit, who acted)."""

    id: str
    patient_id: str
    patient_name: str
    provider_id: str | None
    priority: str | None
    state: str
    message: str
    raised_at: datetime | None
    pending_action_id: str | None = None
    server_state: str | None = None
    row: Mapping[str, Any] = field(default_factory=dict)

    @property
    def needs_response(self) -> bool:
        return needs_response(self.state)

    @property
    def is_open(self) -> bool:
        return is_open(self.state)

    @property
    def allowed_commands(self) -> frozenset[Command]:
        """What a clinician may do in the shown state (a pending command's state counts: commands
        queue in order in the outbox)."""
        return allowed_commands(self.state)

    def alert(self) -> Alert:
        """The domain alert the alarm system signals (value, limit and unit in its details). A priority
        this version does not know is signalled as high: an alert is never dropped for its label."""
        return Alert(id=self.id, patient_id=self.patient_id, priority=parse_priority(self.priority) or Priority.HIGH,
                     state=self.state or AlertState.ACTIVE, message=self.message, raised_at=self.raised_at,
                     details={k: v for k, v in self.row.items() if k not in ALERT_FIELDS})


@dataclass(frozen=True, slots=True)
class PatientDetailView:
    """Everything the detail pane shows for one patient. ``vitals`` are (epoch seconds, row), parsed on
    the store's thread rather than on the window's."""

    patient_id: str
    census: CensusRow | None
    patient: Mapping[str, Any]
    vitals: tuple[tuple[float, Mapping[str, Any]], ...]
    alerts: tuple[AlertRow, ...]
    messages: tuple[Mapping[str, Any], ...]
    care_plans: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True, slots=True)
class ViewUpdate:
    """What one change-set changes on screen, computed in one call on the store's thread.

    ``census`` and ``alerts`` name the rows to redraw, insert or remove (None); ``alerts`` holds only the
    signed-in clinician's alerts (another's copy is None, so it never shows). For the selected patient:
    ``new_vitals`` to add to the charts, and ``detail_alerts``/``messages``/``care_plans`` when they
    changed (None: unchanged)."""

    census: Mapping[str, CensusRow | None] = field(default_factory=dict)
    alerts: Mapping[str, AlertRow | None] = field(default_factory=dict)
    new_vitals: tuple[Mapping[str, Any], ...] = ()
    detail_alerts: tuple[AlertRow, ...] | None = None
    messages: tuple[Mapping[str, Any], ...] | None = None
    care_plans: tuple[Mapping[str, Any], ...] | None = None
