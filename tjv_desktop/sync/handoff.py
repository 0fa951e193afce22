"""The handoff report's content, read from the store on its thread: the clinician's panel sorted by
acuity, each patient's open alerts, NEWS2 over the shift, the latest vitals with their time, unread
messages. Plain records; the window lays them out and prints them (``ui/handoff_report.py``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tjv_desktop.domain.alerts import is_open, worst_first
from tjv_desktop.domain.news2 import score_news2
from tjv_desktop.domain.vitals import VitalSample
from tjv_desktop.store import LocalStore

from . import read_side
from .views import AlertRow, CensusRow


@dataclass(frozen=True, slots=True)
class HandoffPatient:
    census: CensusRow
    patient: Mapping[str, Any]
    alerts: tuple[AlertRow, ...]
    news2_trend: tuple[tuple[datetime, int], ...]  # (measured at, NEWS2 of that set), oldest first
    unread: tuple[Mapping[str, Any], ...]  # the patient's messages not yet read, oldest first


def _sample(patient_id: str, moment: datetime, row: Mapping[str, Any]) -> VitalSample:
    fields = {k: row.get(k) for k in ("heart_rate", "spo2", "respiratory_rate", "temperature", "systolic_bp",
                                      "diastolic_bp", "pain_score")}
    return VitalSample(patient_id, moment, consciousness=row.get("consciousness") or "A",
                       on_oxygen=bool(row.get("on_oxygen")), **fields)


def acuity(row: CensusRow) -> tuple:
    """Worst first: the highest open alert priority, then NEWS2, then the name (the census's own order)."""
    news2 = row.news2 if row.news2 is not None else -1
    return worst_first(row.top_priority), -news2, row.name.casefold()


def handoff_patients(store: LocalStore, provider_id: str | None, shift_start: datetime) -> list[HandoffPatient]:
    rows = [r for r in read_side.census_rows(store, None, provider_id).values() if r is not None]
    out = []
    for row in sorted(rows, key=acuity):
        trend = []
        for moment, vital in read_side.timed(store.vitals_for_patient(row.patient_id, shift_start)):
            when = datetime.fromtimestamp(moment, tz=shift_start.tzinfo)
            trend.append((when, score_news2(_sample(row.patient_id, when, vital)).aggregate))
        alerts = tuple(read_side.alert_row(a, row.name) for a in store.alerts_for_patient(row.patient_id)
                       if is_open(a.get("state")) and (provider_id is None or a.get("provider_id") == provider_id))
        unread = tuple(m for m in store.rows_for_patient("messages", row.patient_id)
                       if m.get("sender_role") == "patient" and not m.get("read_at"))
        out.append(HandoffPatient(row, store.get("patients", row.patient_id) or {}, alerts, tuple(trend), unread))
    return out
