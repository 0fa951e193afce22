"""The connection health panel: is the link alive, how fast, how busy, and what did it do lately.

For the clinician it answers "can I trust this screen?"; for support it shows the figures over the last
15 minutes and the debug trace of recent realtime events, which is redacted of patient identifiers when
recorded (backend/trace.py). "Export snapshot…" writes all of it to one JSON file to attach to a ticket.
Everything is redrawn by a 1 Hz timer from the ``Health`` object, never per event.
"""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QStringListModel, Qt, QTimer
from PySide6.QtGui import QFont, QFontDatabase, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from tjv_desktop import __version__
from tjv_desktop.backend.health import Health
from tjv_desktop.domain.events import LinkState

log = logging.getLogger(__name__)

FONT_PT = 15
STATE_PT = 20
TRACE_PT = 12
# (symbol, background, text colour) per state: the symbol and the words carry it, colour only adds.
STATE_LOOK = {
    LinkState.CONNECTED: ("●", "#2e7d32", "#ffffff"),
    LinkState.CONNECTING: ("◌", "#8d6e00", "#ffffff"),
    LinkState.RECONNECTING: ("↻", "#8d6e00", "#ffffff"),
    LinkState.LOST: ("▲", "#b71c1c", "#ffffff"),
    LinkState.STOPPED: ("■", "#424242", "#ffffff"),
}
MIN_SPAN_S = 120
RTT_COLOUR, IN_COLOUR, OUT_COLOUR = "#4fc3f7", "#e0e0e0", "#ffb74d"


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}\u00a0ms"


def _age(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}" if seconds >= 60 else f"{seconds}\u00a0s"


def trace_line(event: dict) -> str:
    """One trace event as a line: local time, kind, then its fields."""
    stamp = datetime.fromtimestamp(event["at"]).strftime("%H:%M:%S.%f")[:-3]
    fields = " ".join(f"{k}={v}" for k, v in event.items() if k not in ("seq", "at", "kind") and v not in ("", None))
    return f"{stamp}  {event['kind']:<10} {fields}"


