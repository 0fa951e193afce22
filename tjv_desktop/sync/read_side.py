"""The read side: what the window shows, computed from the store as typed records (``views.py``).

Every function takes the LocalStore first and runs on the store's thread (``StoreWorker.call``), so
the window never touches SQLite. ``view_update`` turns one change-set into everything the window must
redraw, in one call; the rules it applies (which alerts count as unanswered, the worst priority, which
commands are allowed) all come from ``domain.alerts``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from tjv_desktop.domain.alerts import is_open, needs_response, worst_first
from tjv_desktop.domain.changes import ChangeSet
from tjv_desktop.store import LocalStore
from tjv_desktop.store.instants import parse_instant

from .views import VITAL_FIELDS, AlertRow, CensusRow, PatientDetailView, ViewUpdate

log = logging.getLogger(__name__)


def instant(value: Any) -> datetime | None:
    """A server timestamp, or None when missing or unreadable (shown as unknown, never fatal)."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value
    try:
        return parse_instant(value)
    except (TypeError, ValueError):
        log.warning("unreadable timestamp %r shown as unknown", value)
        return None


def timed(rows: Iterable[Mapping[str, Any]]) -> tuple[tuple[float, Mapping[str, Any]], ...]:
    """(epoch seconds, row) for each vital row with a readable ``measured_at``."""
    out = []
    for row in rows:
        moment = instant(row.get("measured_at"))
        if moment is not None:
            out.append((moment.timestamp(), row))
    return tuple(out)


def post_operative_day(patient: Mapping[str, Any] | None, today: date | None = None) -> int | None:
    surgery = (patient or {}).get("surgery_date")
    if not surgery:
        return None
    try:
        day = date.fromisoformat(str(surgery)[:10])
    except ValueError:
        return None
    return ((today or datetime.now(UTC).date()) - day).days


def _mine(alert: Mapping[str, Any], provider_id: str | None) -> bool:
    return provider_id is None or alert.get("provider_id") == provider_id


class _Names:
    """Patient display names, each read once per call."""

    def __init__(self, store: LocalStore):
        self.store, self._names = store, {}

    def __call__(self, patient_id: str | None) -> str:
        if patient_id is None:
            return ""  # a tenant-wide alert (a metric over its limit) concerns no patient
        if patient_id not in self._names:
            patient = self.store.get("patients", patient_id) or {}
            self._names[patient_id] = patient.get("full_name") or str(patient_id)[:8]
        return self._names[patient_id]


def alert_row(alert: Mapping[str, Any], patient_name: str) -> AlertRow:
    return AlertRow(
        id=str(alert["id"]), patient_id=str(alert["patient_id"]) if alert.get("patient_id") else "",
        patient_name=patient_name,
        provider_id=alert.get("provider_id"), priority=alert.get("priority"), state=alert.get("state") or "",
        message=alert.get("message") or alert.get("kind") or "", raised_at=instant(alert.get("raised_at")),
        pending_action_id=alert.get("pending_action_id"), server_state=alert.get("server_state"), row=alert)


def census_row(store: LocalStore, patient_id: str, provider_id: str | None = None) -> CensusRow | None:
    """One census row, or None when the store holds nothing about the patient."""
    patient = store.get("patients", patient_id)
    status = store.get("patient_status", patient_id)
    if patient is None and status is None:
        return None
    latest = store.latest_vitals([patient_id]).get(patient_id)
    open_alerts = [a for a in store.alerts_for_patient(patient_id)
                   if is_open(a.get("state")) and _mine(a, provider_id)]
    top = min((a.get("priority") for a in open_alerts), key=worst_first, default=None)
    patient, status = patient or {}, status or {}
    messages = store.rows_for_patient("messages", patient_id)
    from_patient = [m for m in messages if m.get("sender_role") == "patient"]
    measured = instant(latest.get("measured_at")) if latest else None
    seen = [t for t in [measured, *(instant(m.get("created_at")) for m in from_patient)] if t is not None]
    return CensusRow(
        patient_id=patient_id, name=patient.get("full_name") or patient_id[:8],
        procedure=patient.get("procedure"), side=patient.get("side"), pod=post_operative_day(patient),
        status=status.get("status"), news2=status.get("news2_score"),
        vitals={k: latest.get(k) for k in VITAL_FIELDS} if latest else {},
        measured_at=instant(latest.get("measured_at")) if latest else None,
        alert_count=len(open_alerts), unanswered=sum(1 for a in open_alerts if needs_response(a.get("state"))),
        top_priority=top if worst_first(top) else None,
        unread=sum(1 for m in from_patient if not m.get("read_at")), last_seen=max(seen, default=None))


def census_rows(store: LocalStore, patient_ids: Iterable[str] | None = None,
                provider_id: str | None = None) -> dict[str, CensusRow | None]:
    """Census rows by patient id: all patients held, or those named (None for one no longer held)."""
    if patient_ids is None:
        patient_ids = [entry.patient_id for entry in store.patient_list()]
    return {pid: census_row(store, pid, provider_id) for pid in patient_ids}


