"""Collaborative sessions beside the monitoring station: the list of open sessions, and the joined
session's view: who is here (role, since when, which patient they look at, who leads), follow-me, and the
shared I-PASS handoff note edited by everyone at once.

The view edits the CRDT replica (``collab.HandoffDocument``) through whole strings: a local edit turns
into the smallest splice of the shared text; a remote change is applied to the editor as one splice,
so the local cursor stays where the user is typing. Status is always said in words next to its colour.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from tjv_desktop.backend.rest import RestError
from tjv_desktop.collab.document import MAX_TEXT_CHARS, TEXT_FIELDS, minimal_change
from tjv_desktop.collab.presence import Member

log = logging.getLogger(__name__)

FONT_PT = 13
# Fusion's indicators nearly vanish on the dark palette: outline them, fill them when on.
INDICATORS = ("QCheckBox::indicator, QListView::indicator { width: 18px; height: 18px; border: 2px solid #f0f0f0;"
              " background: #121212; } QCheckBox::indicator:checked, QListView::indicator:checked"
              " { background: #42a5f5; }")
STATE_STYLE = {  # colour and a word: the colour is never the only cue
    "joined": "background: #1b5e20; color: #ffffff;",
    "joining": "background: #424242; color: #ffffff;",
    "offline": "background: #ffb000; color: #000000;",
    "refused": "background: #b71c1c; color: #ffffff;",
    "closed": "background: #424242; color: #ffffff;",
}


def _font(widget: QWidget, points: int = FONT_PT, bold: bool = False) -> None:
    font = QFont(widget.font())
    font.setPointSize(points)
    font.setBold(bold)
    widget.setFont(font)


class SyncedText(QPlainTextEdit):
    """A plain-text editor bound to one text field of the shared document."""

    def __init__(self, doc, name: str, parent=None):
        super().__init__(parent)
        self.doc, self.name = doc, name
        self._applying = False
        _font(self)
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # lines wrap
        self.textChanged.connect(self._local_edit)

    def _local_edit(self) -> None:
        if self._applying:
            return
        text = self.toPlainText()
        if len(text) > MAX_TEXT_CHARS:
            log.warning("%s: text beyond %d characters is not shared", self.name, MAX_TEXT_CHARS)
            text = text[:MAX_TEXT_CHARS]
        self.doc.set_text(self.name, text)

    def refresh(self) -> None:
        """Brings the editor to the shared text with one splice (the user's cursor survives)."""
        old, new = self.toPlainText(), self.doc.text(self.name)
        if old == new:
            return
        start, removed, inserted = minimal_change(old, new)
        cursor = QTextCursor(self.document())
        # Qt positions count UTF-16 units; Python slices count code points.
        begin = len(old[:start].encode("utf-16-le")) // 2
        end = len(old[:start + removed].encode("utf-16-le")) // 2
        cursor.setPosition(begin)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        self._applying = True
        try:
            cursor.insertText(inserted)
        finally:
            self._applying = False


class SessionView(QWidget):
    """One joined session (``collab``/``backend.sessions.OpenSession``)."""

    follow_patient = Signal(str)
    left = Signal()

    def __init__(self, session, patient_name: Callable[[str], str | None], parent=None):
        super().__init__(parent)
        self.session, self.engine, self.doc = session, session.engine, session.engine.doc
        self.patient_name = patient_name
        self._known: dict[str, Member] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.setStyleSheet(INDICATORS)

        self.title = QLabel(session.title, self)
        _font(self.title, 16, bold=True)
        self.state_label = QLabel(self)
        self.state_label.setWordWrap(True)  # the long states (offline, refused) wrap in the narrow dock
        _font(self.state_label, FONT_PT, bold=True)
        self.crypto_label = QLabel(self)
        self.crypto_label.setWordWrap(True)
        self.dropped_label = QLabel(self)
        self.dropped_label.setWordWrap(True)
        self.dropped_label.setStyleSheet("color: #ffb000;")
        self.activity = QLabel(self)
        for label in (self.crypto_label, self.dropped_label, self.activity):
            _font(label)
        layout.addWidget(self.title)
        layout.addWidget(self.state_label)
        layout.addWidget(self.crypto_label)
        layout.addWidget(self.dropped_label)

        self.members_title = QLabel(self)
        _font(self.members_title, FONT_PT, bold=True)
        self.members = QListWidget(self)
        self.members.setAccessibleName(self.tr("Members of this session"))
        _font(self.members)
        self.members.setWordWrap(True)
        self.members.setMaximumHeight(170)
        layout.addWidget(self.members_title)
        layout.addWidget(self.members)
        layout.addWidget(self.activity)

        controls = QHBoxLayout()
        self.lead_box = QCheckBox(self.tr("I lead (others follow me)"), self)
        self.follow_box = QCheckBox(self.tr("Follow the leader"), self)
        for box in (self.lead_box, self.follow_box):
            _font(box)
            controls.addWidget(box)
        controls.addStretch(1)
        layout.addLayout(controls)
        self.lead_box.toggled.connect(self.engine.lead)
        self.follow_box.toggled.connect(self.engine.follow)

        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)  # labels above: the dock is narrow
        self.severity = QComboBox(self)
        self.severity.addItem(self.tr("— not set —"), "")
        self.severity.addItem(self.tr("Stable"), "stable")
        self.severity.addItem(self.tr("Watcher"), "watcher")
        self.severity.addItem(self.tr("Unstable"), "unstable")
        self.severity.setAccessibleName(self.tr("Illness severity"))
        _font(self.severity)
        self.severity.currentIndexChanged.connect(
            lambda _i: self.doc.set_severity(self.severity.currentData() or ""))
        self.editors = {name: SyncedText(self.doc, name, self) for name in TEXT_FIELDS}
        titles = {"summary": self.tr("Patient summary"),
                  "awareness": self.tr("Situation awareness and contingency"),
                  "synthesis": self.tr("Synthesis by receiver")}
        self.actions = QListWidget(self)
        self.actions.setAccessibleName(self.tr("Action list"))
        _font(self.actions)
        self.actions.itemChanged.connect(self._action_toggled)
        self.new_action = QLineEdit(self)
        self.new_action.setPlaceholderText(self.tr("New action, then Enter"))
        self.new_action.setAccessibleName(self.tr("New action"))
        _font(self.new_action)
        self.new_action.returnPressed.connect(self._add_action)
        form.addRow(self._form_label(self.tr("Illness severity")), self.severity)
        form.addRow(self._form_label(titles["summary"]), self.editors["summary"])
        form.addRow(self._form_label(self.tr("Action list")), self.actions)
        form.addRow("", self.new_action)
        form.addRow(self._form_label(titles["awareness"]), self.editors["awareness"])
        form.addRow(self._form_label(titles["synthesis"]), self.editors["synthesis"])
        for name, editor in self.editors.items():
            editor.setAccessibleName(titles[name])
        layout.addLayout(form, 1)

        buttons = QHBoxLayout()
        self.leave_button = QPushButton(self.tr("Leave session"), self)
        self.close_button = QPushButton(self.tr("Close session for everyone"), self)
        for b in (self.leave_button, self.close_button):
            _font(b)
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.leave_button.clicked.connect(self.left.emit)
        self.close_button.clicked.connect(self._close_clicked)

        self.engine.members_listeners.append(self._members_changed)
        self.engine.follow_listeners.append(self.follow_patient.emit)
        self.engine.rejected_listeners.append(lambda *_: self._render_dropped())
        self.doc.change_listeners.append(self._doc_changed)
        session.state_listeners.append(lambda *_: self._render_state())
        self.close_requested: Callable[[], None] | None = None
        self.refresh_document()
        self._members_changed(self.engine.members)
        self._render_state()
        self._render_dropped()
        if self.engine.encrypted:
            self.crypto_label.setText(self.tr("End-to-end encrypted (key {kid}): the server cannot read "
                                              "this session.").format(kid=self.engine.envelope.key_id))
        else:
            self.crypto_label.setText(self.tr("Not end-to-end encrypted: this tenant has no session key."))

    def _form_label(self, text: str) -> QLabel:
        label = QLabel(text, self)
        _font(label)
        return label

    # -- document ------------------------------------------------------------------------------------

    def _doc_changed(self, remote: bool) -> None:
        if remote:
            self.refresh_document()
        else:
            self._refresh_actions()

    def refresh_document(self) -> None:
        for editor in self.editors.values():
            editor.refresh()
        index = self.severity.findData(self.doc.severity)
        if index != self.severity.currentIndex():
            self.severity.blockSignals(True)
            self.severity.setCurrentIndex(max(0, index))
            self.severity.blockSignals(False)
        self._refresh_actions()

    def _refresh_actions(self) -> None:
        self.actions.blockSignals(True)
        self.actions.clear()
        for action in self.doc.actions():
            text = self.tr("{action} — done").format(action=action["text"]) if action["done"] else action["text"]
            item = QListWidgetItem(text, self.actions)
            if action["done"]:
                font = QFont(self.actions.font())
                font.setStrikeOut(True)
                item.setFont(font)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if action["done"] else Qt.CheckState.Unchecked)
            item.setData(Qt.ItemDataRole.UserRole, action["id"])
        self.actions.blockSignals(False)

    def _action_toggled(self, item: QListWidgetItem) -> None:
        self.doc.set_done(item.data(Qt.ItemDataRole.UserRole), item.checkState() == Qt.CheckState.Checked)

    def _add_action(self) -> None:
        text = self.new_action.text().strip()
        if not text:
            return
        try:
            self.doc.add_action(text)
        except ValueError as exc:
            self.activity.setText(str(exc))
            return
        self.new_action.clear()

    # -- members -------------------------------------------------------------------------------------

    def _member_line(self, m: Member) -> str:
        role = {"clinician": self.tr("clinician"), "coordinator": self.tr("coordinator"),
                "admin": self.tr("administrator")}.get(m.role, m.role)
        line = f"{m.name} · {role}"
        if m.inst == self.engine.inst:
            line += " " + self.tr("(you)")
        if m.inst == self.engine.leader:
            line = "★ " + line + " · " + self.tr("LEADING")
        second = self.tr("here since {time}").format(time=m.since.astimezone().strftime("%H:%M"))
        if m.looking_at:
            second += " · " + self.tr("looking at {patient}").format(
                patient=self.patient_name(m.looking_at) or self.tr("a patient not on your list"))
        return f"{line}\n    {second}"

    def _members_changed(self, members: list[Member]) -> None:
        current = {m.inst: m for m in members}
        now = datetime.now().strftime("%H:%M")
        came = [m.name for i, m in current.items() if i not in self._known and i != self.engine.inst]
        went = [m.name for i, m in self._known.items() if i not in current and i != self.engine.inst]
        if self._known or not came:
            for name in came:
                self.activity.setText(self.tr("{time}: {name} joined").format(time=now, name=name))
        for name in went:
            self.activity.setText(self.tr("{time}: {name} left").format(time=now, name=name))
        self._known = current
        self.members.clear()
        for m in members:
            QListWidgetItem(self._member_line(m), self.members)
        self.members_title.setText(self.tr("Here now: {n}").format(n=len(members)))
        leader = self.engine.leader
        self.lead_box.blockSignals(True)
        self.lead_box.setChecked(leader == self.engine.inst)
        self.lead_box.blockSignals(False)

    def _render_state(self) -> None:
        state = self.session.state
        text = {"joining": self.tr("Joining…"), "joined": self.tr("Connected: changes are shared live"),
                "offline": self.tr("OFFLINE: your edits are kept and shared when the link is back"),
                "refused": self.tr("ACCESS REFUSED: you may not join this session"),
                "closed": self.tr("CLOSED: this session has ended")}.get(state, state)
        self.state_label.setText(text)
        self.state_label.setStyleSheet(STATE_STYLE.get(state, "") + " padding: 4px 8px;")
        editable = state not in ("refused", "closed")
        for widget in (*self.editors.values(), self.severity, self.new_action, self.actions, self.lead_box,
                       self.follow_box):
            widget.setEnabled(editable)
        may_close = getattr(self.session, "may_close", True)
        self.close_button.setEnabled(editable and may_close)
        self.close_button.setToolTip("" if may_close else
                                     self.tr("Only the session's creator or a coordinator can close it."))

    def _render_dropped(self) -> None:
        count = sum(self.engine.rejected.values())
        self.dropped_label.setVisible(count > 0)
        self.dropped_label.setText(self.tr("{n} message(s) dropped: they could not be verified "
                                           "(see the log)").format(n=count))

    def _close_clicked(self) -> None:
        if self.close_requested is not None:
            self.close_requested()

    def focus(self, patient_id: str | None) -> None:
        self.engine.focus(patient_id)


