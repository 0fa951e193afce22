"""The window that says why TJV Desktop will not start: an invalid setting, its value and where it came
from (machine policy, the installer's defaults, the user's settings).

A program started from a desktop shortcut or the Start menu has no console anyone reads, so the refusal
must be seen on screen as well as in the log. The settings cannot be trusted here (they are what is
wrong), so the language follows the desktop's.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QMessageBox


def settings_error_box(error_text: str) -> QMessageBox:
    """The message box, built but not shown (tests render it)."""
    translate = QCoreApplication.translate
    box = QMessageBox(QMessageBox.Icon.Critical, translate("StartupError", "TJV Desktop cannot start"),
                      translate("StartupError", "TJV Desktop cannot start: a setting is invalid."),
                      QMessageBox.StandardButton.Close)
    box.setInformativeText(error_text + "\n\n" + translate(
        "StartupError", "Ask your IT service desk to correct this setting. The program stays closed until it is valid."))
    font = QFont(box.font())
    font.setPointSize(13)
    box.setFont(font)
    return box


def show_settings_error(error_text: str) -> None:
    """Shows the refusal and waits until it is closed."""
    from .i18n import install_translator

    app = QApplication.instance() or QApplication(["tjv-desktop"])
    install_translator(app, "system")
    settings_error_box(error_text).exec()
