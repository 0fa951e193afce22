"""The monitoring window: alarm bar on top, census, active alerts with their commands, patient detail,
and a status bar saying how connected and how old the data is.

The window never touches the store: it asks the sync engine for typed view records (the read side,
``sync/read_side.py``), and only when a change-set names something: ``changes_applied`` queues the
change-set; one task merges what queued, asks for the view update it implies (one call on the store's
thread) and applies it to the models. Commands and the audit trail go through the engine; what is
allowed in which state comes from ``domain.alerts``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QCoreApplication, QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from tjv_desktop.backend.auth import SignInError
from tjv_desktop.domain.alarms import AlarmSystem
from tjv_desktop.domain.alerts import REJECT_REASONS as REASONS_BY_CODE
from tjv_desktop.domain.alerts import Command, needs_response
from tjv_desktop.domain.changes import ChangeSet
from tjv_desktop.domain.events import ChangesApplied, LinkState, LinkStateChanged, PatientShown, StationEvents
from tjv_desktop.sync.views import AlertRow, PatientDetailView, ViewUpdate
from tjv_desktop.tasks import cancel_and_wait

from .alarm_bar import AlarmBar
from .docks import SideDocks
from .health_panel import HealthLauncher, HealthPanel
from .lock_screen import IdleWatcher, LockScreen
from .models import AlertsModel, CensusModel, age_text, alerts_proxy, census_proxy
from .patient_detail import PatientDetail
from .tables import AlarmColourDelegate, AlertsView, ColumnDropper, OnScreenRows, make_table
from .theme import NIGHT, STANDARD, Theme, apply_theme, restyle

log = logging.getLogger(__name__)

# The dialog's choices, in English (domain.alerts: preset reasons only, never free text).
REJECT_REASONS = tuple(REASONS_BY_CODE.values())


# Fitting a column to its contents measures this many rows (visible ones first), not all of them:
# measuring 200 census rows took a quarter of a second when an alert burst changed the row count.
RESIZE_PRECISION_ROWS = 60
DETAIL_DEBOUNCE_MS = 120
CENSUS_SLICE_ROWS = 20  # census rows applied per event-loop iteration (1-3 ms on the 2-core machine)
# How long stop() waits for audit entries still being written (the store thread answers in ms).
AUDIT_FLUSH_SECONDS = 2.0
# The active-alerts list is as tall as its rows (between these), the census takes the rest.
ALERT_ROWS_SHOWN = (2, 8)
NIGHT_SHORTCUT = "Ctrl+Shift+N"


def _tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


class MainWindow(SideDocks, QMainWindow):
    """``engine`` is the SyncEngine (commands, audit, view records); ``events`` the station's events, on
    which the window hears changes and the link state and says which patient it shows; ``actor`` is
    recorded with commands.

    After ``idle_lock_seconds`` without input the window locks (patient views hidden, alarm bar kept);
    ``verify_password(password)`` unlocks it when it returns True, or "offline" when the password was
    checked on this workstation because the server could not be reached (None: nothing can unlock
    but switching user)."""

    switch_user_requested = Signal()
    closed = Signal()  # the user closed the window: the application quits
    theme_did_change = Signal(str)  # the user switched the night view: "night" or "standard"

    def __init__(self, engine, events: StationEvents, actor: str, *, user_label: str = "",
                 store_note: str = "", now=lambda: datetime.now(UTC), clock=time.monotonic,
                 idle_lock_seconds: float = 600.0,
                 verify_password: Callable[[str], Awaitable[bool | str]] | None = None,
                 alarm_system: AlarmSystem | None = None):
        super().__init__()
        self.engine, self.events, self.actor = engine, events, actor
        self.now, self.clock = now, clock
        self.link_state = LinkState.CONNECTING
        self.lost_since: float | None = clock()
        self.link_reason = ""
        self.last_data_at: datetime | None = None
        self.store_note = store_note
        self.selected_patient: str | None = None
        self._pending: ChangeSet = ChangeSet()
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self._pump_task: asyncio.Task | None = None
        self._stopped = False
        self._audits: set[asyncio.Task] = set()  # audit writes still on their way to the store
        self.setWindowTitle(_tr("TJV Desktop — patient monitoring") + (f" — {user_label}" if user_label else ""))

        central = QWidget(self)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(6, 6, 6, 0)
        self.alarm_bar = AlarmBar(alarm_system or AlarmSystem(), clock=clock, parent=central)
        self.alarm_bar.alarm_events_did_occur.connect(self._audit_alarm_events)
        outer.addWidget(self.alarm_bar)

        # Census
        self.census_model = CensusModel(self, now=now)
        self.census_proxy = census_proxy(self.census_model, self)
        self.census_view = make_table(QTableView(central), _tr("Patient census"))
        self.census_view.setModel(self.census_proxy)
        self.census_view.sortByColumn(CensusModel.COLUMNS.index("alerts"), Qt.SortOrder.AscendingOrder)
        header = self.census_view.horizontalHeader()
        # Columns are sized to their contents when rows come or go (_fit_columns), not live:
        # ResizeToContents re-measured every cell of every row on each update, freezing the window
        # for seconds with 200 patients (benchmarks/ui_frame_time.py).
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setResizeContentsPrecision(RESIZE_PRECISION_ROWS)
        # Never sideways: too narrow, the least important columns give way (CensusModel.DROP_PRIORITY).
        self.census_columns = ColumnDropper(self.census_view, CensusModel.COLUMNS, CensusModel.DROP_PRIORITY)
        self.census_columns.columns_did_drop.connect(self.census_model.set_dropped)
        # Only the alarm column has a colour to keep: a Python delegate on every cell cost a fifth of the
        # GUI thread's Python time at 200 patients (benchmarks/ui_frame_time.py under cProfile).
        self.census_view.setItemDelegateForColumn(CensusModel.COLUMNS.index("alerts"),
                                                  AlarmColourDelegate(self.census_view))
        self.census_view.selectionModel().currentRowChanged.connect(self._on_census_row)
        self.filter_edit = QLineEdit(central)
        self.filter_edit.setPlaceholderText(_tr("Find patient by name (Ctrl+F)"))
        self.filter_edit.setAccessibleName(_tr("Find patient by name"))
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._on_filter)
        self.census_count = QLabel(central)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.filter_edit.setFocus)

        # Alerts
        self.alerts_model = AlertsModel(self, now=now)
        self.history_model = AlertsModel(self, now=now, history=True)
        self.alerts_proxy = alerts_proxy(self.alerts_model, self)
        self.alerts_view = make_table(AlertsView(central), _tr("Active alerts"))
        self.alerts_view.setModel(self.alerts_proxy)
        self.alerts_view.acknowledge_requested.connect(self.acknowledge_selected)
        self.alerts_view.setItemDelegateForColumn(AlertsModel.COLUMNS.index("priority"),
                                                  AlarmColourDelegate(self.alerts_view))
        self.alerts_view.sortByColumn(AlertsModel.COLUMNS.index("priority"), Qt.SortOrder.AscendingOrder)
        a_header = self.alerts_view.horizontalHeader()
        a_header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        a_header.setResizeContentsPrecision(RESIZE_PRECISION_ROWS)
        a_header.setSectionResizeMode(AlertsModel.COLUMNS.index("message"), QHeaderView.ResizeMode.Stretch)
        self._fitted_rows = (-1, -1)
        # The clock's refresh (ages, "last seen") for the rows on screen only (tables.OnScreenRows).
        self.census_clock = OnScreenRows(self.census_view, self.census_model.refresh_timed)
        raised = AlertsModel.COLUMNS.index("raised")
        self.alerts_clock = OnScreenRows(
            self.alerts_view, lambda keys: self.alerts_view.model().sourceModel().refresh_columns([raised], keys))
        self.alerts_title = QLabel(central)
        title_font = QFont()
        title_font.setPointSize(15)
        title_font.setBold(True)
        self.alerts_title.setFont(title_font)
        self.ack_button = self._button(_tr("Acknowledge (A / Ctrl+K)"), self.acknowledge_selected)
        self.accept_button = self._button(_tr("Accept responsibility (Ctrl+Shift+T)"),
                                          lambda: self.command_selected("accept"))
        self.reject_button = self._button(_tr("Reject responsibility… (Ctrl+Shift+R)"), self.reject_selected)
        self.history_box = QCheckBox(_tr("Show history"), central)
        self.history_box.setAccessibleName(_tr("Show alert history"))
        self.history_box.toggled.connect(self._on_history)
        QShortcut(QKeySequence("Ctrl+K"), self, activated=self.acknowledge_selected)
        QShortcut(QKeySequence("Ctrl+Shift+T"), self, activated=lambda: self.command_selected("accept"))  # T: take; Ctrl+Shift+A is audio pause
        QShortcut(QKeySequence("Ctrl+Shift+R"), self, activated=self.reject_selected)
        self.alerts_view.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())

        self.detail = PatientDetail(central, now=now)
        self.detail_debounce = QTimer(self)
        self.detail_debounce.setSingleShot(True)
        self.detail_debounce.setInterval(DETAIL_DEBOUNCE_MS)
        self.detail_debounce.timeout.connect(
            lambda: self.selected_patient and self._spawn(self.load_detail(self.selected_patient)))

        left = QWidget(central)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        find_row = QHBoxLayout()
        find_row.addWidget(self.filter_edit, 1)
        find_row.addWidget(self.census_count)
        left_layout.addLayout(find_row)
        left_layout.addWidget(self.census_view, 1)
        alerts_head = QHBoxLayout()
        alerts_head.addWidget(self.alerts_title)
        alerts_head.addStretch(1)
        alerts_head.addWidget(self.history_box)
        left_layout.addLayout(alerts_head)
        left_layout.addWidget(self.alerts_view)
        buttons = QHBoxLayout()
        for b in (self.ack_button, self.accept_button, self.reject_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        left_layout.addLayout(buttons)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, central)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([1400, 520])
        outer.addWidget(self.splitter, 1)
        self.lock_screen = LockScreen(user_label, central)
        self.lock_screen.hide()
        self.lock_screen.unlock_requested.connect(lambda pw: self._spawn(self._unlock_with(pw)))
        self.lock_screen.switch_user_requested.connect(self._on_switch_user)
        outer.addWidget(self.lock_screen, 1)
        self.setCentralWidget(central)
        self.locked = False
        self.verify_password = verify_password
        self.idle = IdleWatcher(idle_lock_seconds, self)
        self.idle.idle_did_elapse.connect(self.lock)
        self.idle.start()

        status_font = QFont()
        status_font.setPointSize(13)
        self.connection_label = QLabel(self)
        self.connection_label.setAccessibleName(_tr("Connection and data age"))
        self.connection_label.setFont(status_font)
        self.store_label = QLabel(store_note, self)
        self.store_label.setFont(status_font)
        self.statusBar().addWidget(self.connection_label, 1)
        self.statusBar().addPermanentWidget(self.store_label)
        self.health_launcher = HealthLauncher(self)  # status-bar button and Ctrl+Shift+H
        self._build_theme_toggle()

        # Ages and the link state change with the clock, not with the data: redraw them once a second.
        self.tick = QTimer(self)
        self.tick.setInterval(1000)
        self.tick.timeout.connect(self._on_tick)
        self.tick.start()
        self._update_titles()
        self._update_buttons()
        self._render_status()
        events.changes_applied.add(self._on_changes_applied)
        events.link_state_changed.add(self._on_link_state)

    @property
    def provider_id(self) -> str:
        return self.engine.provider_id

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.closed.emit()
        super().closeEvent(event)

    def _button(self, text: str, slot) -> QPushButton:
        # The shortcut goes on a second line ("Accept responsibility\n(Ctrl+Shift+T)"): on one line the
        # three buttons alone made the window wider than a 1280-px screen.
        button = QPushButton(text.replace(" (", "\n(", 1), self)
        button.setAccessibleName(text)
        font = QFont()
        font.setPointSize(13)
        button.setFont(font)
        button.clicked.connect(slot)
        return button

    # --- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        """Loads everything once, then follows change-sets."""
        first = await self.engine.initial_view()
        age = await self.engine.data_age()
        if age is not None:
            self.last_data_at = self.now() - age
        self.census_model.reset(first.census)
        self.alerts_model.reset(first.alerts)
        self._after_update()
        self._pump_task = asyncio.create_task(self._pump(), name="tjv-ui-pump")

    async def stop(self) -> None:
        self.events.changes_applied.remove(self._on_changes_applied)
        self.events.link_state_changed.remove(self._on_link_state)
        self._stopped = True
        if self._audits:  # the audit trail keeps what happened up to the end (switch user, lock): let it land
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(AUDIT_FLUSH_SECONDS):
                    await asyncio.gather(*self._audits, return_exceptions=True)
        await cancel_and_wait([self._pump_task, *self._tasks])
        self.tick.stop()
        self.idle.stop()
        self.alarm_bar.stop()  # its timers, and the alarm sound player process

    def _spawn(self, coro) -> asyncio.Task | None:
        if self._stopped:  # a timer that fired after stop(): the station and its loop are gone
            coro.close()
            log.warning("window stopped: %s not run", getattr(coro, "__qualname__", coro))
            return None
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("window task failed", exc_info=task.exception())

    # --- change-sets --------------------------------------------------------------------------------

    def _on_changes_applied(self, event: ChangesApplied) -> None:
        self.handle_changes(event.changes)

    def _on_link_state(self, event: LinkStateChanged) -> None:
        self.set_link_state(event.state, event.reason)

    def handle_changes(self, changes: ChangeSet) -> None:
        """Queues a change-set; never blocks: the pump applies what queued."""
        self._pending = self._pending | changes
        self.last_data_at = self.now()
        self._wake.set()

    async def _pump(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            changes, self._pending = self._pending, ChangeSet()
            if changes:
                try:
                    await self.apply_changes(changes)
                except Exception:  # noqa: BLE001 - a failed refresh must not stop later ones
                    log.exception("could not refresh the views")

    async def apply_changes(self, changes: ChangeSet) -> None:
        """Applies the view update ``changes`` implies (computed in one call on the store's thread)."""
        selected = self.selected_patient
        await self.apply_view(await self.engine.view_update(changes, selected), selected)

    async def apply_view(self, update: ViewUpdate, selected: str | None) -> None:
        """``update`` was computed for the patient ``selected`` then (its new vitals are that patient's)."""
        # The alarm bar hears the alerts and the patients' names: re-evaluated when either changed, not on
        # every vitals tick.
        alarm_inputs = bool(update.alerts) or any(
            (row is None) != (self.census_model.row(key) is None)
            or (row is not None and row.name != self.census_model.row(key).name)
            for key, row in update.census.items())
        # A vitals tick of 200 patients took 11-30 ms in one go (a late frame each second,
        # benchmarks/ui_frame_time.py): applied in slices, the loop paints and serves input between them.
        # Each row is applied whole and the pump awaits every slice before the next change-set, so no
        # row is skipped or applied out of order.
        census = list(update.census.items())
        for start in range(0, len(census), CENSUS_SLICE_ROWS):
            if start:
                await asyncio.sleep(0)
            self.census_model.apply(dict(census[start:start + CENSUS_SLICE_ROWS]))
        if update.alerts:
            self.alerts_model.apply(update.alerts)
            if self.history_box.isChecked():
                self.history_model.apply(update.alerts)
        pid = self.selected_patient
        # The selection may have moved while the update was computed or applied: the detail's vitals
        # are the patient's the update was computed for, and a newly selected patient loads whole.
        if pid is not None and pid == selected and pid == self.detail.patient_id:
            if update.new_vitals:
                self.detail.add_vitals(update.new_vitals)
            if update.census.get(pid) is not None:
                self.detail.set_summary(update.census[pid])
            if update.detail_alerts is not None:
                self.detail.set_alerts(update.detail_alerts)
            if update.messages is not None:
                self.detail.set_messages(update.messages)
            if update.care_plans is not None:
                self.detail.set_care_plans(update.care_plans)
        self._after_update(alarm_inputs)

    def _fit_columns(self) -> None:
        """Sizes columns to their contents when the row counts changed (rare), never per update."""
        counts = (self.census_model.rowCount(), self.alerts_model.rowCount())
        if counts != self._fitted_rows:
            # New alerts change only the census's alarm column (measuring all of it took 30-80 ms in the
            # 50-alert burst of benchmarks/ui_frame_time.py); new patients, every column.
            patients_changed = counts[0] != self._fitted_rows[0]
            self._fitted_rows = counts
            self.census_columns.measure(None if patients_changed else ("alerts",))
            message = AlertsModel.COLUMNS.index("message")
            for column in range(len(AlertsModel.COLUMNS)):
                if column != message:
                    self.alerts_view.resizeColumnToContents(column)

    def _after_update(self, alarm_inputs: bool = True) -> None:
        self._fit_columns()
        self._size_alerts_to_rows()
        if alarm_inputs:
            names = {r.patient_id: r.name for r in self.census_model.rows()}
            self.alarm_bar.update_alerts([r.alert() for r in self.alerts_model.rows()], names)
        if self.alerts_view.selectionModel().currentIndex().row() < 0 and self.alerts_proxy.rowCount():
            self.select_alert_row(0)
        self._update_titles()
        self._update_buttons()

    # --- selection ----------------------------------------------------------------------------------

    def select_alert_row(self, row: int) -> None:
        index = self.alerts_proxy.index(row, 0)
        self.alerts_view.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def select_alert(self, alert_id: str) -> bool:
        row = self.alerts_view.model().row_of(alert_id)
        if row is None:
            return False
        self.select_alert_row(row)
        return True

    def selected_alert(self) -> AlertRow | None:
        index = self.alerts_view.selectionModel().currentIndex()
        if not index.isValid():
            return None
        key = self.alerts_view.model().key_at(index.row())
        return self.alerts_view.model().sourceModel().row(key)

    def select_patient(self, patient_id: str) -> None:
        row = self.census_proxy.row_of(patient_id)
        if row is not None:
            self.census_view.selectionModel().setCurrentIndex(
                self.census_proxy.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)

    def _on_census_row(self, current, _previous) -> None:
        key = self.census_proxy.key_at(current.row()) if current.isValid() else None
        if key and key != self.selected_patient:
            self.selected_patient = key
            # Arrowing through the census loads only the row the user stops on, not every row passed.
            self.detail_debounce.start()

    async def load_detail(self, patient_id: str) -> None:
        since = self.now() - timedelta(hours=72)
        detail: PatientDetailView = await self.engine.patient_detail(patient_id, since)
        if self.selected_patient == patient_id:
            self.detail.show_patient(detail)
            # The patient's own channel (live messages, care plan) follows what is shown.
            self.events.patient_shown.publish(PatientShown(patient_id))

    def _on_filter(self, text: str) -> None:
        self.census_proxy.setFilterFixedString(text)
        self.alerts_proxy.setFilterFixedString(text)
        self._size_alerts_to_rows()
        self._update_titles()

    def _size_alerts_to_rows(self) -> None:
        """The alerts list as tall as its rows (ALERT_ROWS_SHOWN), so the census gets the height left."""
        view = self.alerts_view
        fewest, most = ALERT_ROWS_SHOWN
        rows = min(max(self.alerts_proxy.rowCount(), fewest), most)
        height = (view.horizontalHeader().sizeHint().height() + rows * view.verticalHeader().defaultSectionSize()
                  + 2 * view.frameWidth())
        # Room for the horizontal scroll bar always: whether it shows is decided later, and a bar
        # appearing over a list sized to its rows hid the last alert (Spanish at 1280 px).
        height += view.horizontalScrollBar().sizeHint().height()
        if view.height() != height:
            view.setFixedHeight(height)

    def _on_history(self, on: bool) -> None:
        self._spawn(self._show_history(on))

    async def _show_history(self, on: bool) -> None:
        if on:
            self.history_model.reset(await self.engine.alert_history())
        source = self.history_model if on else self.alerts_model
        self.alerts_proxy.setSourceModel(source)
        self.alerts_view.setAccessibleName(_tr("Alert history") if on else _tr("Active alerts"))
        self.alerts_view.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self._size_alerts_to_rows()
        self._update_titles()
        self._update_buttons()

    # --- commands -----------------------------------------------------------------------------------

    def acknowledge_selected(self) -> None:
        self.command_selected("acknowledge")

    def command_selected(self, kind: Command | str, args: dict | None = None) -> asyncio.Task | None:
        """Gives ``kind`` on the selected alert when its state allows it (domain.alerts)."""
        alert = self.selected_alert()
        if alert is None or self.locked or Command(kind) not in alert.allowed_commands:
            return None
        return self._spawn(self.engine.command(Command(kind), alert.id, self.actor, args))

    def reject_selected(self) -> None:
        alert = self.selected_alert()
        if alert is None or self.locked or Command.REJECT not in alert.allowed_commands:
            return
        dialog = QInputDialog(self)
        dialog.setWindowTitle(_tr("Reject responsibility"))
        dialog.setLabelText(_tr("Why are you rejecting responsibility for this alert?"))
        dialog.setComboBoxItems([_tr(r) for r in REJECT_REASONS])
        dialog.setComboBoxEditable(False)
        dialog.setOption(QInputDialog.InputDialogOption.UseListViewForComboBoxItems, True)
        alert_id = alert.id
        self.reject_dialog = dialog

        def chosen(text: str) -> None:
            reason = REJECT_REASONS[[_tr(r) for r in REJECT_REASONS].index(text)]
            self._spawn(self.engine.command(Command.REJECT, alert_id, self.actor, {"reason": reason}))

        dialog.textValueSelected.connect(chosen)
        dialog.open()  # window-modal without a nested event loop, so the async tasks keep running

    def _update_buttons(self) -> None:
        alert = self.selected_alert()
        allowed = alert.allowed_commands if alert is not None else frozenset()
        self.ack_button.setEnabled(Command.ACKNOWLEDGE in allowed)
        self.accept_button.setEnabled(Command.ACCEPT in allowed)
        self.reject_button.setEnabled(Command.REJECT in allowed)

    # --- idle lock ----------------------------------------------------------------------------------

    def lock(self) -> None:
        """Hides every patient view (the alarm bar stays) until the user's password is given."""
        if self.locked:
            return
        self.locked = True
        if getattr(self, "reject_dialog", None) is not None:
            self.reject_dialog.reject()
        self.splitter.hide()
        self.lock_screen.reset(self.now().astimezone().strftime("%H:%M"))
        self.lock_screen.show()
        self.lock_screen.password_edit.setFocus()
        self._audit("screen_locked", {"reason": "idle"})

    def unlock(self, checked_by: str = "server") -> None:
        self.locked = False
        self.lock_screen.hide()
        self.lock_screen.reset()
        self.splitter.show()
        self.idle.start()
        self._audit("screen_unlocked", {"password_checked_by": checked_by})

    async def _unlock_with(self, password: str) -> None:
        if self.verify_password is None:
            self.lock_screen.show_error(self.tr("This workstation cannot check passwords; use Switch user."))
            return
        try:
            ok = await self.verify_password(password)
        except SignInError:
            self.lock_screen.show_error(self.tr("The password could not be checked: the server is not "
                                                "reachable. The screen stays locked; try again."))
            return
        except BaseException:
            self.lock_screen.show_error(self.tr("The password could not be checked. The screen stays locked."))
            raise
        if ok:
            self.unlock("workstation (server unreachable)" if ok == "offline" else "server")
        else:
            self._audit("unlock_refused", {"reason": "wrong password"})
            self.lock_screen.show_wrong_password()

    def _on_switch_user(self) -> None:
        self._audit("switch_user_requested", {})
        self.switch_user_requested.emit()

    def _audit_alarm_events(self, events: list) -> None:
        """The display's alarm log: pauses, break-throughs, escalations, alarms raised and cleared, in
        the local audit trail (the server audits what users do to alerts; this is what the station
        signalled). Ids only: no patient names or values."""
        for event in events:
            self._audit(f"alarm_{event.kind}", {"alarm_id": event.alarm_id, "priority": event.priority,
                                                "detail": event.detail})

    def _audit(self, action: str, details: dict) -> None:
        task = self._spawn(self.engine.audit(self.actor, action, details))
        if task is not None:
            self._audits.add(task)
            task.add_done_callback(self._audits.discard)

    # --- status -------------------------------------------------------------------------------------

    def set_link_state(self, state: LinkState, reason: str = "") -> None:
        connected = state is LinkState.CONNECTED
        if connected:
            self.lost_since = None
        elif self.lost_since is None:
            self.lost_since = self.clock()
        self.link_state, self.link_reason = state, reason
        self._render_status()

    def data_age_seconds(self) -> float | None:
        return None if self.last_data_at is None else (self.now() - self.last_data_at).total_seconds()

    def _on_tick(self) -> None:
        self.census_clock.tick()
        self.alerts_clock.tick()
        self._render_status()

    def _render_status(self) -> None:
        connected = self.link_state is LinkState.CONNECTED
        if connected:
            text, colour = _tr("● Live: connected to the server"), "#2e7d32"
        else:
            age = self.data_age_seconds()
            state = {LinkState.CONNECTING: _tr("connecting"), LinkState.RECONNECTING: _tr("reconnecting"),
                     LinkState.LOST: _tr("connection lost")}.get(self.link_state, _tr("offline"))
            text = _tr("▲ Data {age} old — offline ({state})").format(
                age=age_text(age) if age is not None else _tr("of unknown age"), state=state)
            colour = "#b71c1c" if self.link_state is not LinkState.CONNECTING else "#8d6e00"
        self.connection_label.setText(text)
        restyle(self.connection_label, f"QLabel {{ background: {colour}; color: white; padding: 2px 8px; }}")
        self.alarm_bar.set_technical(self.lost_since, None if connected else self.data_age_seconds())

    # -- night view: one toggle, remembered by the app (theme_did_change) or locked by policy --------

    def _build_theme_toggle(self) -> None:
        self.theme = STANDARD
        self.night_button = QToolButton(self)
        self.night_button.setCheckable(True)
        self.night_button.setText(_tr("☾ Night view"))
        self.night_button.setAccessibleName(_tr("Night view"))
        self.night_button.setToolTip(_tr("Dimmed colours for the night; alarm colours stay at full strength "
                                         "({shortcut})").format(shortcut=NIGHT_SHORTCUT))
        self.night_button.setFont(self.store_label.font())
        self.night_button.toggled.connect(self._on_night_toggled)
        self.statusBar().addPermanentWidget(self.night_button)
        QShortcut(QKeySequence(NIGHT_SHORTCUT), self, activated=self.night_button.click)

    def _on_night_toggled(self, on: bool) -> None:
        theme = NIGHT if on else STANDARD
        if theme is not self.theme:
            self.set_theme(theme)
            self.theme_did_change.emit(theme.name)

    def set_theme(self, theme: Theme, locked: bool = False) -> None:
        """Applies ``theme`` to the whole application; ``locked``: machine policy chose it, the toggle is off."""
        self.theme = theme
        apply_theme(QApplication.instance(), theme)
        self.detail.set_theme(theme)
        self.alarm_bar.set_theme(theme)
        self.night_button.blockSignals(True)
        self.night_button.setChecked(theme is NIGHT)
        self.night_button.blockSignals(False)
        self.night_button.setEnabled(not locked)
        if locked:
            self.night_button.setToolTip(_tr("The look of this station is set by its machine policy."))

    def _update_titles(self) -> None:
        shown, total = self.census_proxy.rowCount(), self.census_model.rowCount()
        self.census_count.setText(_tr("{shown} of {total} patients").format(shown=shown, total=total))
        model = self.alerts_proxy.sourceModel()
        title = _tr("Alert history") if model is self.history_model else _tr("Active alerts")
        unanswered = sum(1 for r in model.rows() if needs_response(r.state))
        self.alerts_title.setText(_tr("{title}: {n} ({u} awaiting response)").format(
            title=title, n=model.rowCount(), u=unanswered))

    def show_health(self) -> HealthPanel | None:
        """The connection health panel (Ctrl+Shift+H), once ``health_launcher.set_health`` was called."""
        return self.health_launcher.show()
