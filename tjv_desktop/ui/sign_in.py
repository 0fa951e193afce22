"""The sign-in window of ``tjv-desktop`` on a configured server.

It only collects the e-mail and password and shows what the start-up flow (``tjv_desktop.app.startup``)
tells it: the server it will talk to (and that IT set it, when machine policy locks it), why a stored
session could not be used, a refused password, an unreachable server. It never checks anything itself.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from .. import __version__
from .tables import sized_font

TITLE_PT = 28
TEXT_PT = 17


class SignInWindow(QWidget):
    """``submitted(email, password)`` on Enter or the button; ``closed`` when the user closes the window
    (the application then quits). The flow answers with ``show_error``, ``show_info`` or ``reset``."""

    submitted = Signal(str, str)
    closed = Signal()

    def __init__(self, server_url: str, *, server_locked: bool = False, email: str = "", note: str = "",
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("signIn")
        self.setWindowTitle(self.tr("TJV Desktop — sign in"))
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#signIn { background: #263238; } #signIn QLabel { color: #eceff1; }"
                           " #signIn QLineEdit { padding: 6px; }"
                           " #signIn QPushButton { background: #1565c0; color: #ffffff; padding: 8px 28px;"
                           " border: 2px solid #90caf9; border-radius: 4px; }"
                           " #signIn QPushButton:focus { border-color: #ffffff; }"
                           " #signIn QPushButton:disabled { background: #455a64; color: #b0bec5; }")
        self.setAccessibleName(self.tr("Sign in"))
        self._closing_by_flow = False

        self.title = QLabel(self.tr("TJV Desktop"), self)
        self.title.setFont(sized_font(TITLE_PT, bold=True))
        self.subtitle = QLabel(self.tr("Sign in to monitor your patients."), self)
        self.subtitle.setFont(sized_font(TEXT_PT))

        self.server_label = QLabel(self.tr("Server:"), self)
        self.server_value = QLabel(server_url, self)
        self.server_value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.server_value.setAccessibleName(self.tr("Server address"))
        self.server_note = QLabel(self.tr("Locked: set by your organisation's IT department") if server_locked
                                  else self.tr("from this workstation's settings"), self)
        self.server_note.setStyleSheet("color: #b0bec5;")
        self.server_note.setWordWrap(True)
        self.email_edit = QLineEdit(email, self)
        self.email_edit.setAccessibleName(self.tr("E-mail address"))
        self.email_edit.setPlaceholderText(self.tr("name@hospital.org"))
        self.password_edit = QLineEdit(self)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setAccessibleName(self.tr("Password"))
        self.password_edit.setPlaceholderText(self.tr("Type your password, then press Enter"))
        for w in (self.server_label, self.server_value, self.server_note, self.email_edit, self.password_edit):
            w.setFont(sized_font(TEXT_PT if w is not self.server_note else TEXT_PT - 3))
        self.email_edit.setMinimumWidth(460)
        self.email_edit.returnPressed.connect(self.password_edit.setFocus)
        self.password_edit.returnPressed.connect(self._submit)

        self.sign_in_button = QPushButton(self.tr("Sign in"), self)
        self.sign_in_button.setFont(sized_font(TEXT_PT, bold=True))
        self.sign_in_button.setAccessibleName(self.tr("Sign in"))
        self.sign_in_button.setDefault(True)
        self.sign_in_button.clicked.connect(self._submit)

        self.message = QLabel(self)
        self.message.setFont(sized_font(TEXT_PT, bold=True))
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Sign-in message"))
        self.message.hide()
        self.note = QLabel(note, self)
        self.note.setFont(sized_font(TEXT_PT - 3))
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #b0bec5;")
        self.note.setVisible(bool(note))
        self.version = QLabel(self.tr("Version {version}").format(version=__version__), self)
        self.version.setFont(sized_font(TEXT_PT - 5))
        self.version.setStyleSheet("color: #90a4ae;")

        form = QFormLayout()
        form.setVerticalSpacing(14)
        form.setHorizontalSpacing(16)
        server_box = QVBoxLayout()
        server_box.setSpacing(2)
        server_box.addWidget(self.server_value)
        server_box.addWidget(self.server_note)
        form.addRow(self.server_label, server_box)
        email_label = QLabel(self.tr("E-mail:"), self)
        password_label = QLabel(self.tr("Password:"), self)
        for label, edit in ((email_label, self.email_edit), (password_label, self.password_edit)):
            label.setFont(sized_font(TEXT_PT))
            label.setBuddy(edit)
            form.addRow(label, edit)
        button_row = QHBoxLayout()
        button_row.addStretch(1)
        button_row.addWidget(self.sign_in_button)

        box = QVBoxLayout()
        box.setSpacing(14)
        box.addWidget(self.title)
        box.addWidget(self.subtitle)
        box.addSpacing(10)
        box.addLayout(form)
        box.addLayout(button_row)
        box.addWidget(self.message)
        box.addWidget(self.note)
        box.addStretch(1)
        box.addWidget(self.version)
        content = QWidget(self)
        content.setLayout(box)
        content.setMaximumWidth(820)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        column = QVBoxLayout()
        column.addStretch(1)
        column.addWidget(content, 4)
        column.addStretch(1)
        outer.addLayout(column, 4)
        outer.addStretch(1)
        (self.password_edit if email else self.email_edit).setFocus()

    def _submit(self) -> None:
        email, password = self.email_edit.text().strip(), self.password_edit.text()
        if not email or not password:
            self.show_error(self.tr("Type your e-mail address and your password."))
            return
        self.set_busy(True)
        self._say(self.tr("Signing in…"), error=False)
        self.submitted.emit(email, password)

    def set_busy(self, busy: bool) -> None:
        for w in (self.email_edit, self.password_edit, self.sign_in_button):
            w.setEnabled(not busy)

    def show_error(self, text: str) -> None:
        """A refusal or a failure: the e-mail stays, the password is cleared for the next attempt."""
        self.set_busy(False)
        self.password_edit.clear()
        self._say(text, error=True)
        (self.password_edit if self.email_edit.text() else self.email_edit).setFocus()

    def show_info(self, text: str) -> None:
        self._say(text, error=False)

    def _say(self, text: str, *, error: bool) -> None:
        self.message.setText(text)
        # Outlined, not filled: a filled red box would look like an alarm.
        self.message.setStyleSheet("color: #ffffff; border: 2px solid #ffffff; padding: 6px 10px;" if error
                                   else "color: #e3f2fd; padding: 6px 0px;")
        self.message.show()

    def close_for_flow(self) -> None:
        """Closed because sign-in succeeded (not by the user)."""
        self._closing_by_flow = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if not self._closing_by_flow:
            self.closed.emit()
        super().closeEvent(event)
