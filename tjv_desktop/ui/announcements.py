"""Tenant announcements (broadcast ``announcement`` on ``tenant:<id>:announcements``) as a banner that
stays until someone dismisses it. Several queue up; the banner says how many more wait. A payload that
is not an announcement (no text, too long, wrong types) is logged and ignored."""

from __future__ import annotations

import logging
from datetime import datetime

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from tjv_desktop.domain.events import BroadcastArrived, StationEvents

log = logging.getLogger(__name__)

MAX_TEXT = 500
EVENT = "announcement"


def parse_announcement(payload: object) -> dict | None:
    """``{"message": str, "from"?: str, "urgent"?: bool}``, or None if it is not one."""
    if not isinstance(payload, dict):
        return None
    message, sender, urgent = payload.get("message"), payload.get("from", ""), payload.get("urgent", False)
    if not isinstance(message, str) or not message.strip() or len(message) > MAX_TEXT \
            or not isinstance(sender, str) or len(sender) > 120 or not isinstance(urgent, bool):
        return None
    return {"message": message.strip(), "from": sender, "urgent": urgent, "at": datetime.now()}


class AnnouncementBanner(QFrame):
    """Announcements broadcast to the tenant, one at a time until dismissed; hears ``broadcast_arrived``."""

    def __init__(self, events: StationEvents, parent=None):
        super().__init__(parent)
        events.broadcast_arrived.add(self.handle_broadcast)
        self.setObjectName("announcementBanner")
        self.queue: list[dict] = []
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        font = QFont(self.text.font())
        font.setPointSize(15)
        font.setBold(True)
        self.text.setFont(font)
        self.dismiss = QPushButton(self.tr("Dismiss announcement"), self)
        self.dismiss.setFont(font)
        self.dismiss.clicked.connect(self.dismiss_current)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.dismiss)
        self.hide()

    def handle_broadcast(self, broadcast: BroadcastArrived) -> None:
        """Takes announcements, leaves everything else."""
        channel = broadcast.channel
        if not channel.endswith(":announcements") or broadcast.event != EVENT:
            return
        announcement = parse_announcement(dict(broadcast.payload))
        if announcement is None:
            log.warning("announcements: ignored a malformed announcement on %s", channel)
            return
        self.queue.append(announcement)
        self._render()

    def dismiss_current(self) -> None:
        if self.queue:
            self.queue.pop(0)
        self._render()

    def _render(self) -> None:
        if not self.queue:
            self.hide()
            return
        a = self.queue[0]
        head = self.tr("URGENT ANNOUNCEMENT") if a["urgent"] else self.tr("ANNOUNCEMENT")
        sender = self.tr(" from {name}").format(name=a["from"]) if a["from"] else ""
        more = self.tr(" ({n} more waiting)").format(n=len(self.queue) - 1) if len(self.queue) > 1 else ""
        self.text.setText(f"{head}{sender} · {a['at'].strftime('%H:%M')}{more}\n{a['message']}")
        colours = ("#b71c1c", "#ffffff") if a["urgent"] else ("#0d47a1", "#ffffff")
        self.setStyleSheet(f"#announcementBanner {{ background: {colours[0]}; border: 3px solid #ffffff; }}"
                           f"#announcementBanner QLabel {{ color: {colours[1]}; }}")
        self.show()
