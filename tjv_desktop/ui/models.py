"""Qt item models of the census and of the alerts, updated only for the keys a change-set names.

Models hold rows keyed by id (``sync/read_side.py`` computes them; ``keyed_model`` holds their cells).
``apply(rows)`` takes ``{key: row | None}``: a known key's changed cells are redrawn (``dataChanged`` on
that row only), a new key is inserted, None (or an alert that closed, in active mode) removes the row.
Sorting and the name filter live in the proxies; the default census order is worst first: highest alert
priority, then NEWS2, then name. Cells are computed when their row changes; what follows the clock (ages,
stale vitals) is re-computed by ``refresh_timed``/``refresh_column`` once a second.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from tjv_desktop.domain.alerts import VISUAL, Priority, marker, needs_response, worst_first
from tjv_desktop.sync.views import AlertRow, CensusRow

from .keyed_model import KEY_ROLE, SORT_ROLE, Cell, KeyedProxy, KeyedTableModel, sort_text

__all__ = ["KEY_ROLE", "SORT_ROLE", "AlertsModel", "CensusModel", "KeyedProxy", "age_text", "alerts_proxy",
           "census_proxy", "columns_to_drop"]

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


DISPLAY, SORT, TOOLTIP = Qt.ItemDataRole.DisplayRole, SORT_ROLE, Qt.ItemDataRole.ToolTipRole
FOREGROUND, BACKGROUND = Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.BackgroundRole
FONT, ALIGN, ACCESSIBLE = Qt.ItemDataRole.FontRole, Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.AccessibleTextRole


def _bold() -> QFont:
    font = QFont()
    font.setBold(True)
    return font


def _brushes(colours: Mapping[str, QColor]) -> dict[str, QBrush]:
    return {k: QBrush(c) for k, c in colours.items()}


PRIORITY_BG_BRUSH, PRIORITY_FG_BRUSH = _brushes(PRIORITY_BG), _brushes(PRIORITY_FG)
DIM_PRIORITY_BG_BRUSH = {p: QBrush(c.darker(250)) for p, c in PRIORITY_BG.items()}
STATUS_FG_BRUSH = _brushes(STATUS_FG)
STALE_BRUSH, ACKNOWLEDGED_PRIORITY_FG = QBrush(STALE_FG), QBrush(QColor("#e0e0e0"))


class TeamOnline(dict):
    """Patient id -> their other clinicians online now, shared by the census (name tooltips) and the
    alerts models (patient tooltips); ``set`` tells each model that shows it."""

    def __init__(self) -> None:
        super().__init__()
        self._listeners: list[weakref.WeakMethod] = []

    def listen(self, method) -> None:
        self._listeners.append(weakref.WeakMethod(method))

    def set(self, patient_id: str, names: list[str]) -> None:
        self[patient_id] = list(names)
        for ref in list(self._listeners):
            method = ref()
            if method is None:
                self._listeners.remove(ref)
            else:
                method(patient_id)


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
    # Which columns show which field of a CensusRow (a change re-computes only those; the alarm column
    # sorts by NEWS2 and name too).
    SHOWN_IN = {"top_priority": ("alerts",), "alert_count": ("alerts",), "unanswered": ("alerts",),
                "news2": ("alerts", "news2"), "name": ("alerts", "name"), "procedure": ("procedure",),
                "side": ("procedure",), "pod": ("procedure",), "status": ("status",), "vitals": VITAL_COLUMNS,
                "measured_at": ("age", *VITAL_COLUMNS), "unread": ("unread",), "last_seen": ("app",),
                "app_online": ("app",), "patient_id": COLUMNS}
    BOLD = ("alerts", "name", "news2")
    LEFT = ("name", "procedure", "status")

    def __init__(self, parent=None, now=lambda: datetime.now(UTC)):
        super().__init__(parent, now)
        self.dropped: tuple[str, ...] = ()
        # Care team (issue 16): the patient app's presence and the colleagues online, fed by the window.
        self.app_presence: dict[str, tuple[bool | None, datetime | None]] = {}
        self.team_online = TeamOnline()
        self._stale: dict[str, bool] = {}
        self._bold = _bold()

    def set_dropped(self, columns: tuple[str, ...]) -> None:
        """Names the columns the view hides, so that their values go into the tooltips."""
        self.dropped = tuple(c for c in self.COLUMNS if c in columns)
        self._refresh_tips(self._keys)

    def dropped_text(self, row: CensusRow) -> str:
        return "\n".join(f"{_tr(self.TITLES[c])}: {self._display(row, c)}" for c in self.dropped)

    def set_team_online(self, patient_id: str, names: list[str]) -> None:
        """The patient's other assigned clinicians online now (the name cell's tooltip)."""
        self.team_online.set(patient_id, names)
        self._refresh_tips([patient_id])

    def set_app_presence(self, patient_id: str, online: bool | None, seen: datetime | None) -> None:
        self.app_presence[patient_id] = (online, seen)
        self.refresh_columns([self.COLUMNS.index("app")], [patient_id])
        if "app" in self.dropped:
            self._refresh_tips([patient_id])

    def refresh_timed(self, keys: list[str] | None = None) -> None:
        """What follows the clock: the vitals' age, the app's "last seen" (of the rows ``keys``, else all:
        the window passes the rows on screen, their sort keys do not follow the clock), and vitals turning
        stale (grey, every row: a colour can matter off screen too, and the check is cheap)."""
        self.prepare()
        turned = [k for k, row in self._rows.items() if self._is_stale(row) != self._stale.get(k)]
        self.refresh_columns([self.COLUMNS.index("age"), self.COLUMNS.index("app")], keys)
        if turned:
            self.refresh_columns([self.COLUMNS.index(c) for c in self.VITAL_COLUMNS], turned)
        if "age" in self.dropped or "app" in self.dropped:
            self._refresh_tips(self._keys if keys is None else keys)  # their values are in every cell's tooltip

    def apply(self, rows: dict[str, CensusRow | None]) -> None:
        # Tooltips carry the dropped columns' values and the alarm cell's open alerts.
        tipped = {self.COLUMNS.index(c) for c in ("alerts", *self.dropped)}
        retip = [k for k, row in rows.items() if row is not None and k in self._rows
                 and tipped.intersection(self.changed_columns(self._rows[k], row))]
        super().apply(rows)
        self._refresh_tips(retip)

    def _refresh_tips(self, keys) -> None:
        """Re-sets the tooltips alone (a dropped column's value changed, or which columns are dropped)."""
        if keys:
            self.prepare()
            self.merge_roles({k: {c: {TOOLTIP: tip} for c, tip in enumerate(self.tooltips(self._rows[k]))}
                              for k in keys if k in self._rows})

    def prepare(self) -> None:
        super().prepare()
        self._titles = [self.column_title(i) for i in range(len(self.COLUMNS))]

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

    def sort_key(self, row: CensusRow) -> str:
        news2 = row.news2
        return sort_text(worst_first(row.top_priority), -(news2 if news2 is not None else -1), row.name.casefold())

    def changed_columns(self, old: CensusRow, new: CensusRow) -> list[int]:
        columns = {c for name, shown in self.SHOWN_IN.items() if getattr(old, name) != getattr(new, name)
                   for c in shown}
        return [i for i, c in enumerate(self.COLUMNS) if c in columns]

    def _is_stale(self, row: CensusRow) -> bool:
        age = self.age_seconds(row.measured_at)
        return age is None or age > STALE_VITALS_SECONDS

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

    def _sort(self, row: CensusRow, column: str, text: str) -> Any:
        if column == "alerts":
            return self.sort_key(row)
        if column == "name":
            return row.name.casefold()
        if column == "news2":
            return float(row.news2) if row.news2 is not None else -1.0
        # Ages sort by the moment, newest first: the order of ages never changes with the clock, so the
        # clock's refresh re-sets only the text, and only of the rows on screen.
        if column == "age":
            return -row.measured_at.timestamp() if row.measured_at is not None else float("inf")
        if column == "unread":
            return float(row.unread)
        if column == "app":
            online, seen = self._app(row)
            return float("-inf") if online else (-seen.timestamp() if seen is not None else float("inf"))
        return text

    def static_cell(self, column: int) -> Cell:
        name = self.COLUMNS[column]
        cell: Cell = {} if name in self.LEFT else {ALIGN: int(Qt.AlignmentFlag.AlignCenter)}
        if name in self.BOLD:
            cell[FONT] = self._bold
        return cell

    def cells(self, row: CensusRow, columns) -> list[Cell]:
        stale = self._is_stale(row)
        self._stale[row.patient_id] = stale
        out = []
        for index in columns:
            column = self.COLUMNS[index]
            text = self._display(row, column)
            cell: Cell = {DISPLAY: text, SORT: self._sort(row, column, text),
                          ACCESSIBLE: f"{self._titles[index]}: {text}", BACKGROUND: None, FOREGROUND: None}
            if column == "alerts" and row.top_priority in PRIORITY_BG_BRUSH:
                cell[BACKGROUND] = PRIORITY_BG_BRUSH[row.top_priority]
                cell[FOREGROUND] = PRIORITY_FG_BRUSH.get(row.top_priority)
            elif column == "status" and row.status in STATUS_FG_BRUSH:
                cell[FOREGROUND] = STATUS_FG_BRUSH[row.status]
            elif stale and (column == "age" or column in self.VITAL_COLUMNS):
                cell[FOREGROUND] = STALE_BRUSH
            out.append(cell)
        return out

    def extra_cells(self, row: CensusRow) -> list[Cell]:
        return [{TOOLTIP: tip} for tip in self.tooltips(row)]

    def tooltips(self, row: CensusRow) -> list[str | None]:
        """Each cell's tooltip: the dropped columns' values, and for the alarm and name cells what they
        abbreviate (open alerts, the care team online)."""
        shared = self.dropped_text(row) if self.dropped else ""
        tips: list[str | None] = [shared or None] * len(self.COLUMNS)
        if row.top_priority:
            first = _tr("{n} open alerts, highest priority {p}").format(n=row.alert_count, p=row.top_priority)
            tips[self.COLUMNS.index("alerts")] = "\n".join(t for t in (first, shared) if t)
        team = self.team_online.get(row.patient_id)
        if team:
            first = _tr("Care team online: {names}").format(names=", ".join(team))
            tips[self.COLUMNS.index("name")] = "\n".join(t for t in (first, shared) if t)
        return tips


class AlertsModel(KeyedTableModel):
    """Open alerts (``history=False``) or every alert held, open and closed (``history=True``)."""

    COLUMNS = ("priority", "patient", "message", "raised", "state")
    TITLES = {"priority": "Priority", "patient": "Patient", "message": "Alert", "raised": "Raised",
              "state": "State"}

    def __init__(self, parent=None, now=lambda: datetime.now(UTC), history: bool = False):
        super().__init__(parent, now)
        self.history = history
        self._team_online: Mapping[str, list[str]] = {}
        self._bold = _bold()

    @property
    def team_online(self) -> Mapping[str, list[str]]:
        """Care team (issue 16): patient -> their clinicians online now (the census model's, shared)."""
        return self._team_online

    @team_online.setter
    def team_online(self, team: Mapping[str, list[str]]) -> None:
        self._team_online = team
        if isinstance(team, TeamOnline):
            team.listen(self.refresh_team)
        self.refresh_team()

    def keep(self, row: AlertRow) -> bool:
        return self.history or row.is_open

    def column_title(self, section: int) -> str:
        return _tr(self.TITLES[self.COLUMNS[section]])

    def state_text(self, row: AlertRow) -> str:
        text = _tr(row.state or "active")
        if row.pending_action_id:
            text += _tr(" (sending…)")
        return text

    def prepare(self) -> None:
        super().prepare()
        self._titles = [self.column_title(i) for i in range(len(self.COLUMNS))]

    def refresh_team(self, patient_id: str | None = None) -> None:
        """The clinicians online changed, for ``patient_id`` or all: the patient cells' tooltips."""
        keys = None if patient_id is None else [k for k, r in self._rows.items() if r.patient_id == patient_id]
        self.refresh_columns([self.COLUMNS.index("patient")], keys)

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

    def cells(self, row: AlertRow, columns) -> list[Cell]:
        stamp = -row.raised_at.timestamp() if row.raised_at else 0.0
        p = row.priority
        # Still waiting for a response (domain.alerts.needs_response): full colour and bold.
        active = needs_response(row.state)
        out = []
        for index in columns:
            column = self.COLUMNS[index]
            text = self._display(row, column)
            if column == "priority":
                sort: Any = sort_text(worst_first(p), not row.needs_response, stamp)
            elif column == "raised":
                sort = stamp
            else:
                sort = text
            cell: Cell = {DISPLAY: text, SORT: sort, ACCESSIBLE: f"{self._titles[index]}: {text}",
                          BACKGROUND: None, FOREGROUND: None, FONT: None, TOOLTIP: None}
            if column == "priority" and p in PRIORITY_BG_BRUSH:
                cell[BACKGROUND] = PRIORITY_BG_BRUSH[p] if active else DIM_PRIORITY_BG_BRUSH[p]
                cell[FOREGROUND] = PRIORITY_FG_BRUSH[p] if active else ACKNOWLEDGED_PRIORITY_FG
            elif not active:
                cell[FOREGROUND] = STALE_BRUSH
            if active:
                cell[FONT] = self._bold
            if column == "patient" and row.row.get("patient_id"):
                # Escalated or not, whether the patient's other clinicians (the alert's first recipients
                # when it reached this station by escalation) are online now.
                names = self.team_online.get(row.patient_id)
                cell[TOOLTIP] = (_tr("Care team online: {names}").format(names=", ".join(names)) if names
                                 else _tr("None of this patient's other clinicians is online"))
            out.append(cell)
        return out


def census_proxy(model: CensusModel, parent=None) -> KeyedProxy:
    return KeyedProxy(model, CensusModel.COLUMNS.index("name"), CensusModel.COLUMNS.index("alerts"), parent)


def alerts_proxy(model: AlertsModel, parent=None) -> KeyedProxy:
    return KeyedProxy(model, AlertsModel.COLUMNS.index("patient"), AlertsModel.COLUMNS.index("priority"), parent)