class SessionsPanel(QWidget):
    """The list of open sessions and, once one is joined, its view. ``service`` is a
    ``backend.sessions.SessionsService``; ``follow_patient`` carries the leader's patient to the window."""

    follow_patient = Signal(str)
    sessions_did_change = Signal(int)  # how many sessions are open, after each listing

    def __init__(self, service, patient_name: Callable[[str], str | None] = lambda _p: None, parent=None):
        super().__init__(parent)
        self.service, self.patient_name = service, patient_name
        self.session = None
        self.view: SessionView | None = None
        self._tasks: set[asyncio.Task] = set()
        self._focus: str | None = None
        self.stack = QStackedWidget(self)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.stack)
        self.setMinimumWidth(520)

        page = QWidget(self.stack)
        layout = QVBoxLayout(page)
        heading = QLabel(self.tr("Open sessions"), page)
        _font(heading, 16, bold=True)
        self.list = QListWidget(page)
        self.list.setAccessibleName(self.tr("Open sessions"))
        _font(self.list)
        self.list.itemActivated.connect(lambda _item: self.join_selected())
        self.message = QLabel(page)
        self.message.setWordWrap(True)
        _font(self.message)
        row = QHBoxLayout()
        self.join_button = QPushButton(self.tr("Join"), page)
        self.new_button = QPushButton(self.tr("New session…"), page)
        self.refresh_button = QPushButton(self.tr("Refresh"), page)
        for b in (self.join_button, self.new_button, self.refresh_button):
            _font(b)
            row.addWidget(b)
        row.addStretch(1)
        self.join_button.clicked.connect(self.join_selected)
        self.new_button.clicked.connect(self._new_clicked)
        self.refresh_button.clicked.connect(lambda: self._spawn(self.refresh()))
        layout.addWidget(heading)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.message)
        layout.addLayout(row)
        self.stack.addWidget(page)

    def start(self) -> None:
        """Lists the open sessions (once the loop runs)."""
        self._spawn(self.refresh())

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _say(self, text: str) -> None:
        self.message.setText(text)

    async def refresh(self) -> None:
        try:
            rows = await self.service.list_open()
        except Exception as exc:  # the list is a convenience: say what failed, keep what is shown
            log.warning("sessions: list failed: %s", exc)
            self._say(self.tr("Could not load the sessions: {error}").format(error=exc))
            return
        self.list.clear()
        for row in rows:
            item = QListWidgetItem(row["title"], self.list)
            item.setData(Qt.ItemDataRole.UserRole, row["id"])
        if rows and self.list.currentRow() < 0:
            self.list.setCurrentRow(0)
        self.sessions_did_change.emit(len(rows))
        self._say("" if rows else self.tr("No open session. Start one with “New session…”."))

    def join_selected(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self._spawn(self.join(item.data(Qt.ItemDataRole.UserRole)))

    async def join(self, session_id: str) -> None:
        if self.session is not None:
            await self.leave()
        try:
            session = await self.service.open(session_id)
        except Exception as exc:
            log.warning("sessions: could not join %s: %s", session_id, exc)
            self._say(self.tr("Could not join: {error}").format(error=exc))
            return
        self.session = session
        self.view = SessionView(session, self.patient_name, self.stack)
        self.view.follow_patient.connect(self.follow_patient.emit)
        self.view.left.connect(lambda: self._spawn(self.leave()))
        self.view.close_requested = lambda: self._spawn(self.close_session())
        self.stack.addWidget(self.view)
        self.stack.setCurrentWidget(self.view)
        self.view.focus(self._focus)

    async def leave(self) -> None:
        session, view = self.session, self.view
        self.session = self.view = None
        if view is not None:
            self.stack.removeWidget(view)
            view.deleteLater()
        if session is not None:
            await session.leave()
        await self.refresh()

    async def close_session(self) -> None:
        if self.session is None:
            return
        try:
            closed = await self.session.close_session()
        except RestError as exc:
            log.warning("session not closed: %s", exc)
            closed = False
        if not closed:
            self._say(self.tr("The session could not be closed; it stays open."))
            return
        self.session = None
        view, self.view = self.view, None
        if view is not None:
            self.stack.removeWidget(view)
            view.deleteLater()
        await self.refresh()

    def focus(self, patient_id: str | None) -> None:
        """The window's selection: members see it; if this member leads, followers follow it."""
        self._focus = patient_id
        if self.view is not None:
            self.view.focus(patient_id)

    def _new_clicked(self) -> None:
        title, ok = QInputDialog.getText(self, self.tr("New session"), self.tr("Title of the session:"),
                                         text=self.tr("Handoff"))
        if ok and title.strip():
            self._spawn(self._create(title))

    async def _create(self, title: str) -> None:
        try:
            row = await self.service.create(title)
        except Exception as exc:
            log.warning("sessions: could not create: %s", exc)
            self._say(self.tr("Could not start the session: {error}").format(error=exc))
            return
        await self.join(row["id"])
