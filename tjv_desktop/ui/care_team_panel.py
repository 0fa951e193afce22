"""The care-team panel: everyone on duty in the tenant now (from presence), one line per workstation:
name, role, workstation, since when, locked. It reads nothing itself: the window feeds it
``set_colleagues`` (None: not known now, e.g. offline)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from tjv_desktop.domain.care_team import Colleague

from .i18n import local_time

ONLINE, LOCKED = QColor("#2e7d32"), QColor("#757575")  # readable on the dock's light background


class CareTeamPanel(QWidget):
    def __init__(self, me: str, parent=None):
        super().__init__(parent)
        self.me = me  # this user's provider id: their own workstations are marked "you"
        self.setAccessibleName(self.tr("Care team online"))
        self.title = QLabel(self)
        self.list = QListWidget(self)
        self.list.setAccessibleName(self.tr("Colleagues online"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.list, 1)
        self.set_colleagues(None)

    def set_colleagues(self, colleagues: Sequence[Colleague] | None) -> None:
        self.list.clear()
        if colleagues is None:
            self.title.setText(self.tr("Care team: not known while offline"))
            return
        people = {c.provider_id for c in colleagues}
        self.title.setText(self.tr("Care team online: {n} people, {w} workstations").format(
            n=len(people), w=len(colleagues)))
        for c in colleagues:
            role = self.tr(c.role)
            since = local_time(c.since, "HH:mm") if c.since else "–"
            text = self.tr("{name} ({role}) · {workstation} · since {since}").format(
                name=c.name, role=role, workstation=c.workstation, since=since)
            if c.provider_id == self.me:
                text += self.tr(" · you")
            if c.locked:
                text += self.tr(" · locked")
            item = QListWidgetItem(("○ " if c.locked else "● ") + text)
            item.setForeground(LOCKED if c.locked else ONLINE)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, text)
            self.list.addItem(item)

    def names(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]


class LockWatcher(QObject):
    """Calls ``on_lock(True/False)`` when ``lock_screen`` is shown or hidden by the program: colleagues see
    the workstation locked without the window knowing about presence."""

    def __init__(self, lock_screen: QWidget, on_lock: Callable[[bool], None]):
        super().__init__(lock_screen)
        self.on_lock = on_lock
        lock_screen.installEventFilter(self)

    def eventFilter(self, _watched, event) -> bool:  # noqa: N802 - Qt's name
        if not event.spontaneous() and event.type() in (QEvent.Type.Show, QEvent.Type.Hide):
            self.on_lock(event.type() == QEvent.Type.Show)
        return False
