"""One patient: vitals charts over 1 h / 8 h / 24 h / 72 h with the alert limits drawn and labelled and the
newest value in each chart's title, their alerts, messages and care plan.

The pane holds the patient's samples in memory; new samples (from change-sets) are appended and the
charts are redrawn by a 2 Hz timer, never per sample. Curves are clipped to the shown window and
downsampled (peak) to the pixel width, so 72 h at 1/min draws as a few hundred points per line
(benchmarks/chart_draw.py). It reads nothing itself: the window feeds it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from tjv_desktop.domain.alerts import marker
from tjv_desktop.domain.news2 import ALERT_RULES
from tjv_desktop.sync.read_side import instant
from tjv_desktop.sync.views import AlertRow, CensusRow, PatientDetailView

from .i18n import local_time
from .models import PRIORITY_BG, age_text
from .reply_box import message_mark
from .theme import STANDARD, Theme

RANGES_H = (1, 8, 24, 72)
REDRAW_MS = 500
CHART_ROWS_MIN_HEIGHT = 3 * 95  # three rows of charts, each with room for its curve and time axis
SYMBOL_SPACING_PX = 12  # symbols (5 px) only where samples are this far apart on average
FEW_SAMPLES = 12  # a handful of samples always get symbols (a single one would be invisible without)
# (title, unit, fields drawn, measure whose alert limits are drawn, fixed y range)
CHARTS = (
    ("Heart rate", "/min", ("heart_rate",), "heart_rate", (40, 160)),
    ("SpO₂", "%", ("spo2",), "spo2", (80, 100)),
    ("Respiratory rate", "/min", ("respiratory_rate",), "respiratory_rate", (5, 35)),
    ("Temperature", "°C", ("temperature",), "temperature", (35, 40.5)),
    ("Blood pressure", "mmHg", ("systolic_bp", "diastolic_bp"), "systolic_bp", (40, 200)),
    ("Pain", "/10", ("pain_score",), "pain_score", (0, 10)),
)
SECOND_LINE = "diastolic_bp"  # drawn in the theme's second series colour


def limits_for(measure: str) -> list:
    return [rule for rule in ALERT_RULES if rule.measure == measure]


class PatientDetail(QWidget):
    def __init__(self, parent=None, now=lambda: datetime.now(UTC)):
        super().__init__(parent)
        self.now = now
        self.patient_id: str | None = None
        self.hours = 8
        self._samples: dict[int, tuple[float, dict]] = {}  # vital id -> (measured at, epoch s; row)
        self._dirty = False
        self._shown_window: tuple[float, float] | None = None
        self.setAccessibleName(self.tr("Patient detail"))

        # Two lines at most: who (name, NEWS2, status) in large bold, then the operation and data age.
        self.header = QLabel(self.tr("Select a patient in the census to see their vitals."), self)
        self.header.setAccessibleName(self.tr("Patient summary"))
        font = QFont()
        font.setPointSize(16)
        font.setBold(True)
        self.header.setFont(font)
        self.subheader = QLabel(self)
        self.subheader.setAccessibleName(self.tr("Operation and data age"))
        small = QFont()
        small.setPointSize(13)
        self.subheader.setFont(small)
        for label in (self.header, self.subheader):  # another line on a narrow pane, never a wider pane
            label.setWordWrap(True)

        ranges = QHBoxLayout()
        ranges.addWidget(QLabel(self.tr("Show last:"), self))
        self.range_group = QButtonGroup(self)
        for hours in RANGES_H:
            button = QPushButton(self.tr("{n} h").format(n=hours), self)
            button.setCheckable(True)
            button.setAccessibleName(self.tr("Show the last {n} hours").format(n=hours))
            button.setChecked(hours == self.hours)
            self.range_group.addButton(button, hours)
            ranges.addWidget(button)
        ranges.addStretch(1)
        self.range_group.idClicked.connect(self.set_hours)

        self.charts = pg.GraphicsLayoutWidget(self)
        self.charts.setBackground("#121212")
        self.charts.setAccessibleName(self.tr("Vital signs charts"))
        self.charts.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        # The graphics layout's own minimum (axes and titles) is not a widget minimum: a narrow pane (the
        # collaboration dock open) would cut off the right-hand charts. Never cut a chart: the splitter
        # stops here instead. The margin is for axes that widen with their tick labels.
        self.plots: list[pg.PlotItem] = []
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.titles: list[str] = []
        self.latest_labels: list[pg.TextItem] = []  # the newest value, left of the line's last point
        self._latest_shown: list[str | None] = [None] * len(CHARTS)
        self.theme = STANDARD
        axis_font = QFont()
        axis_font.setPointSize(11)
        for i, (title, unit, fields, measure, yrange) in enumerate(CHARTS):
            plot = self.charts.addPlot(row=i // 2, col=i % 2)
            self.titles.append(f"{self.tr(title)} ({unit})")
            plot.setTitle(self.titles[-1], size="13pt")
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTickFont(axis_font)
                plot.getAxis(axis).setTextPen("#e0e0e0")
                # Axes and titles are text-heavy and change a few times a minute: paint them from a
                # cached pixmap instead of re-drawing their text on every repaint of the charts.
                plot.getAxis(axis).setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            plot.titleLabel.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            plot.setYRange(*yrange, padding=0.02)
            for rule in limits_for(measure):
                colour = PRIORITY_BG[rule.priority]
                line = pg.InfiniteLine(pos=rule.limit, angle=0, movable=False,
                                       pen=pg.mkPen(colour, width=1.5, style=Qt.PenStyle.DashLine),
                                       label=f"{marker(rule.priority)} {'>' if rule.direction == 'above' else '<'}"
                                             f"{rule.limit:g}",
                                       labelOpts={"position": 0.02, "color": colour, "anchors": [(0, 1), (0, 1)]})
                line.label.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
                plot.addItem(line)
            for name in fields:
                curve = plot.plot([], [], symbol="o", symbolSize=5, symbolPen=None, autoDownsample=True,
                                  downsampleMethod="peak", clipToView=True)
                self.curves[name] = curve
            latest = pg.TextItem(anchor=(1.05, 1.0))
            latest.setZValue(10)
            plot.addItem(latest, ignoreBounds=True)
            self.latest_labels.append(latest)
            if self.plots:
                plot.setXLink(self.plots[0])
            self.plots.append(plot)
        least = self.charts.ci.effectiveSizeHint(Qt.SizeHint.MinimumSize).width()
        self.charts.setMinimumWidth(math.ceil(least) + 12)
        # Three rows of charts that can still be read: at 1280×800 with the reply box the tabs took the
        # height and the charts collapsed to their titles. The tabs give way instead (they scroll).
        self.charts.setMinimumHeight(CHART_ROWS_MIN_HEIGHT)

        self.tabs = QTabWidget(self)
        self.alerts_list = QListWidget(self)
        self.alerts_list.setAccessibleName(self.tr("Alerts of this patient"))
        self.messages = QTextBrowser(self)
        self.messages.setAccessibleName(self.tr("Messages"))
        self.care_plan = QTextBrowser(self)
        self.care_plan.setAccessibleName(self.tr("Care plan"))
        self.tabs.addTab(self.alerts_list, self.tr("Alerts"))
        self.tabs.addTab(self.messages, self.tr("Messages"))
        self.tabs.addTab(self.care_plan, self.tr("Care plan"))
        self.tabs.setMaximumHeight(150)  # the charts first: at 1280×800 they had barely 50 px each

        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.subheader)
        layout.addLayout(ranges)
        layout.addWidget(self.charts, 1)
        layout.addWidget(self.tabs)

        self.redraw_timer = QTimer(self)
        self.redraw_timer.setInterval(REDRAW_MS)
        self.redraw_timer.timeout.connect(self.redraw_if_needed)
        self.redraw_timer.start()
        self.set_theme(STANDARD)

    def set_theme(self, theme: Theme) -> None:
        """Chart surroundings and lines follow the theme; the limit lines keep their alarm colours."""
        self.theme = theme
        self.charts.setBackground(theme.chart_background)
        for plot in self.plots:
            for axis in ("left", "bottom"):
                plot.getAxis(axis).setTextPen(theme.chart_text)
                plot.getAxis(axis).setPen(theme.chart_text)
        for name, curve in self.curves.items():
            colour = theme.series_second if name == SECOND_LINE else theme.series
            curve.setPen(pg.mkPen(colour, width=2))
            curve.setSymbolBrush(colour)
        for plot, title in zip(self.plots, self.titles, strict=True):
            plot.setTitle(title, color=theme.text, size="13pt")
        self._latest_shown = [None] * len(CHARTS)  # the values are re-set in the new colour
        self._dirty = True

    # --- inputs -------------------------------------------------------------------------------------

    def show_patient(self, detail: PatientDetailView) -> None:
        self.patient_id = detail.patient_id
        self._samples = {int(row["id"]): (t, row) for t, row in detail.vitals}
        self.set_summary(detail.census)
        self.set_alerts(detail.alerts)
        self.set_messages(detail.messages)
        self.set_care_plans(detail.care_plans)
        self._dirty = True
        self.redraw_if_needed()

    def add_vitals(self, rows: Sequence[Mapping]) -> None:
        for row in rows:
            moment = instant(row.get("measured_at"))  # parsed once, not on every redraw
            if moment is not None:
                self._samples[int(row["id"])] = (moment.timestamp(), row)
        self._dirty = True

    def set_hours(self, hours: int) -> None:
        self.hours = hours
        button = self.range_group.button(hours)
        if button is not None:
            button.setChecked(True)
        self._dirty = True
        self._shown_window = None
        self.redraw_if_needed()

    def set_summary(self, census: CensusRow | None) -> None:
        if census is None:
            return
        news2 = census.news2
        self.header.setText("  ·  ".join((census.name, self.tr("NEWS2 {n}").format(n="–" if news2 is None else news2),
                                          self.tr(census.status or "unknown"))))
        parts = []
        side = self.tr(census.side) if census.side else ""
        procedure = " ".join(p for p in (census.procedure, side) if p)
        if procedure:
            parts.append(procedure)
        if census.pod is not None:
            parts.append(self.tr("post-operative day {n}").format(n=census.pod))
        measured = census.measured_at
        age = None if measured is None else (self.now() - measured).total_seconds()
        parts.append(self.tr("vitals {age} old").format(age=age_text(age)))
        self.subheader.setText("  ·  ".join(parts))
        self.header.setToolTip(f"{self.header.text()}\n{self.subheader.text()}")

    def set_alerts(self, alerts: Sequence[AlertRow]) -> None:
        self.alerts_list.clear()
        for alert in alerts:
            when = local_time(alert.raised_at) if alert.raised_at else "–"
            self.alerts_list.addItem(f"{when}  {marker(alert.priority)} {alert.message}  [{self.tr(alert.state)}]")

    def set_messages(self, messages: Sequence[Mapping]) -> None:
        lines = []
        for m in messages[-50:]:
            when = instant(m.get("created_at"))
            stamp = local_time(when) if when else ""
            mark = message_mark(m)  # care team (issue 16): sending, not sent, delivered, read
            lines.append(f"<p><b>{stamp} {self.tr(m.get('sender_role') or '')}:</b> "
                         f"{_escape(m.get('body') or '')}" + (f" <i>({_escape(mark)})</i>" if mark else "") + "</p>")
        self.messages.setHtml("".join(lines) or self.tr("No messages."))

    def add_reply_box(self, box: QWidget) -> None:
        """Care team (issue 16): the reply box goes under the messages, in the same tab."""
        page = QWidget(self)
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 0, 0)
        index = self.tabs.indexOf(self.messages)
        self.tabs.removeTab(index)
        self.messages.setMinimumHeight(90)
        column.addWidget(self.messages, 1)
        self.messages.show()  # a page taken out of a tab widget stays hidden
        column.addWidget(box)
        self.tabs.insertTab(index, page, self.tr("Messages"))
        self.tabs.setMaximumHeight(200)
        self.reply_box = box

    def set_care_plans(self, plans: Sequence[Mapping]) -> None:
        parts = []
        for plan in plans:
            goals = plan.get("goals") or []
            items = "".join(f"<li>{_escape(g if isinstance(g, str) else str(g.get('text', g)))}</li>"
                            for g in goals)
            parts.append(f"<h3>{_escape(plan.get('title') or '')} ({self.tr(plan.get('status') or '')})</h3>"
                         f"<ul>{items}</ul><p>{_escape(plan.get('instructions') or '')}</p>")
        self.care_plan.setHtml("".join(parts) or self.tr("No care plan."))

    # --- drawing ------------------------------------------------------------------------------------

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._shown_window = None  # the tick spacing depends on the charts' width

    def shown_window(self) -> tuple[float, float]:
        """The charts' time window (epoch seconds). Its end advances in steps of 1/120 of the span
        (30 s for 1 h, 4 min for 8 h), so the axes are rebuilt a few times a minute, not per redraw;
        the newest sample is never more than that step from the right edge."""
        span = self.hours * 3600.0
        step = span / 120
        end = math.ceil(self.now().timestamp() / step) * step
        return end - span, end

    def redraw_if_needed(self) -> None:
        """Moves the time window when its step came; re-sets the curves only when samples arrived or
        the window moved. Runs on the redraw timer (2 Hz), never per sample."""
        start, end = self.shown_window()
        if (start, end) != self._shown_window:
            self._shown_window = (start, end)
            self.plots[0].setXRange(start, end, padding=0)
            ticks = time_ticks(datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC), self.hours,
                               self.plots[0].getViewBox().width())
            for plot in self.plots:
                plot.getAxis("bottom").setTicks([ticks, []])
            self._dirty = True
        if not self._dirty:
            return
        self._dirty = False
        keep_from = end - max(RANGES_H) * 3600.0
        for key in [k for k, (t, _) in self._samples.items() if t < keep_from]:
            del self._samples[key]
        rows = sorted((item for item in self._samples.values() if item[0] >= start), key=lambda item: item[0])
        times = np.fromiter((t for t, _ in rows), dtype=float, count=len(rows))
        # Symbols mark single samples when they lie apart on the line; closer than SYMBOL_SPACING_PX on
        # average they only cost time: pyqtgraph's scatter items were two thirds of setting the 7 curves
        # and a third of painting the charts on each patient shown (benchmarks/ui_frame_time.py --cprofile).
        width = self.plots[0].getViewBox().width()
        symbol = "o" if len(rows) <= max(FEW_SAMPLES, width / SYMBOL_SPACING_PX) else None
        for name, curve in self.curves.items():
            # A float array turns None (not measured) into NaN in C: a third of the 72 h draw went to a
            # per-value Python generator here (benchmarks/chart_draw.py --profile).
            values = np.array([r.get(name) for _, r in rows], dtype=float)
            mask = ~np.isnan(values)
            if curve.opts["symbol"] != symbol:
                curve.setSymbol(symbol)
            curve.setData(times[mask], values[mask])
        self._show_latest()

    def _show_latest(self) -> None:
        """Writes each chart's newest value at the end of its line (in the plot, so that it never widens
        the charts); re-set only when it changed."""
        newest = max(self._samples.values(), key=lambda item: item[0], default=None)
        for i, (_title, _unit, fields, _measure, (low, high)) in enumerate(CHARTS):
            label = self.latest_labels[i]
            if newest is None or newest[1].get(fields[0]) is None:
                label.hide()
                continue
            when, row = newest
            text = "/".join(_value(row.get(f)) for f in fields)
            html = f"<span style='color:{self.theme.text}; font-size:15pt; font-weight:bold'>{text}</span>"
            if html != self._latest_shown[i]:
                self._latest_shown[i] = html
                label.setHtml(html)
            value = float(row[fields[0]])
            # Below a point in the upper half of the chart, above one in the lower: never cut at an edge.
            label.setAnchor((1.05, 0.0) if value > (low + high) / 2 else (1.05, 1.0))
            label.setPos(when, value)
            label.show()



TICK_STEPS_H = (0.25, 0.5, 1, 2, 3, 4, 6, 8, 12, 24)
MIN_TICK_SPACING_PX = 100  # "Tue 06:00" at the axis font, with a gap


def time_ticks(start: datetime, end: datetime, hours: int, width_px: float = 400) -> list[tuple[float, str]]:
    """Local clock times on round steps, so a nurse reads when, not how long ago: the first tick and the
    first of each new day say the day too ("Tue 06:00"), the others the hour ("12:00"). The step is the
    smallest round one whose labels do not overlap in ``width_px``; when even a day is too little room
    (72 h in a narrow pane), the midnight ticks say the day alone ("Tue")."""
    most = max(2, int(width_px // MIN_TICK_SPACING_PX))
    step_h = next((h for h in TICK_STEPS_H if hours / h <= most), TICK_STEPS_H[-1])
    crowded = hours / step_h > most
    step = timedelta(hours=step_h)
    local_start = start.astimezone()
    moment = local_start.replace(hour=0, minute=0, second=0, microsecond=0)
    ticks: list[tuple[float, str]] = []
    day = None
    while moment <= end:
        if moment >= local_start:
            new_day = moment.date() != day
            day = moment.date()
            fmt = ("ddd" if crowded else "ddd HH:mm") if new_day else "HH:mm"
            ticks.append((moment.timestamp(), local_time(moment, fmt)))
        moment += step
    return ticks


def _value(value) -> str:
    return "–" if value is None else f"{float(value):g}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
