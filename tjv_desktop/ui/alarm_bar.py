"""The always-visible alarm bar: the most urgent alarm, counts, pause state and technical alarm.

Signalling decisions live in ``domain.alarms.AlarmSystem``; this widget only renders its status. The
flash is a QTimer at the domain's rate toggling the top panel between its priority colour and dark;
a 1 s tick updates countdowns. Audio pause / alarm pause buttons apply the pause to the alarm system
and then emit ``audio_pause_requested`` / ``alarm_pause_requested`` so the window can propagate or log.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from ..domain.alarms import AlarmEvent, AlarmStatus, AlarmSystem, ShownAlarm
from ..domain.alerts import PRIORITIES, VISUAL, AlertState, Priority
from .audio import AlarmAudio
from .theme import restyle

DARK = "#1e1e1e"
MAIN_FONT_PT = 24
INFO_FONT_PT = 16
AGE_FONT_PT = 18
SMALL_FONT_PT = 13


def _clock_text(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _number(value: Any) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)


class AlarmBar(QWidget):
    """``AlarmBar(alarm_system, clock=time.monotonic)``; feed it ``update_alerts`` and ``set_technical``."""

    audio_pause_requested = Signal()
    alarm_pause_requested = Signal()
    # Transitions for the audit trail (rare: pauses, break-throughs, raised/cleared alarms).
    alarm_events_did_occur = Signal(list)

    def __init__(self, alarm_system: AlarmSystem, clock: Callable[[], float] = time.monotonic,
                 audio: AlarmAudio | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.system = alarm_system
        self.clock = clock
        self.audio = audio if audio is not None else AlarmAudio(self)
        self.status: AlarmStatus | None = None
        self.is_lit = True
        self._patients: Mapping[str, str] = {}
        self._flash_key: str | None = None
        self.setAccessibleName(self.tr("Alarm bar"))
        # Dark so that it does not glare at night; colour is reserved for alarm coding.
        self.setObjectName("alarmBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.idle_colour = DARK
        self._style_bar()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        self.panel = QFrame(self)
        self.panel.setObjectName("alarmPanel")
        self.panel.setAccessibleName(self.tr("Most urgent alarm"))
        self.priority_label = self._label(MAIN_FONT_PT, self.tr("Alarm priority"), self.panel)
        self.message_label = self._label(MAIN_FONT_PT, self.tr("Alarm message"), self.panel)
        self.message_label.setWordWrap(True)
        self.message_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.age_label = self._label(AGE_FONT_PT, self.tr("Time since the alarm started"), self.panel)
        top = QHBoxLayout(self.panel)
        top.setContentsMargins(16, 10, 16, 10)
        top.setSpacing(16)
        marker = QVBoxLayout()
        marker.setSpacing(0)
        marker.addWidget(self.priority_label)
        marker.addWidget(self.age_label)
        top.addLayout(marker)
        top.addWidget(self.message_label, 1)

        self.count_labels = {p: self._label(INFO_FONT_PT, self.tr("Alarm count"), self) for p in PRIORITIES}
        self.pause_label = self._label(INFO_FONT_PT, self.tr("Alarm inactivation state"), self)
        self.technical_label = self._label(INFO_FONT_PT, self.tr("Technical alarm"), self)
        self.audio_label = self._label(SMALL_FONT_PT, self.tr("Audio status"), self)
        self.audio_button = self._button(self.tr("Audio pause"), "Ctrl+Shift+A", self._on_audio_button)
        self.alarm_button = self._button(self.tr("Alarm pause"), "Ctrl+Shift+P", self._on_alarm_button)

        # Left: the alarm panel over a status row. Right: the pause controls, steady (never flashing).
        # Kept narrow enough for a 1280-px-wide window.
        info = QHBoxLayout()
        info.setContentsMargins(8, 6, 8, 6)
        info.setSpacing(10)
        for label in self.count_labels.values():
            info.addWidget(label)
        info.addSpacing(16)
        info.addWidget(self.technical_label)
        info.addWidget(self.pause_label)
        info.addStretch(1)
        left = QVBoxLayout()
        left.setSpacing(0)
        left.addWidget(self.panel)
        left.addLayout(info)
        controls = QVBoxLayout()
        controls.setContentsMargins(8, 6, 8, 6)
        controls.setSpacing(6)
        controls.addWidget(self.audio_button)
        controls.addWidget(self.alarm_button)
        controls.addWidget(self.audio_label, 0, Qt.AlignmentFlag.AlignHCenter)
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addLayout(left, 1)
        outer.addLayout(controls)

        self.audio_label.setStyleSheet("color: #ffb000; border: 2px solid #ffb000; padding: 4px 10px;")
        self.audio.status_did_change.connect(self._render_audio)
        self._render_audio()

        self.flash_timer = QTimer(self)
        self.flash_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.flash_timer.timeout.connect(self._toggle_flash)
        self.tick_timer = QTimer(self)
        self.tick_timer.setInterval(1000)
        self.tick_timer.timeout.connect(self.refresh)
        self.tick_timer.start()
        self.refresh()

    def _label(self, points: int, accessible: str, parent: QWidget) -> QLabel:
        label = QLabel(parent)
        font = QFont(label.font())
        font.setPointSize(points)
        font.setBold(True)
        label.setFont(font)
        label.setAccessibleName(accessible)
        return label

    def _button(self, text: str, shortcut: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(self)
        font = QFont(button.font())
        font.setPointSize(INFO_FONT_PT)
        button.setFont(font)
        button.setMinimumHeight(44)
        button.setAccessibleName(text)
        button.setProperty("shortcut_text", shortcut)
        button.clicked.connect(slot)
        # A QShortcut, not QPushButton.setShortcut: setText() resets a button's shortcut.
        QShortcut(QKeySequence(shortcut), self, slot).setObjectName(f"shortcut {shortcut}")
        return button

    # -- inputs ----------------------------------------------------------------------------------

    def stop(self) -> None:
        """The station stops: no more ticks or flashes (nothing left to signal to), no sound player."""
        self.tick_timer.stop()
        self.flash_timer.stop()
        self.audio.close()

    def update_alerts(self, alerts: list[dict], patients: dict[str, str]) -> None:
        """The server's current alerts and the display names of their patients."""
        self._patients = dict(patients)
        self._emit(self.system.set_alerts(alerts, self.clock()))
        self.refresh()

    def set_technical(self, lost_since: float | None, stale_age: float | None) -> None:
        """Link health on the bar's clock: when communication was lost, age of the newest data."""
        self._emit(self.system.set_technical(self.clock(), lost_since=lost_since, stale_age=stale_age))
        self.refresh()

    def _on_audio_button(self) -> None:
        now = self.clock()
        if self.status is not None and self.status.inactivation == "audio_paused":
            self._emit(self.system.end_pause(now))
        else:
            self._emit(self.system.pause_audio(now))
            self.audio_pause_requested.emit()
        self.refresh()

    def _on_alarm_button(self) -> None:
        now = self.clock()
        if self.status is not None and self.status.inactivation == "alarm_paused":
            self._emit(self.system.end_pause(now))
        else:
            self._emit(self.system.pause_alarms(now))
            self.alarm_pause_requested.emit()
        self.refresh()

    def _emit(self, events: list[AlarmEvent]) -> None:
        if events:
            self.alarm_events_did_occur.emit(list(events))

    # -- rendering -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Re-evaluate the alarm system at the clock's now and redraw."""
        status = self.system.evaluate(self.clock())
        self.status = status
        self._emit(list(status.events))
        self._render_top(status.top, status.now)
        self._render_counts(status)
        self._render_pause(status)
        self._render_technical(status.technical, status.now)
        self.audio.set_priority(status.audio_priority)
        self._update_flash(status.top)

    def _priority_name(self, priority: str) -> str:
        return {Priority.HIGH: self.tr("HIGH"), Priority.MEDIUM: self.tr("MEDIUM"),
                Priority.LOW: self.tr("LOW")}[priority]

    def _describe(self, alarm: ShownAlarm) -> str:
        if alarm.technical_kind == "communication_lost":
            return self.tr("Server connection lost: new alarms may not arrive")
        if alarm.technical_kind == "data_stale":
            return self.tr("No new data: alarms may be out of date")
        alert = alarm.alert
        # A tenant-wide alert (a ward metric over its limit) concerns no single patient.
        name = (self._patients.get(alarm.patient_id, self.tr("Unknown patient")) if alarm.patient_id
                else self.tr("Whole ward"))
        text = f"{name}: {alarm.message}"
        details = alert.details if alert else {}
        # Messages written by the platform already state the value and the limit; add them only when
        # the message does not (never say them twice).
        if details.get("value") is not None and "limit" not in (alarm.message or "").lower():
            unit = details.get("unit") or ""
            # Non-breaking spaces keep "90 %" together when the message wraps.
            value = f"{_number(details['value'])}\u00a0{unit}".strip()
            if details.get("limit_value") is not None:
                limit = f"{_number(details['limit_value'])}\u00a0{unit}".strip()
                text += " " + self.tr("({value}, limit\u00a0{limit})").format(value=value, limit=limit)
            else:
                text += f" ({value})"
        if alarm.state == AlertState.REJECTED:
            text += " " + self.tr("[rejected: needs an owner]")
        elif not alarm.needs_response and alarm.technical_kind is None:
            text += " " + self.tr("[{state}]").format(
                state=self.tr("acknowledged") if alarm.state == AlertState.ACKNOWLEDGED else self.tr("accepted"))
        return text

    def _render_top(self, top: ShownAlarm | None, now: float) -> None:
        if top is None:
            self.priority_label.setText("")
            self.message_label.setText(self.tr("No active alarms"))
            self.age_label.setText("")
            self.panel.setAccessibleDescription(self.tr("No active alarms"))
            self._top_style = ("#2e7d32", "#ffffff")
            return
        coding = VISUAL[top.priority]
        self.priority_label.setText(f"{coding.marker} {self._priority_name(top.priority)}")
        self.message_label.setText(self._describe(top))
        self.age_label.setText(self.tr("for {time}").format(time=_clock_text(now - top.since))
                               if top.since is not None else "")
        self.panel.setAccessibleDescription(f"{self.priority_label.text()} {self.message_label.text()}")
        self._top_style = (coding.colour, coding.text_colour)

    def _render_counts(self, status: AlarmStatus) -> None:
        for priority, label in self.count_labels.items():
            coding = VISUAL[priority]
            count, waiting = status.counts[priority], status.waiting_counts[priority]
            # Marker and colour name the priority, as in the panel above ("*** HIGH").
            text = f"{coding.marker} {waiting}"
            if count > waiting:
                text += " " + self.tr("+{n} ack").format(n=count - waiting)
            label.setText(text)
            label.setToolTip(self.tr("{priority}: {waiting} waiting, {responded} acknowledged").format(
                priority=self._priority_name(priority), waiting=waiting, responded=count - waiting))
            label.setAccessibleName(self.tr("{priority} priority alarms").format(
                priority=self._priority_name(priority)))
            label.setAccessibleDescription(self.tr("{waiting} waiting, {responded} acknowledged").format(
                waiting=waiting, responded=count - waiting))
            colours = (coding.colour, coding.text_colour) if count else ("#3a3a3a", "#bdbdbd")
            restyle(label, f"background: {colours[0]}; color: {colours[1]}; padding: 4px 12px; border-radius: 4px;")

    def _render_pause(self, status: AlarmStatus) -> None:
        remaining = _clock_text(status.pause_remaining or 0)
        if status.inactivation == "audio_paused":
            self.pause_label.setText(self.tr("AUDIO PAUSED {time}").format(time=remaining))
        elif status.inactivation == "alarm_paused":
            self.pause_label.setText(self.tr("ALARM PAUSED {time}").format(time=remaining))
        self.pause_label.setVisible(status.inactivation != "none")
        restyle(self.pause_label, "background: #ffffff; color: #000000; padding: 4px 10px; border: 3px solid #000000;")
        audio_text = self.tr("Resume audio") if status.inactivation == "audio_paused" else self.tr("Audio pause")
        alarm_text = self.tr("Resume alarms") if status.inactivation == "alarm_paused" else self.tr("Alarm pause")
        for button, text in ((self.audio_button, audio_text), (self.alarm_button, alarm_text)):
            button.setText(text)
            button.setAccessibleName(text)
            key = QKeySequence(button.property("shortcut_text")).toString(QKeySequence.SequenceFormat.NativeText)
            button.setToolTip(f"{text} ({key})")
            button.setAccessibleDescription(self.tr("Shortcut {key}").format(key=key))

    def _render_audio(self) -> None:
        """"Audio unavailable" (with the reason as tooltip) whenever the tones cannot sound; nothing
        while the player starts or plays."""
        unavailable = self.audio.status == AlarmAudio.UNAVAILABLE
        self.audio_label.setVisible(unavailable)
        if unavailable:
            self.audio_label.setText(self.tr("Audio unavailable"))
            self.audio_label.setToolTip(self.audio.reason)
            self.audio_label.setAccessibleDescription(self.audio.reason)

    def _render_technical(self, technical: ShownAlarm | None, now: float) -> None:
        self.technical_label.setVisible(technical is not None)
        if technical is None:
            return
        coding = VISUAL[technical.priority]
        what = (self.tr("NO CONNECTION") if technical.technical_kind == "communication_lost"
                else self.tr("DATA STALE"))
        text = f"{coding.marker} {what}"
        if technical.since is not None:
            text += " " + self.tr("for {time}").format(time=_clock_text(now - technical.since))
        self.technical_label.setText(text)
        restyle(self.technical_label, f"background: {coding.colour}; color: {coding.text_colour};"
                                      " padding: 4px 10px; border-radius: 4px;")

    # -- flashing --------------------------------------------------------------------------------

    def _update_flash(self, top: ShownAlarm | None) -> None:
        key = top.priority if top is not None and top.flashing else None
        if key != self._flash_key:
            self._flash_key = key
            self.is_lit = True
            if key is None:
                self.flash_timer.stop()
            else:
                self.flash_timer.start(round(VISUAL[key].on_seconds * 1000))
        self._paint_panel()

    def _toggle_flash(self) -> None:
        if self._flash_key is None:
            return
        self.is_lit = not self.is_lit
        coding = VISUAL[self._flash_key]
        self.flash_timer.setInterval(round((coding.on_seconds if self.is_lit else coding.off_seconds) * 1000))
        self._paint_panel()

    def set_theme(self, theme) -> None:
        """The bar's surroundings follow the theme (``ui.theme``); alarm colours never do."""
        self.idle_colour = theme.idle_panel
        self._style_bar()
        self._paint_panel()

    def _style_bar(self) -> None:
        self.setStyleSheet(f"#alarmBar {{ background: {self.idle_colour}; }}"
                           " #alarmBar QPushButton { background: #424242; color: #ffffff;"
                           " border: 2px solid #9e9e9e; border-radius: 4px; padding: 4px 14px; }"
                           " #alarmBar QPushButton:focus { border-color: #ffffff; }")

    def _paint_panel(self) -> None:
        background, text = self._top_style if self.is_lit else (self.idle_colour, "#ffffff")
        restyle(self.panel, f"#alarmPanel {{ background: {background}; }}"
                            f" #alarmPanel QLabel {{ color: {text}; background: transparent; }}")
