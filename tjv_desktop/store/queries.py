"""What the UI and the sync engine read from the store.

Rows come back as the server rows they were stored from (decrypted payload). Alerts carry three local
fields on top: ``state`` (shown state, the command's while one is pending), ``server_state`` and
``pending_action_id`` (None when nothing is pending).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..domain.alerts import CLOSED, PRIORITIES, worst_first
from .instants import canonical, from_canonical, parse_instant
from .schema import TABLES


@dataclass(frozen=True)
class PatientEntry:
    patient_id: str
    patient: dict | None  # the patients row: names, MRN, procedure…
    status: dict | None  # the patient_status row


@dataclass(frozen=True)
class AlertPage:
    alerts: list[dict]
    next_before: tuple[str, str] | None  # pass as ``before`` for the next, older page; None at the end


@dataclass(frozen=True)
class DataAge:
    """How fresh the local copy is: newest server ``updated_at`` held, and when data last arrived."""

    newest_update: datetime | None
    last_received: datetime | None

    def age(self, now: datetime) -> timedelta | None:
        """Time since data last arrived from the server (None: never)."""
        at = self.last_received or self.newest_update
        return parse_instant(now) - at if at is not None else None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str | None
    action: str
    entity: str | None
    entity_id: str | None
    details: dict | None


_ALERTS = TABLES["alerts"]
_STATE_INDEX = [c.name for c in _ALERTS.columns].index("state")
_ALERT_COLUMNS = "id, state, pending_action_id, payload"
# Worst first, unknown priorities last: the domain's one rank, as SQL.
_PRIORITY_ORDER = (
    "CASE lower(priority) "
    + " ".join(f"WHEN '{p.value}' THEN {worst_first(p)}" for p in PRIORITIES)
    + " ELSE 0 END"
)
_OPEN = f"coalesce(state, '') NOT IN ({', '.join(repr(s.value) for s in CLOSED)})"


class QueriesMixin:
    """The read half of LocalStore (see store.py for the shared helpers it uses)."""

    def get(self, table: str, key: Any) -> dict | None:
        """One stored row by primary key, or None."""
        spec = self._spec(table)
        key = self._key(spec, {spec.pk: key})
        if spec.name == "alerts":
            row = self._execute(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE id = ?", [key]).fetchone()
            return self._alert(row) if row else None
        row = self._execute(f"SELECT payload FROM {spec.name} WHERE {spec.pk} = ?", [key]).fetchone()
        return self._decrypt(spec.name, key, row[0]) if row else None

    def _alert(self, row: tuple) -> dict:
        alert_id, state, pending, payload = row
        alert = self._decrypt("alerts", alert_id, payload)
        server_state = self._clear_values(_ALERTS, alert)[_STATE_INDEX] if pending else state
        alert.update(state=state, server_state=server_state, pending_action_id=pending)
        return alert

    def _alerts(self, where: str, params: Iterable[Any], order: str, limit: int | None = None) -> list[dict]:
        sql = f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [self._alert(r) for r in self._execute(sql, params).fetchall()]

    def alerts_for_provider(self, provider_id: str) -> list[dict]:
        """Every stored alert routed to the provider, open or closed."""
        return self._alerts("provider_id = ?", [provider_id], "raised_at, id")

    def active_alerts(self, provider_id: str | None = None) -> list[dict]:
        """Alerts not yet closed, highest priority first, then newest first."""
        where, params = _OPEN, []
        if provider_id is not None:
            where += " AND provider_id = ?"
            params.append(provider_id)
        return self._alerts(where, params, f"{_PRIORITY_ORDER}, raised_at DESC, id")

    def alerts_for_patient(self, patient_id: str) -> list[dict]:
        """Every stored alert of a patient, newest first."""
        return self._alerts("patient_id = ?", [patient_id], "raised_at DESC, id DESC")

    def alert_history(
        self, *, limit: int = 50, before: tuple[str, str] | None = None, patient_id: str | None = None
    ) -> AlertPage:
        """All alerts, open and closed, newest first, a page at a time (keyset paging)."""
        clauses, params = ["1"], []
        if before is not None:
            clauses.append("(raised_at, id) < (?, ?)")
            params += list(before)
        if patient_id is not None:
            clauses.append("patient_id = ?")
            params.append(patient_id)
        where = " AND ".join(clauses)
        rows = self._execute(
            f"SELECT {_ALERT_COLUMNS}, raised_at FROM alerts WHERE {where} "
            f"ORDER BY raised_at DESC, id DESC LIMIT {int(limit) + 1}",
            params,
        ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        alerts = [self._alert(r[:4]) for r in rows]
        return AlertPage(alerts, (rows[-1][4], rows[-1][0]) if more and rows else None)

    def patient_list(self) -> list[PatientEntry]:
        """Every patient held, with the latest status, in patient id order."""
        patients = {
            key: self._decrypt("patients", key, blob)
            for key, blob in self._execute("SELECT id, payload FROM patients").fetchall()
        }
        statuses = {
            key: self._decrypt("patient_status", key, blob)
            for key, blob in self._execute("SELECT patient_id, payload FROM patient_status").fetchall()
        }
        return [
            PatientEntry(pid, patients.get(pid), statuses.get(pid))
            for pid in sorted(patients.keys() | statuses.keys())
        ]

    def vitals_for_patient(
        self, patient_id: str, since: datetime | str, until: datetime | str | None = None
    ) -> list[dict]:
        """A patient's vitals measured in [since, until], oldest first."""
        sql = "SELECT id, payload FROM vitals WHERE patient_id = ? AND measured_at >= ?"
        params: list[Any] = [patient_id, canonical(since)]
        if until is not None:
            sql += " AND measured_at <= ?"
            params.append(canonical(until))
        rows = self._execute(sql + " ORDER BY measured_at, id", params).fetchall()
        return [self._decrypt("vitals", key, blob) for key, blob in rows]

    def latest_vitals(self, patient_ids: Iterable[str] | None = None) -> dict[str, dict]:
        """The most recent vital sample per patient (all patients, or those named)."""
        if patient_ids is None:
            # SQLite takes the bare columns of a max() aggregate from the row holding the max.
            rows = self._execute(
                "SELECT patient_id, id, payload, max(measured_at) FROM vitals GROUP BY patient_id"
            ).fetchall()
        else:
            rows = []
            for pid in patient_ids:
                row = self._execute(
                    "SELECT patient_id, id, payload FROM vitals WHERE patient_id = ? "
                    "ORDER BY measured_at DESC LIMIT 1",
                    [pid],
                ).fetchone()
                if row:
                    rows.append(row)
        return {r[0]: self._decrypt("vitals", r[1], r[2]) for r in rows}

    def rows_for_patient(self, table: str, patient_id: str) -> list[dict]:
        """A patient's messages or care plans, oldest first."""
        spec = self._spec(table)
        if "patient_id" not in {c.name for c in spec.columns}:
            raise ValueError(f"{spec.name} rows are not kept per patient")
        rows = self._execute(
            f"SELECT {spec.pk}, payload FROM {spec.name} WHERE patient_id = ? ORDER BY updated_at, {spec.pk}",
            [patient_id],
        ).fetchall()
        return [self._decrypt(spec.name, key, blob) for key, blob in rows]

    def data_age(self) -> DataAge:
        meta = dict(
            self._execute(
                "SELECT name, value FROM meta WHERE name IN ('newest_update', 'last_received')"
            ).fetchall()
        )
        return DataAge(from_canonical(meta.get("newest_update")), from_canonical(meta.get("last_received")))

    def audit_trail(self, *, entity_id: str | None = None, limit: int = 100) -> list[AuditEntry]:
        """Local audit entries, newest first."""
        sql = "SELECT id, at, actor, action, entity, entity_id, details FROM audit"
        params: list[Any] = []
        if entity_id is not None:
            sql += " WHERE entity_id = ?"
            params.append(entity_id)
        rows = self._execute(sql + f" ORDER BY id DESC LIMIT {int(limit)}", params).fetchall()
        return [
            AuditEntry(
                r[0],
                from_canonical(r[1]),
                r[2],
                r[3],
                r[4],
                r[5],
                self._decrypt("audit", r[0], r[6]) if r[6] else None,
            )
            for r in rows
        ]
