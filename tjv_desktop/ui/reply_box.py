"""The reply box under a patient's messages: a text, the tenant's quick replies, Send. Sending hands the
text to ``send`` (the engine's outbox: works offline, sent once) and clears the box; what was sent shows
in the messages as pending until the server has it. Too long or empty text is refused here with a clear
word and kept in the box."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tjv_desktop.store import MAX_REPLY_BYTES


class ReplyBox(QWidget):
    reply_was_requested = Signal(str)  # the text to send to the patient shown

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAccessibleName(self.tr("Reply to the patient"))
        self.text = QPlainTextEdit(self)
        self.text.setPlaceholderText(self.tr("Write to the patient…"))
        self.text.setAccessibleName(self.tr("Reply text"))
        self.text.setMaximumHeight(52)
        self.quick = QComboBox(self)
        self.quick.setAccessibleName(self.tr("Quick replies"))
        self.send_button = QPushButton(self.tr("Send"), self)
        self.send_button.setAccessibleName(self.tr("Send the reply"))
        self.note = QLabel("", self)
        self.note.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.quick, 1)
        row.addWidget(self.note, 2)
        row.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        layout.addLayout(row)
        self.set_quick_replies([])
        self.quick.activated.connect(self._use_quick)
        self.send_button.clicked.connect(self.send)

    def set_quick_replies(self, replies: Sequence[dict]) -> None:
        """The tenant's quick replies ({label, body}), in their order."""
        self.quick.clear()
        self.quick.addItem(self.tr("Quick replies…"), None)
        for reply in replies:
            self.quick.addItem(str(reply.get("label") or ""), str(reply.get("body") or ""))

    def _use_quick(self, index: int) -> None:
        body = self.quick.itemData(index)
        if body:
            self.text.setPlainText(body)
        self.quick.setCurrentIndex(0)

    def send(self) -> None:
        body = self.text.toPlainText()
        size = len(body.encode("utf-8"))
        if not body.strip():
            self.note.setText(self.tr("Write something first."))
            return
        if size > MAX_REPLY_BYTES:
            self.note.setText(self.tr("Too long: {n} bytes, at most {max}.").format(n=size, max=MAX_REPLY_BYTES))
            return
        self.note.setText(self.tr("Reply queued: sent now, or when the station is back online."))
        self.text.clear()
        self.reply_was_requested.emit(body)


def message_mark(message: dict) -> str:
    """What the messages list says after a clinician's message: pending, refused, delivered or read."""
    state = message.get("local_state")
    if state == "pending":
        return QCoreApplication.translate("ReplyBox", "sending…")
    if state == "failed":
        return QCoreApplication.translate("ReplyBox", "not sent: {error}").format(error=message.get("last_error") or "")
    if message.get("sender_role") != "provider":
        return ""
    if message.get("read_at"):
        return QCoreApplication.translate("ReplyBox", "read")
    if message.get("delivered_at"):
        return QCoreApplication.translate("ReplyBox", "delivered")
    return QCoreApplication.translate("ReplyBox", "sent")