def alert_rows(store: LocalStore, provider_id: str | None,
               alert_ids: Iterable[str] | None = None) -> dict[str, AlertRow | None]:
    """The clinician's alert rows by id: every open one, or those named (None: not held, or another
    clinician's copy)."""
    names = _Names(store)
    if alert_ids is None:
        return {a["id"]: alert_row(a, names(a["patient_id"])) for a in store.active_alerts(provider_id)}
    rows: dict[str, AlertRow | None] = {}
    for alert_id in alert_ids:
        row = store.get("alerts", alert_id)
        rows[alert_id] = alert_row(row, names(row["patient_id"])) if row is not None and _mine(row, provider_id) else None
    return rows


def alert_history(store: LocalStore, provider_id: str | None, limit: int = 200) -> dict[str, AlertRow]:
    names = _Names(store)
    return {a["id"]: alert_row(a, names(a["patient_id"])) for a in store.alert_history(limit=limit).alerts
            if _mine(a, provider_id)}


def _patient_alerts(store: LocalStore, patient_id: str, provider_id: str | None) -> tuple[AlertRow, ...]:
    names = _Names(store)
    return tuple(alert_row(a, names(patient_id)) for a in store.alerts_for_patient(patient_id)
                 if _mine(a, provider_id))


def patient_messages(store: LocalStore, patient_id: str) -> tuple[Mapping[str, Any], ...]:
    """The patient's messages, then the replies not yet on the server, marked ``local_state`` (pending or
    failed) so the window shows them at once and says they have not gone yet."""
    pending = [{"id": r.action_id, "patient_id": patient_id, "sender_role": "provider", "body": r.body,
                "created_at": r.created_at, "local_state": r.state, "last_error": r.last_error}
               for r in store.replies_for_patient(patient_id)]
    return tuple(store.rows_for_patient("messages", patient_id)) + tuple(pending)


def patient_detail(store: LocalStore, patient_id: str, since: datetime,
                   provider_id: str | None = None) -> PatientDetailView:
    return PatientDetailView(
        patient_id=patient_id, census=census_row(store, patient_id, provider_id),
        patient=store.get("patients", patient_id) or {},
        vitals=timed(store.vitals_for_patient(patient_id, since)),
        alerts=_patient_alerts(store, patient_id, provider_id),
        messages=patient_messages(store, patient_id),
        care_plans=tuple(store.rows_for_patient("care_plans", patient_id)))


def initial_view(store: LocalStore, provider_id: str | None) -> ViewUpdate:
    """Every census row and every open alert of the clinician, for the window's first paint."""
    return ViewUpdate(census=census_rows(store, None, provider_id), alerts=alert_rows(store, provider_id))


def view_update(store: LocalStore, changes: ChangeSet, provider_id: str | None,
                selected: str | None = None) -> ViewUpdate:
    """Everything ``changes`` changes on screen: census rows of the patients touched (alerts and vitals
    map to their patient), the alert rows named, and the selected patient's new detail."""
    patients = set(changes.keys("patients")) | set(changes.keys("patient_status"))
    alert_ids = sorted(changes.keys("alerts"))
    for alert_id in alert_ids:
        row = store.get("alerts", alert_id)
        if row is not None and row.get("patient_id"):  # a tenant-wide alert has no census row
            patients.add(row["patient_id"])
    new_vitals: list[Mapping[str, Any]] = []
    for vital_id in changes["vitals"].inserted | changes["vitals"].updated:
        row = store.get("vitals", vital_id)
        if row is not None:
            patients.add(row["patient_id"])
            if row["patient_id"] == selected:
                new_vitals.append(row)
    new_vitals.sort(key=lambda r: r.get("measured_at") or "")
    notes = set()
    for table in ("messages", "care_plans"):
        for key in changes.keys(table):
            row = store.get(table, key)
            if row is not None and row.get("patient_id"):
                notes.add(row["patient_id"])
                if table == "messages":
                    patients.add(row["patient_id"])  # its unread count is in the census
    for action_id in changes.keys("replies"):
        reply = store.reply(action_id)
        if reply is not None:
            notes.add(reply.patient_id)
    alerts = alert_rows(store, provider_id, alert_ids) if alert_ids else {}
    touched = selected is not None and selected in patients
    detail_alerts = _patient_alerts(store, selected, provider_id) if touched and alert_ids else None
    noted = selected is not None and selected in notes
    return ViewUpdate(
        census=census_rows(store, sorted(patients), provider_id) if patients else {},
        alerts=alerts, new_vitals=tuple(new_vitals) if touched else (), detail_alerts=detail_alerts,
        messages=patient_messages(store, selected) if noted else None,
        care_plans=tuple(store.rows_for_patient("care_plans", selected)) if noted else None)
