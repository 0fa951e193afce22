"""The window's side docks: the collaboration dock's content (a slim upright bar that opens the sessions
panel on demand) and the rule that puts any dock behind the idle lock with the patient views."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOptionButton,
    QWidget,
)

from .sessions import FONT_PT, SessionsPanel
from .tables import sized_font

QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum"


class HiddenWith(QObject):
    """Hides ``target`` whenever ``watched`` is hidden by the program (not by the window system), shows
    it again with it: the sessions dock shows patient names and a handoff note, so it goes behind the
    idle lock together with the patient views."""

    def __init__(self, watched: QWidget, target: QWidget):
        super().__init__(target)
        self.target = target
        self._shown = not target.isHidden()  # a dock the user closed stays closed after the lock
        watched.installEventFilter(self)

    def eventFilter(self, _watched, event) -> bool:  # noqa: N802 - Qt's name
        if not event.spontaneous():
            if event.type() == QEvent.Type.Hide:
                self._shown = not self.target.isHidden()
                self.target.hide()
            elif event.type() == QEvent.Type.Show and self._shown:
                self.target.show()
        return False


class SideBarButton(QPushButton):
    """A push button whose text runs upwards, for a bar a few pixels wide."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        hint = super().sizeHint()
        return QSize(hint.height(), hint.width())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(super().minimumSizeHint().height(), 0)

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        option = QStyleOptionButton()
        self.initStyleOption(option)
        self.style().drawControl(QStyle.ControlElement.CE_PushButtonBevel, option, painter, self)
        painter.rotate(-90)
        painter.translate(-self.height(), 0)
        painter.setPen(self.palette().buttonText().color())
        painter.drawText(0, 0, self.height(), self.width(), Qt.AlignmentFlag.AlignCenter, self.text())
        painter.end()


class CollapsibleSessions(QWidget):
    """The collaboration dock's content: a slim bar saying how many sessions are open and, on demand
    (the bar, or the window's shortcut), the sessions panel beside it. It starts collapsed: an empty
    list must not take a quarter of the census's width. ``expanded_did_change`` says which it became."""

    expanded_did_change = Signal(bool)

    def __init__(self, panel: SessionsPanel, shortcut: str, parent=None):
        super().__init__(parent)
        self.panel, self.shortcut, self.open_sessions = panel, shortcut, 0
        self.bar = SideBarButton(self)
        self.bar.setAccessibleName(self.tr("Collaboration"))
        self.bar.setFont(sized_font(FONT_PT, bold=True))
        self.bar.clicked.connect(self.toggle)
        self.bar.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.bar)
        layout.addWidget(panel, 1)
        panel.sessions_did_change.connect(self._count_changed)
        panel.hide()
        self._limit_width()
        self._render()

    @property
    def expanded(self) -> bool:
        return not self.panel.isHidden()

    def set_expanded(self, expanded: bool) -> None:
        if expanded != self.expanded:
            self.panel.setVisible(expanded)
            self._limit_width()
            self._render()
            self.expanded_did_change.emit(expanded)

    def _limit_width(self) -> None:
        """A dock keeps its width when its content shrinks: collapsed, the bar's width is the most."""
        self.setMaximumWidth(self.bar.sizeHint().width() if not self.expanded else QWIDGETSIZE_MAX)

    def toggle(self) -> None:
        self.set_expanded(not self.expanded)

    def _count_changed(self, count: int) -> None:
        self.open_sessions = count
        self._render()

    def _render(self) -> None:
        arrow = "▸" if self.expanded else "◂"
        count = self.tr("{n} open sessions").format(n=self.open_sessions)
        self.bar.setText(f"{arrow}  {self.tr('Collaboration')} · {count}  {arrow}")
        action = self.tr("Hide the sessions") if self.expanded else self.tr("Show the sessions")
        self.bar.setFixedWidth(self.bar.sizeHint().width())
        self.bar.setToolTip(f"{action} ({self.shortcut})")
        self.bar.setAccessibleDescription(f"{count}. {action}")
