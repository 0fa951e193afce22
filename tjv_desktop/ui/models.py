"""Qt item models of the census and of the alerts, updated only for the keys a change-set names.

Models hold rows keyed by id (see ``readers`` for how rows are read). ``apply(rows)`` takes
``{key: row | None}``: a known key is redrawn (``dataChanged`` on that row only), a new key is inserted,
None (or an alert that closed, in active mode) removes the row. Sorting and the name filter live in the
proxies; the default census order is worst first: highest alert priority, then NEWS2, then name.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from tjv_desktop.domain.alerts import VISUAL, Priority, marker, needs_response, worst_first
from tjv_desktop.sync.views import AlertRow, CensusRow

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = Qt.ItemDataRole.UserRole + 2

# The IEC 60601-1-8 colours of domain.alerts.VISUAL (the alarm bar's too); the asterisks carry the
# priority for those who cannot tell the colours apart.
PRIORITY_BG = {p: QColor(VISUAL[p].colour) for p in Priority}
PRIORITY_FG = {p: QColor(VISUAL[p].text_colour) for p in Priority}
STATUS_FG = {"critical": QColor("#ff6e6e"), "deteriorating": QColor("#ffd54f"), "watch": QColor("#80deea"),
             "offline": QColor("#b0b0b0")}
STALE_FG = QColor("#b0b0b0")
STALE_VITALS_SECONDS = 60 * 60  # older than this, the vitals are shown greyed with their age


def _tr(text: str) -> str:
    return QCoreApplication.translate("models", text)


def age_text(seconds: float | None) -> str:
    if seconds is None:
        return _tr("never")
    seconds = max(0, int(seconds))
    if seconds < 60:
        return _tr("{n} s").format(n=seconds)
    if seconds < 3600:
        return _tr("{n} min").format(n=seconds // 60)
    if seconds < 48 * 3600:
        return _tr("{h} h {m} min").format(h=seconds // 3600, m=(seconds % 3600) // 60)
    return _tr("{n} days").format(n=seconds // 86400)


def columns_to_drop(widths: Mapping[str, int], available: int, priority: Mapping[str, int]) -> list[str]:
    """The columns to hide so that the others fit in ``available`` pixels: the highest ``priority``
    number goes first, among equals the rightmost (the later key of ``widths``), and a column dropped on
    the way comes back if the later drops left room for it; priority 0 never goes, so the rest may still
    not fit on a very narrow table (it then scrolls rather than lose them)."""
    position = {c: i for i, c in enumerate(widths)}
    order = sorted((c for c in widths if priority[c] > 0), key=lambda c: (-priority[c], -position[c]))
    total, dropped = sum(widths.values()), []
    for column in order:
        if total <= available:
            break
        dropped.append(column)
        total -= widths[column]
    # Dropping a wide column may have made room for a narrower, more important one dropped before it.
    for column in reversed(dropped[:-1]):
        if total + widths[column] <= available:
            dropped.remove(column)
            total += widths[column]
    return dropped


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    try:
        return f"{float(value):.{digits}f}"
    except (TypeError, ValueError):
        return str(value)


class KeyedTableModel(QAbstractTableModel):
    """Rows keyed by id, in arrival order; subclasses say what each column shows."""

    COLUMNS: tuple[str, ...] = ()

    def __init__(self, parent=None, now=lambda: datetime.now(UTC)):
        super().__init__(parent)
        self._keys: list[str] = []
        self._rows: dict[str, dict] = {}
        self.now = now

    # --- updates ------------------------------------------------------------------------------------

    def keep(self, row: dict) -> bool:
        return True

    def reset(self, rows: dict[str, dict | None]) -> None:
        self.beginResetModel()
        self._keys = [k for k, r in rows.items() if r is not None and self.keep(r)]
        self._rows = {k: rows[k] for k in self._keys}
        self.endResetModel()

    def apply(self, rows: dict[str, dict | None]) -> None:
        """Redraws, inserts or removes exactly the rows named.

        Redraws are announced with ONE dataChanged spanning the updated rows: a sorting proxy re-sorts on
        every dataChanged, so one signal per row made a 200-patient vitals tick cost 200 full re-sorts
        (seconds of frozen window, measured by benchmarks/ui_frame_time.py)."""
        last = len(self.COLUMNS) - 1
        updated: list[str] = []
        for key, row in rows.items():
            present = key in self._rows
            if row is None or not self.keep(row):
                if present:
                    index = self._keys.index(key)
                    self.beginRemoveRows(QModelIndex(), index, index)
                    del self._keys[index]
                    del self._rows[key]
                    self.endRemoveRows()
            elif present:
                self._rows[key] = row
                updated.append(key)
            else:
                self.beginInsertRows(QModelIndex(), len(self._keys), len(self._keys))
                self._keys.append(key)
                self._rows[key] = row
                self.endInsertRows()
        positions = {key: i for i, key in enumerate(self._keys)}
        indices = [positions[key] for key in updated if key in positions]
        if indices:
            self.dataChanged.emit(self.index(min(indices), 0), self.index(max(indices), last))

    def refresh_column(self, column: int) -> None:
        """Redraws one column (ages grow with the clock; nothing is re-read)."""
        if self._keys:
            self.dataChanged.emit(self.index(0, column), self.index(len(self._keys) - 1, column),
                                  [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole])

    # --- reads --------------------------------------------------------------------------------------

    def row(self, key: str) -> Any | None:
        return self._rows.get(key)

    def row_at(self, index: int) -> Any:
        return self._rows[self._keys[index]]

    def key_at(self, index: int) -> str:
        return self._keys[index]

    def keys(self) -> list[str]:
        return list(self._keys)

    def rows(self) -> list[Any]:
        return [self._rows[k] for k in self._keys]

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._keys)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.column_title(section)
        return None

    def column_title(self, section: int) -> str:
        return self.COLUMNS[section]

    def age_seconds(self, moment: datetime | None) -> float | None:
        return None if moment is None else (self.now() - moment).total_seconds()

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.row_at(index.row())
        if role == KEY_ROLE:
            return self.key_at(index.row())
        return self.cell(row, self.COLUMNS[index.column()], role)

    def cell(self, row: dict, column: str, role: int) -> Any:
        raise NotImplementedError


class CensusModel(KeyedTableModel):
    """One row per assigned patient."""

    # The vitals' age comes right after NEWS2 so it is never scrolled out of sight.
    COLUMNS = ("alerts", "name", "procedure", "status", "news2", "age", "heart_rate", "spo2", "respiratory_rate",
               "temperature", "bp", "pain_score", "unread", "app")
    VITAL_COLUMNS = ("heart_rate", "spo2", "respiratory_rate", "temperature", "bp", "pain_score")
    TITLES = {"alerts": "Alarms", "name": "Patient", "procedure": "Op · POD", "status": "Status",
              "news2": "NEWS2", "heart_rate": "HR", "spo2": "SpO₂", "respiratory_rate": "RR",
              "temperature": "Temp", "bp": "BP", "pain_score": "Pain", "age": "Vitals age",
              "unread": "Unread", "app": "App"}
    # The census never scrolls sideways: when it is too narrow, columns give way by this priority, the
    # highest number first (0: never). Every column declares one (tests/gui/test_census_columns.py checks),
    # so a new column says here how much it matters. Operation and day go first (the detail header says
    # them), then pain (charted in the detail), then the status word (NEWS2 and the alarm column stay);
    # the vitals last, SpO₂ and the data's age the very last (NEWS2 weighs SpO₂ and RR most; stale
    # vitals must show). Unread messages (a patient waiting for an answer) stay with the vitals; whether
    # the patient's app is online goes with the status word. A dropped column's value stays in every
    # cell's tooltip.
    DROP_PRIORITY = {"alerts": 0, "name": 0, "news2": 0, "age": 1, "spo2": 1, "respiratory_rate": 2,
                     "heart_rate": 2, "unread": 2, "bp": 3, "temperature": 3, "status": 4, "app": 4,
                     "pain_score": 5, "procedure": 6}
    UNITS = {"heart_rate": "/min", "spo2": "%", "respiratory_rate": "/min", "temperature": "°C", "bp": "mmHg",
             "pain_score": "/10"}

    def __init__(self, parent=None, now=lambda: datetime.now(UTC)):
        super().__init__(parent, now)
        self.dropped: tuple[str, ...] = ()
        # Care team (issue 16): the patient app's presence and the colleagues online, fed by the window.
        self.app_presence: dict[str, tuple[bool | None, datetime | None]] = {}
        self.team_online: dict[str, list[str]] = {}

    def set_dropped(self, columns: tuple[str, ...]) -> None:
        """Names the columns the view hides, so that their values go into the tooltips."""
        self.dropped = tuple(c for c in self.COLUMNS if c in columns)

    def dropped_text(self, row: CensusRow) -> str:
        return "\n".join(f"{_tr(self.TITLES[c])}: {self._display(row, c)}" for c in self.dropped)

    def set_team_online(self, patient_id: str, names: list[str]) -> None:
        """The patient's other assigned clinicians online now (the name cell's tooltip)."""
        self.team_online[patient_id] = list(names)
        if patient_id in self._rows:
            row = self._keys.index(patient_id)
            column = self.COLUMNS.index("name")
            self.dataChanged.emit(self.index(row, column), self.index(row, column))

    def set_app_presence(self, patient_id: str, online: bool | None, seen: datetime | None) -> None:
        self.app_presence[patient_id] = (online, seen)
        if patient_id in self._rows:
            row = self._keys.index(patient_id)
            column = self.COLUMNS.index("app")
            self.dataChanged.emit(self.index(row, column), self.index(row, column))

    def _app(self, row: CensusRow) -> tuple[bool | None, datetime | None]:
        """Online now (presence), else the newest sign of the patient: presence or data."""
        online, seen = self.app_presence.get(row.patient_id, (None, None))
        newest = max((t for t in (seen, row.last_seen) if t is not None), default=None)
        return online, newest

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        column = self.COLUMNS[section] if 0 <= section < len(self.COLUMNS) else None
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole and column in self.UNITS:
            return f"{self.column_title(section)} ({self.UNITS[column]})"
        return super().headerData(section, orientation, role)

    def column_title(self, section: int) -> str:
        return _tr(self.TITLES[self.COLUMNS[section]])

    def sort_key(self, row: CensusRow) -> tuple:
        news2 = row.news2
        return (worst_first(row.top_priority), -(news2 if news2 is not None else -1), row.name.casefold())

    def _display(self, row: CensusRow, column: str) -> str:
        vitals = row.vitals
        if column == "alerts":
            if not row.top_priority:
                return ""
            text = f"{marker(row.top_priority)} {row.alert_count}"
            return text + (_tr(" new") if row.unanswered else "")
        if column == "name":
            return row.name
        if column == "procedure":
            side = _tr(row.side)[:1].upper() if row.side else ""
            parts = [p for p in (row.procedure, side) if p]
            text = " ".join(parts) or "–"
            return text + (_tr(" · POD {n}").format(n=row.pod) if row.pod is not None else "")
        if column == "status":
            return _tr(row.status or "unknown")
        if column == "news2":
            return _num(row.news2)
        if column == "temperature":
            return _num(vitals.get("temperature"), 1)
        if column == "bp":
            sys_bp, dia = vitals.get("systolic_bp"), vitals.get("diastolic_bp")
            return "–" if sys_bp is None else f"{_num(sys_bp)}/{_num(dia)}"
        if column == "age":
            return age_text(self.age_seconds(row.measured_at))
        if column == "unread":
            return str(row.unread) if row.unread else ""
        if column == "app":
            online, seen = self._app(row)
            if online:
                return _tr("app online")
            return _tr("last seen {age} ago").format(age=age_text(self.age_seconds(seen))) if seen else "–"
        return _num(vitals.get(column))

    def cell(self, row: CensusRow, column: str, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == SORT_ROLE:
            if column == "alerts":
                return self.sort_key(row)
            if column == "name":
                return row.name.casefold()
            if column == "news2":
                return row.news2 if row.news2 is not None else -1
            if column == "age":
                age = self.age_seconds(row.measured_at)
                return age if age is not None else float("inf")
            if column == "unread":
                return row.unread
            if column == "app":
                online, seen = self._app(row)
                age = self.age_seconds(seen)
                return -1 if online else (age if age is not None else float("inf"))
            return self._display(row, column)
        if role == Qt.ItemDataRole.BackgroundRole and column == "alerts" and row.top_priority in PRIORITY_BG:
            return QBrush(PRIORITY_BG[row.top_priority])
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == "alerts" and row.top_priority in PRIORITY_FG:
                return QBrush(PRIORITY_FG[row.top_priority])
            if column == "status" and row.status in STATUS_FG:
                return QBrush(STATUS_FG[row.status])
            age = self.age_seconds(row.measured_at)
            if column in self.VITAL_COLUMNS + ("age",) and (age is None or age > STALE_VITALS_SECONDS):
                return QBrush(STALE_FG)
        if role == Qt.ItemDataRole.FontRole and column in ("alerts", "name", "news2"):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column not in ("name", "procedure", "status"):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{self.column_title(self.COLUMNS.index(column))}: {self._display(row, column)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [self.dropped_text(row)] if self.dropped else []
            if column == "alerts" and row.top_priority:
                lines.insert(0, _tr("{n} open alerts, highest priority {p}").format(n=row.alert_count,
                                                                                   p=row.top_priority))
            if column == "name" and self.team_online.get(row.patient_id):
                lines.insert(0, _tr("Care team online: {names}").format(
                    names=", ".join(self.team_online[row.patient_id])))
            return "\n".join(lines) or None
        return None


class AlertsModel(KeyedTableModel):
    """Open alerts (``history=False``) or every alert held, open and closed (``history=True``)."""

    COLUMNS = ("priority", "patient", "message", "raised", "state")
    TITLES = {"priority": "Priority", "patient": "Patient", "message": "Alert", "raised": "Raised",
              "state": "State"}

    def __init__(self, parent=None, now=lambda: datetime.now(UTC), history: bool = False):
        super().__init__(parent, now)
        self.history = history
        # Care team (issue 16): patient -> their clinicians online now (the census model's, shared).
        self.team_online: dict[str, list[str]] = {}

    def keep(self, row: AlertRow) -> bool:
        return self.history or row.is_open

    def column_title(self, section: int) -> str:
        return _tr(self.TITLES[self.COLUMNS[section]])

    def state_text(self, row: AlertRow) -> str:
        text = _tr(row.state or "active")
        if row.pending_action_id:
            text += _tr(" (sending…)")
        return text

    def _display(self, row: AlertRow, column: str) -> str:
        if column == "priority":
            return f"{marker(row.priority)} {_tr(row.priority or '').upper()}"
        if column == "patient":  # a tenant-wide alert (a ward metric over its limit) has no patient
            return row.patient_name if row.patient_id else _tr("Whole ward")
        if column == "message":
            return row.message
        if column == "raised":
            raised = row.raised_at
            if raised is None:
                return "–"
            local = raised.astimezone()
            return _tr("{t} ({age} ago)").format(t=local.strftime("%H:%M"), age=age_text(self.age_seconds(raised)))
        if column == "state":
            return self.state_text(row)
        return ""

    def cell(self, row: AlertRow, column: str, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == SORT_ROLE:
            stamp = -row.raised_at.timestamp() if row.raised_at else 0.0
            if column == "priority":
                return (worst_first(row.priority), not row.needs_response, stamp)
            if column == "raised":
                return stamp
            return self._display(row, column)
        p = row.priority
        # Still waiting for a response (domain.alerts.needs_response): full colour and bold.
        active = needs_response(row.state)
        if role == Qt.ItemDataRole.BackgroundRole and column == "priority" and p in PRIORITY_BG:
            return QBrush(PRIORITY_BG[p] if active else PRIORITY_BG[p].darker(250))
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == "priority" and p in PRIORITY_FG:
                return QBrush(PRIORITY_FG[p] if active else QColor("#e0e0e0"))
            if not active:
                return QBrush(STALE_FG)
        if role == Qt.ItemDataRole.FontRole and active:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{self.column_title(self.COLUMNS.index(column))}: {self._display(row, column)}"
        if role == Qt.ItemDataRole.ToolTipRole and column == "patient" and row.row.get("patient_id"):
            # Escalated or not, whether the patient's other clinicians (the alert's first recipients when
            # it reached this station by escalation) are online now.
            names = self.team_online.get(row.patient_id)
            if names:
                return _tr("Care team online: {names}").format(names=", ".join(names))
            return _tr("None of this patient's other clinicians is online")
        return None


class KeyedProxy(QSortFilterProxyModel):
    """Sorts by SORT_ROLE (tuples compare) and filters on one column's text, case-insensitively."""

    def __init__(self, source: KeyedTableModel, filter_column: int, sort_column: int, parent=None):
        super().__init__(parent)
        self.setSourceModel(source)
        self.setSortRole(SORT_ROLE)
        self.setDynamicSortFilter(True)
        self.setFilterKeyColumn(filter_column)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.sort(sort_column, Qt.SortOrder.AscendingOrder)

    def lessThan(self, left, right) -> bool:
        a, b = left.data(SORT_ROLE), right.data(SORT_ROLE)
        try:
            return a < b
        except TypeError:
            return str(a) < str(b)

    def key_at(self, row: int) -> str | None:
        index = self.index(row, 0)
        return index.data(KEY_ROLE) if index.isValid() else None

    def row_of(self, key: str) -> int | None:
        source: KeyedTableModel = self.sourceModel()
        if source.row(key) is None:
            return None
        return self.mapFromSource(source.index(source.keys().index(key), 0)).row()


def census_proxy(model: CensusModel, parent=None) -> KeyedProxy:
    return KeyedProxy(model, CensusModel.COLUMNS.index("name"), CensusModel.COLUMNS.index("alerts"), parent)


def alerts_proxy(model: AlertsModel, parent=None) -> KeyedProxy:
    return KeyedProxy(model, AlertsModel.COLUMNS.index("patient"), AlertsModel.COLUMNS.index("priority"), parent)
