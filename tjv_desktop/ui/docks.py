"""The window's side docks: how the main window docks the collaboration and care-team panels
(``SideDocks``), the collaboration dock's content (a slim upright bar that opens the sessions panel on
demand) and the rule that puts any dock behind the idle lock with the patient views."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QKeySequence, QPainter, QShortcut
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QStyle,
    QStyleOptionButton,
    QToolButton,
    QWidget,
)

from .sessions import FONT_PT, SessionsPanel
from .tables import sized_font

QWIDGETSIZE_MAX = (1 << 24) - 1  # Qt's "no maximum"
COLLABORATION_SHORTCUT = "Ctrl+Shift+S"


def _tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)  # the window's strings, as the catalogue has them


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


class SideDocks:
    """The main window's side docks, mixed into ``MainWindow``: one hook per feature, so the window itself
    knows nothing of sessions or of the care team. Uses the window's splitter (the patient views, which
    the idle lock hides), census view, detail, models, status bar and ``_button``/``_spawn``."""

    # -- collaboration (issue 6): one hook, so the window itself knows nothing of sessions ----------

    def add_collaboration(self, panel, banner) -> None:
        """Docks the sessions panel on the right (hidden while locked), collapsed to a slim bar that says
        how many sessions are open and opens on a click or Ctrl+Shift+S; puts the announcement banner
        under the alarm bar.
        Follow-me: the panel's leader patient selects the census row; the census selection is what this
        member shows the session."""
        dock = QDockWidget(_tr("Collaboration"), self)
        dock.setObjectName("collaborationDock")
        dock.setTitleBarWidget(QWidget(dock))  # the bar says what the dock is: no title row above it
        dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        self.collaboration = CollapsibleSessions(panel, COLLABORATION_SHORTCUT, dock)
        dock.setWidget(self.collaboration)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.collaboration_dock = dock
        self.collaboration.expanded_did_change.connect(self._fit_collaboration)
        QShortcut(QKeySequence(COLLABORATION_SHORTCUT), self, activated=self.collaboration.toggle)
        self._fit_collaboration(False)
        self.centralWidget().layout().insertWidget(1, banner)
        panel.follow_patient.connect(self.select_patient)
        self.census_view.selectionModel().currentRowChanged.connect(lambda *_: panel.focus(self.selected_patient))
        HiddenWith(self.splitter, dock)  # the idle lock hides the patient views: the dock goes with them
        self.collaboration_dock, self.sessions_panel, self.announcement_banner = dock, panel, banner

    def _fit_collaboration(self, expanded: bool) -> None:
        """A dock keeps its width when its content shrinks: size it to the bar, or to bar and panel."""
        content = self.collaboration
        width = content.bar.sizeHint().width()
        if expanded:
            width += content.panel.minimumWidth() + content.layout().spacing()
        self.resizeDocks([self.collaboration_dock], [width], Qt.Orientation.Horizontal)

    # --- care team (issue 16) ------------------------------------------------------------------------

    def add_care_team(self, team_panel, reply_box, *, open_handoff, open_metrics=None) -> None:
        """Docks the care-team panel on the right (hidden while locked), puts the reply box under the
        patient's messages and adds the handoff (and, for coordinators, metrics) buttons to the status bar."""
        dock = QDockWidget(_tr("Care team"), self)
        dock.setObjectName("careTeamDock")
        dock.setWidget(team_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        # Closed until asked for (status-bar button): open, it needs room the census and charts use.
        dock.hide()
        HiddenWith(self.splitter, dock)
        toggle = dock.toggleViewAction()
        toggle.setText(_tr("Care team"))
        self.care_team_button = QToolButton(self)
        self.care_team_button.setDefaultAction(toggle)
        self.care_team_button.setFont(self.store_label.font())
        self.statusBar().addPermanentWidget(self.care_team_button)
        self.detail.add_reply_box(reply_box)
        reply_box.reply_was_requested.connect(
            lambda body: self.selected_patient and self._spawn(self.engine.reply(self.selected_patient, body,
                                                                                 self.actor)))
        self.handoff_button = self._button(_tr("Handoff report…"), open_handoff)
        self.statusBar().addPermanentWidget(self.handoff_button)
        if open_metrics is not None:
            self.metrics_button = self._button(_tr("Metrics…"), open_metrics)
            self.statusBar().addPermanentWidget(self.metrics_button)
        self.care_team_dock, self.care_team_panel, self.reply_box = dock, team_panel, reply_box
        for model in (self.alerts_model, self.history_model):  # alert rows' tooltips: who is online
            model.team_online = self.census_model.team_online
