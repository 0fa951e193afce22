"""The idle lock: a watcher that notices when nobody has touched the application for the policy-set
time, and the panel shown in place of patient data until the signed-in user types their password.

The window owns both. The alarm bar is not part of the lock: it stays visible and audible above the
panel, because a lock that hid or silenced alarms would itself be an alarm-system failure.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from .tables import sized_font

TITLE_PT = 26
TEXT_PT = 17

# Input a person makes; anything else (timers, repaints, network) must not keep the screen unlocked.
INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.KeyRelease, QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonDblClick, QEvent.Type.MouseMove,
    QEvent.Type.Wheel, QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TabletPress,
})


class IdleWatcher(QObject):
    """An application-wide event filter: keyboard, mouse or touch input restarts a single-shot timer;
    ``idle_did_elapse`` fires when it runs out."""

    idle_did_elapse = Signal()

    def __init__(self, seconds: float, parent: QObject | None = None):
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(max(1, int(seconds * 1000)))
        self.timer.timeout.connect(self.idle_did_elapse)
        self._app: QApplication | None = None

    def start(self) -> None:
        app = QApplication.instance()
        if app is not None and self._app is None:
            app.installEventFilter(self)
            self._app = app
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        if self._app is not None:
            self._app.removeEventFilter(self)
            self._app = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in INPUT_EVENTS and self.timer.isActive():
            self.timer.start()
        return False


class LockScreen(QWidget):
    """The panel shown while locked. ``unlock_requested(password)`` when the user submits (Enter or
    the button); the window checks the password and calls ``show_wrong_password`` / ``show_error`` /
    ``reset``. ``switch_user_requested`` when the user asks to hand the workstation over."""

    unlock_requested = Signal(str)
    switch_user_requested = Signal()

    def __init__(self, user_label: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.user_label = user_label
        self.setObjectName("lockScreen")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        # Label colours are set here, not left to the palette: dark text on this background is unreadable.
        self.setStyleSheet("#lockScreen { background: #263238; } #lockScreen QLabel { color: #eceff1; }"
                           " #lockScreen QPushButton { background: #424242; color: #ffffff; padding: 8px 22px;"
                           " border: 2px solid #9e9e9e; border-radius: 4px; }"
                           " #lockScreen QPushButton:focus { border-color: #ffffff; }"
                           " #lockScreen QPushButton:default { background: #1565c0; border-color: #90caf9; }"
                           " #lockScreen QLineEdit { padding: 6px; }")
        self.setAccessibleName(self.tr("Screen locked"))

        self.title = QLabel(self.tr("Screen locked — patient details are hidden"), self)
        self.title.setFont(sized_font(TITLE_PT, bold=True))
        self.title.setAccessibleName(self.tr("Screen locked"))
        self.explain = QLabel(self.tr("Alarms stay live and audible in the bar above. To see patients and "
                                      "respond to alarms, unlock with the password of {user}.").format(
                                          user=user_label or self.tr("the signed-in user")), self)
        self.explain.setFont(sized_font(TEXT_PT))
        self.explain.setWordWrap(True)
        self.locked_at = QLabel(self)
        self.locked_at.setFont(sized_font(TEXT_PT - 2))
        self.locked_at.setStyleSheet("color: #cfd8dc;")

        self.password_label = QLabel(self.tr("Password:"), self)
        self.password_label.setFont(sized_font(TEXT_PT))
        self.password_edit = QLineEdit(self)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setFont(sized_font(TEXT_PT))
        self.password_edit.setMinimumWidth(360)
        self.password_edit.setAccessibleName(self.tr("Password of {user}").format(user=user_label))
        self.password_edit.setPlaceholderText(self.tr("Type your password, then press Enter"))
        self.password_label.setBuddy(self.password_edit)
        self.password_edit.returnPressed.connect(self._submit)
        self.unlock_button = QPushButton(self.tr("Unlock"), self)
        self.unlock_button.setFont(sized_font(TEXT_PT))
        self.unlock_button.setAccessibleName(self.tr("Unlock"))
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self._submit)
        self.switch_button = QPushButton(self.tr("Switch user…"), self)
        self.switch_button.setFont(sized_font(TEXT_PT))
        self.switch_button.setAccessibleName(self.tr("Switch user"))
        self.switch_button.clicked.connect(self._switch_user)
        self.switch_hint = QLabel(self.tr("Someone else taking over this workstation?"), self)
        self.switch_hint.setFont(sized_font(TEXT_PT - 2))
        self.switch_hint.setStyleSheet("color: #cfd8dc;")
        self.switch_hint.setBuddy(self.switch_button)

        self.message = QLabel(self)
        self.message.setFont(sized_font(TEXT_PT, bold=True))
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Unlock message"))
        self.message.hide()

        row = QHBoxLayout()
        row.setSpacing(12)
        row.addWidget(self.password_label)
        row.addWidget(self.password_edit, 1)
        row.addWidget(self.unlock_button)
        switch_row = QHBoxLayout()
        switch_row.setSpacing(12)
        switch_row.addWidget(self.switch_hint)
        switch_row.addWidget(self.switch_button)
        switch_row.addStretch(1)
        box = QVBoxLayout()
        box.setSpacing(16)
        for w in (self.title, self.explain, self.locked_at):
            box.addWidget(w)
        box.addSpacing(12)
        box.addLayout(row)
        box.addWidget(self.message)
        box.addSpacing(24)
        box.addLayout(switch_row)
        content = QWidget(self)
        content.setLayout(box)
        content.setMaximumWidth(980)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(content)
        column.addStretch(2)
        outer.addLayout(column, 4)
        outer.addStretch(1)

    def reset(self, locked_at_text: str = "") -> None:
        """Empty field, no message, ready for typing."""
        self.locked_at.setText(self.tr("Locked after inactivity at {time}.").format(time=locked_at_text)
                               if locked_at_text else "")
        self.password_edit.clear()
        self.message.hide()
        self._set_busy(False)
        self.password_edit.setFocus()

    def _submit(self) -> None:
        password = self.password_edit.text()
        if not password:
            self._say(self.tr("Type your password first."), error=True)
            return
        self._set_busy(True)
        self._say(self.tr("Checking the password…"), error=False)
        self.unlock_requested.emit(password)

    def _switch_user(self) -> None:
        self._say(self.tr("Switching user ends the session of {user} on this workstation; "
                          "the next user signs in with their own password.").format(
                              user=self.user_label or self.tr("the signed-in user")), error=False)
        self.switch_user_requested.emit()

    def show_wrong_password(self) -> None:
        self._fail(self.tr("Wrong password — the screen stays locked. Try again."))

    def show_error(self, text: str) -> None:
        self._fail(text)

    def _fail(self, text: str) -> None:
        self._set_busy(False)
        self.password_edit.clear()
        self.password_edit.setFocus()
        self._say(text, error=True)

    def _say(self, text: str, *, error: bool) -> None:
        self.message.setText(text)
        # Outlined, not filled: a filled red or yellow box would look like an alarm.
        self.message.setStyleSheet("color: #ffffff; border: 2px solid #ffffff; padding: 6px 10px;" if error
                                   else "color: #e3f2fd; padding: 6px 0px;")
        self.message.show()

    def _set_busy(self, busy: bool) -> None:
        self.password_edit.setEnabled(not busy)
        self.unlock_button.setEnabled(not busy)