class HealthPanel(QWidget):
    """A non-modal window on ``health``; ``export_snapshot(path)`` writes the JSON snapshot."""

    def __init__(self, health: Health, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.health = health
        self._trace_seq = -1
        self._dialog: QFileDialog | None = None
        self.setWindowTitle(self.tr("Connection health — TJV Desktop"))
        self.setAccessibleName(self.tr("Connection health"))
        font = QFont()
        font.setPointSize(FONT_PT)
        self.setFont(font)

        self.state_label = QLabel(self)
        self.state_label.setAccessibleName(self.tr("Connection state"))
        state_font = QFont(font)
        state_font.setPointSize(STATE_PT)
        state_font.setBold(True)
        self.state_label.setFont(state_font)
        self.state_label.setWordWrap(True)

        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        self.values: dict[str, QLabel] = {}
        rows = (("rtt", self.tr("Probe round trip")), ("rates", self.tr("Messages")),
                ("queue", self.tr("Queue depth")), ("reconnects", self.tr("Reconnects")),
                ("resync", self.tr("Last resync")), ("probe", self.tr("Last probe answer")))
        for i, (key, title) in enumerate(rows):
            name = QLabel(title + ":", self)
            value = QLabel(self)
            value.setAccessibleName(title)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            bold = QFont(font)
            bold.setBold(True)
            value.setFont(bold)
            grid.addWidget(name, i // 2, (i % 2) * 2)
            grid.addWidget(value, i // 2, (i % 2) * 2 + 1)
            self.values[key] = value
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)

        self.charts = pg.GraphicsLayoutWidget(self)
        self.charts.setBackground("#121212")
        self.charts.setAccessibleName(self.tr("Round trip and message rate charts"))
        self.charts.setMinimumHeight(300)
        axis_font = QFont()
        axis_font.setPointSize(11)
        self.rtt_plot = self.charts.addPlot(row=0, col=0, axisItems={"bottom": pg.DateAxisItem()})
        self.rate_plot = self.charts.addPlot(row=1, col=0, axisItems={"bottom": pg.DateAxisItem()})
        self.rtt_plot.setTitle(self.tr("Probe round trip (ms)"), color="#ffffff", size="13pt")
        self.rate_plot.setTitle(self.tr("Messages per second: in (white), out (orange)"), color="#ffffff",
                                size="13pt")
        for plot in (self.rtt_plot, self.rate_plot):
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTickFont(axis_font)
                plot.getAxis(axis).setTextPen("#e0e0e0")
        self.rate_plot.setXLink(self.rtt_plot)
        self.rtt_curve = self.rtt_plot.plot([], [], pen=pg.mkPen(RTT_COLOUR, width=2), symbol="o", symbolSize=5,
                                            symbolBrush=RTT_COLOUR, symbolPen=None, connect="finite")
        self.in_curve = self.rate_plot.plot([], [], pen=pg.mkPen(IN_COLOUR, width=2))
        # Dashed as well as orange: the two rates differ by more than colour.
        self.out_curve = self.rate_plot.plot([], [], pen=pg.mkPen(OUT_COLOUR, width=2, style=Qt.PenStyle.DashLine))

        trace_title = QLabel(self.tr("Recent realtime events (patient identifiers replaced by pseudonyms)"), self)
        self.trace_model = QStringListModel(self)
        self.trace_view = QListView(self)
        self.trace_view.setModel(self.trace_model)
        self.trace_view.setAccessibleName(self.tr("Recent realtime events"))
        self.trace_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.trace_view.setTextElideMode(Qt.TextElideMode.ElideNone)  # long lines scroll, never cut
        self.trace_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        mono.setPointSize(TRACE_PT)
        self.trace_view.setFont(mono)

        self.export_button = QPushButton(self.tr("Export snapshot…"), self)
        self.export_button.setAccessibleName(self.tr("Export a health snapshot to a file"))
        self.export_button.clicked.connect(self.choose_export_file)
        self.close_button = QPushButton(self.tr("Close"), self)
        self.close_button.clicked.connect(self.close)
        self.export_note = QLabel(self)
        self.export_note.setWordWrap(True)
        self.export_note.setAccessibleName(self.tr("Export result"))

        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.export_note, 1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state_label)
        layout.addLayout(grid)
        layout.addWidget(self.charts, 3)
        layout.addWidget(trace_title)
        layout.addWidget(self.trace_view, 2)
        layout.addLayout(buttons)
        self.resize(1100, 900)

        self.timer = QTimer(self)
        self.timer.setInterval(1000)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        self.refresh()

    # --- rendering ----------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Redraws figures, charts and (when it grew) the trace from the Health object."""
        snap = self.health.snapshot()
        now = time.time()
        self._render_state(snap, now)
        rtt = snap["probe_rtt_ms"]
        self.values["rtt"].setText(self.tr("p50 {p50} · p95 {p95} · p99 {p99} ({n} probes)").format(
            p50=_ms(rtt["p50"]), p95=_ms(rtt["p95"]), p99=_ms(rtt["p99"]), n=rtt["samples"]))
        self.values["rates"].setText(self.tr("in {i}/s · out {o}/s").format(
            i=f"{snap['messages_in_per_s']:.1f}", o=f"{snap['messages_out_per_s']:.1f}"))
        self.values["queue"].setText(str(snap["queue_depth"]))
        self.values["reconnects"].setText(str(snap["reconnects"]))
        if snap["last_resync_at"] is None:
            self.values["resync"].setText(self.tr("none yet"))
        else:
            self.values["resync"].setText(self.tr("{age} ago · {rows} rows · {ms}").format(
                age=_age(now - snap["last_resync_at"]), rows=snap["last_resync_rows"], ms=_ms(snap["last_resync_ms"])))
        self.values["probe"].setText(self.tr("none yet") if snap["last_probe_at"] is None
                                     else self.tr("{age} ago").format(age=_age(now - snap["last_probe_at"])))
        self._render_charts()
        self._render_trace()

    def _render_state(self, snap: dict, now: float) -> None:
        state = LinkState(snap["state"])
        symbol, background, colour = STATE_LOOK[state]
        words = {LinkState.CONNECTED: self.tr("Connected"), LinkState.CONNECTING: self.tr("Connecting"),
                 LinkState.RECONNECTING: self.tr("Reconnecting"), LinkState.LOST: self.tr("Connection lost"),
                 LinkState.STOPPED: self.tr("Stopped")}[state]
        text = self.tr("{symbol} {state} for {age}").format(symbol=symbol, state=words,
                                                            age=_age(now - snap["state_since"]))
        if snap["state_reason"] and state is not LinkState.CONNECTED:
            text += f" — {self.health.trace.redactor.text(snap['state_reason'])}"
        self.state_label.setText(text)
        self.state_label.setStyleSheet(f"QLabel {{ background: {background}; color: {colour}; padding: 6px 12px; }}")

    def _render_charts(self) -> None:
        samples = self.health.history.as_list()
        if not samples:
            self.rtt_plot.setXRange(time.time() - MIN_SPAN_S, time.time(), padding=0.01)
            return
        at = np.array([s["at"] for s in samples], dtype=float)
        rtt = np.array([np.nan if s["rtt_ms"] is None else s["rtt_ms"] for s in samples], dtype=float)
        self.rtt_curve.setData(at, rtt, connect="finite")
        self.in_curve.setData(at, np.array([s["messages_in_per_s"] for s in samples], dtype=float))
        self.out_curve.setData(at, np.array([s["messages_out_per_s"] for s in samples], dtype=float))
        # At least the last MIN_SPAN_S up to now, so the time axis reads as clock times from the start.
        end = max(time.time(), at[-1])
        self.rtt_plot.setXRange(min(at[0], end - MIN_SPAN_S), end, padding=0.01)

    def _render_trace(self) -> None:
        if self.health.trace.seq == self._trace_seq:
            return
        self._trace_seq = self.health.trace.seq
        bar = self.trace_view.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        self.trace_model.setStringList([trace_line(e) for e in self.health.trace.events()])
        if at_bottom:  # follow new events unless the reader scrolled up to study one
            self.trace_view.scrollToBottom()

    # --- export -------------------------------------------------------------------------------------

    def snapshot(self) -> dict:
        """Everything the panel shows, as one JSON-ready dict, redacted like the trace."""
        redact = self.health.trace.redactor.value
        now = datetime.now(UTC)
        return {"app": "tjv-desktop", "version": __version__, "exported_at": now.isoformat(),
                "health": redact(self.health.snapshot()), "history": redact(self.health.history.as_list()),
                "trace": self.health.trace.events()}

    def export_snapshot(self, path: Path | str) -> Path:
        """Writes the snapshot to ``path`` (replaced whole, never half-written); raises OSError."""
        path = Path(path)
        temporary = path.with_name(f".{path.name}.partial")
        try:
            temporary.write_text(json.dumps(self.snapshot(), indent=1, ensure_ascii=False), encoding="utf-8")
            os.replace(temporary, path)
        except OSError:
            temporary.unlink(missing_ok=True)
            raise
        return path

    def choose_export_file(self) -> None:
        """Asks where to save (window-modal, no nested event loop), then exports."""
        dialog = QFileDialog(self, self.tr("Export health snapshot"), str(Path.home()),
                             self.tr("JSON files (*.json)"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setDefaultSuffix("json")
        dialog.selectFile(f"tjv-health-{datetime.now():%Y%m%d-%H%M%S}.json")
        dialog.fileSelected.connect(self._export_to)
        self._dialog = dialog
        dialog.open()

    def _export_to(self, name: str) -> None:
        try:
            path = self.export_snapshot(name)
        except OSError as exc:
            log.warning("health snapshot not saved to %s: %s", name, exc)
            self.export_note.setText(self.tr("Not saved: {error}").format(error=exc.strerror or str(exc)))
            self.export_note.setStyleSheet("color: #ff8a80;")
            return
        self.export_note.setText(self.tr("Saved to {path}").format(path=str(path)))
        self.export_note.setStyleSheet("")


class HealthLauncher(QObject):
    """The main window's way in: a status-bar button and Ctrl+Shift+H open the panel, enabled once the
    link's ``Health`` is given (``set_health``); refused while the window is locked."""

    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.health: Health | None = None
        self.panel: HealthPanel | None = None
        self.button = QPushButton(self.tr("Connection health"), window)
        font = QFont()
        font.setPointSize(13)
        self.button.setFont(font)
        self.button.setAccessibleName(self.tr("Connection health"))
        self.button.setToolTip(self.tr("Connection health (Ctrl+Shift+H)"))
        self.button.setEnabled(False)
        self.button.clicked.connect(self.show)
        window.statusBar().addPermanentWidget(self.button)
        QShortcut(QKeySequence("Ctrl+Shift+H"), window, activated=self.show)

    def set_health(self, health: Health) -> None:
        self.health = health
        self.button.setEnabled(True)

    def show(self) -> HealthPanel | None:
        if self.health is None or getattr(self.window, "locked", False):
            return None
        if self.panel is None:
            self.panel = HealthPanel(self.health, self.window)
        self.panel.show()
        self.panel.raise_()
        self.panel.activateWindow()
        return self.panel
