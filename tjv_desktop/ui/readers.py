"""What the views read from the store, as plain functions run on the store's thread (``worker.call``).

No Qt here: each function takes the LocalStore first and returns plain rows the item models show.
``affected`` turns a ChangeSet into the patient and alert keys whose rows must be re-read, so a view
refreshes only those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from tjv_desktop.store import ChangeSet, LocalStore
from tjv_desktop.store.instants import parse_instant
from tjv_desktop.store.schema import CLOSED_ALERT_STATES, PRIORITY_RANK

VITAL_FIELDS = ("heart_rate", "spo2", "respiratory_rate", "temperature", "systolic_bp", "diastolic_bp",
                "pain_score")


@dataclass(frozen=True)
class Affected:
    patients: frozenset = frozenset()
    alerts: frozenset = frozenset()
    vitals_by_patient: dict = field(default_factory=dict)  # patient id -> [vital rows] inserted/updated
    notes: frozenset = frozenset()  # patients whose messages or care plans changed


def is_open(alert: dict) -> bool:
    return (alert.get("state") or "") not in CLOSED_ALERT_STATES


def instant(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        return parse_instant(value)
    except Exception:  # noqa: BLE001 - a malformed timestamp is shown as unknown, not fatal
        return None


def timed(rows: list[dict]) -> list[tuple[float, dict]]:
    """(epoch seconds, row) for each vital row with a readable ``measured_at``."""
    out = []
    for row in rows:
        moment = instant(row.get("measured_at"))
        if moment is not None:
            out.append((moment.timestamp(), row))
    return out


def post_operative_day(patient: dict | None, today: date | None = None) -> int | None:
    surgery = (patient or {}).get("surgery_date")
    if not surgery:
        return None
    try:
        day = date.fromisoformat(str(surgery)[:10])
    except ValueError:
        return None
    return ((today or datetime.now(UTC).date()) - day).days


def affected(store: LocalStore, changes: ChangeSet) -> Affected:
    """The patients and alerts a change-set touches (vitals and alerts are mapped to their patient)."""
    patients = set(changes.keys("patients")) | set(changes.keys("patient_status"))
    alerts = set(changes.keys("alerts"))
    for alert_id in alerts:
        row = store.get("alerts", alert_id)
        if row is not None:
            patients.add(row["patient_id"])
    vitals: dict[str, list[dict]] = {}
    for vital_id in changes["vitals"].inserted | changes["vitals"].updated:
        row = store.get("vitals", vital_id)
        if row is not None:
            vitals.setdefault(row["patient_id"], []).append(row)
            patients.add(row["patient_id"])
    for rows in vitals.values():
        rows.sort(key=lambda r: r.get("measured_at") or "")
    notes = set()
    for table in ("messages", "care_plans"):
        for key in changes.keys(table):
            row = store.get(table, key)
            if row is not None and row.get("patient_id"):
                notes.add(row["patient_id"])
    return Affected(frozenset(patients), frozenset(alerts), vitals, frozenset(notes))


def census_row(store: LocalStore, patient_id: str, provider_id: str | None = None) -> dict | None:
    """One census row, or None when the store holds nothing about the patient."""
    patient = store.get("patients", patient_id)
    status = store.get("patient_status", patient_id)
    if patient is None and status is None:
        return None
    latest = store.latest_vitals([patient_id]).get(patient_id)
    open_alerts = [a for a in store.alerts_for_patient(patient_id)
                   if is_open(a) and (provider_id is None or a.get("provider_id") == provider_id)]
    unanswered = [a for a in open_alerts if a.get("state") == "active"]
    top = min((a["priority"] for a in open_alerts if a.get("priority") in PRIORITY_RANK),
              key=PRIORITY_RANK.__getitem__, default=None)
    patient = patient or {}
    return {
        "patient_id": patient_id,
        "name": patient.get("full_name") or patient_id[:8],
        "procedure": patient.get("procedure"),
        "side": patient.get("side"),
        "pod": post_operative_day(patient),
        "status": (status or {}).get("status"),
        "news2": (status or {}).get("news2_score"),
        "vitals": {k: latest.get(k) for k in VITAL_FIELDS} if latest else {},
        "measured_at": instant(latest.get("measured_at")) if latest else None,
        "alert_count": len(open_alerts),
        "unanswered": len(unanswered),
        "top_priority": top,
    }


def census_rows(store: LocalStore, patient_ids=None, provider_id: str | None = None) -> dict[str, dict | None]:
    """Census rows by patient id: all patients held, or those named (None for one no longer held)."""
    if patient_ids is None:
        patient_ids = [entry.patient_id for entry in store.patient_list()]
    return {pid: census_row(store, pid, provider_id) for pid in patient_ids}


def _named(store: LocalStore, alert: dict, names: dict[str, str]) -> dict:
    pid = alert.get("patient_id")
    if pid not in names:
        patient = store.get("patients", pid) or {}
        names[pid] = patient.get("full_name") or str(pid)[:8]
    return {**alert, "patient_name": names[pid]}


def alert_rows(store: LocalStore, alert_ids=None, provider_id: str | None = None) -> dict[str, dict | None]:
    """Alert rows (with ``patient_name``) by id: every open alert, or those named (None: not held)."""
    names: dict[str, str] = {}
    if alert_ids is None:
        return {a["id"]: _named(store, a, names) for a in store.active_alerts(provider_id)}
    rows: dict[str, dict | None] = {}
    for alert_id in alert_ids:
        row = store.get("alerts", alert_id)
        rows[alert_id] = _named(store, row, names) if row is not None else None
    return rows


def alert_history(store: LocalStore, limit: int = 200) -> dict[str, dict]:
    names: dict[str, str] = {}
    return {a["id"]: _named(store, a, names) for a in store.alert_history(limit=limit).alerts}


def patient_detail(store: LocalStore, patient_id: str, since: datetime) -> dict:
    """Everything the detail pane shows for one patient. Vitals come as (measured at in epoch seconds,
    row), parsed here on the store's thread rather than on the window's."""
    return {
        "census": census_row(store, patient_id),
        "patient": store.get("patients", patient_id) or {},
        "vitals": timed(store.vitals_for_patient(patient_id, since)),
        "alerts": store.alerts_for_patient(patient_id),
        "messages": store.rows_for_patient("messages", patient_id),
        "care_plans": store.rows_for_patient("care_plans", patient_id),
    }
