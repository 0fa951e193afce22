"""The tenant's live metrics for coordinators: alerts raised, time to acknowledge (median and p90),
escalations, stations online and patients with stale data, over the shift or the last 7 days, with the
tenant's limits drawn. Buckets come from ``load(since, bucket_seconds)`` (``public.tenant_metrics``); the
per-minute rows the database sends on ``tenant:<id>`` are appended as they arrive (``add_rows``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from tjv_desktop.sync.read_side import instant

# (metric, scale from the stored unit to the plotted one, unit)
PLOTS = (
    ("alerts_raised", 1.0, "/min"),
    ("ack_p90_s", 1 / 60, "min"),
    ("escalations", 1.0, "/min"),
    ("stations_online", 1.0, ""),
    ("stale_patients", 1.0, ""),
)
RANGES = {"shift": (timedelta(hours=12), 5 * 60), "week": (timedelta(days=7), 3600)}
LIMIT_COLOUR = "#ffd54f"


class MetricsView(QWidget):
    def __init__(self, load: Callable[[datetime, int], Awaitable[list[dict]]],
                 limits: Mapping[str, float] | None = None, parent=None,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)):
        super().__init__(parent)
        self.load, self.now = load, now
        self.limits = dict(limits or {})  # metric -> limit in the stored unit
        self.range = "shift"
        self.series: dict[str, dict[float, float]] = {m: {} for m, *_ in PLOTS}
        self.median: dict[float, float] = {}
        self.setWindowTitle(self.tr("Tenant metrics"))
        self.setAccessibleName(self.tr("Tenant metrics"))

        buttons = QHBoxLayout()
        self.group = QButtonGroup(self)
        for key, text in (("shift", self.tr("This shift (12 h)")), ("week", self.tr("Last 7 days"))):
            button = QPushButton(text, self)
            button.setCheckable(True)
            button.setChecked(key == self.range)
            button.setProperty("range", key)
            self.group.addButton(button)
            buttons.addWidget(button)
        self.status = QLabel("", self)
        self.status.setMinimumWidth(200)  # "Updated 07:00" must not be cut when it replaces "Loading…"
        buttons.addWidget(self.status)
        buttons.addStretch(1)
        self.group.buttonClicked.connect(lambda b: asyncio.ensure_future(self.show_range(b.property("range"))))

        self.charts = pg.GraphicsLayoutWidget(self)
        self.charts.setBackground("#121212")
        self.charts.setAccessibleName(self.tr("Metrics charts"))
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        titles = {"alerts_raised": self.tr("Alerts raised"), "ack_p90_s": self.tr("Time to acknowledge"),
                  "escalations": self.tr("Escalations"), "stations_online": self.tr("Stations online"),
                  "stale_patients": self.tr("Patients with stale data")}
        for i, (metric, _scale, unit) in enumerate(PLOTS):
            plot = self.charts.addPlot(row=i // 2, col=i % 2, axisItems={"bottom": pg.DateAxisItem()})
            label = titles[metric] + (f" ({unit})" if unit else "")
            if metric == "ack_p90_s":
                label = self.tr("Time to acknowledge: p90 (white), median (blue) (min)")
            plot.setTitle(label, color="#ffffff", size="11pt")
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            self.plots[metric] = plot
            self.curves[metric] = plot.plot([], [], pen=pg.mkPen("#e0e0e0", width=2))
        self.median_curve = self.plots["ack_p90_s"].plot([], [], pen=pg.mkPen("#80deea", width=1.5))
        self.limit_lines: dict[str, pg.InfiniteLine] = {}
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.charts, 1)
        self.set_limits(self.limits)

    def set_limits(self, limits: Mapping[str, float]) -> None:
        self.limits = dict(limits)
        for metric, scale, _unit in PLOTS:
            line = self.limit_lines.pop(metric, None)
            if line is not None:
                self.plots[metric].removeItem(line)
            if metric in self.limits:
                line = pg.InfiniteLine(pos=self.limits[metric] * scale, angle=0, movable=False,
                                       pen=pg.mkPen(LIMIT_COLOUR, width=1.5, style=Qt.PenStyle.DashLine),
                                       label=self.tr("limit"), labelOpts={"color": LIMIT_COLOUR, "position": 0.05})
                self.plots[metric].addItem(line)
                self.limit_lines[metric] = line

    async def show_range(self, key: str) -> None:
        """Reads the buckets of ``key`` ("shift" or "week") and redraws."""
        self.range = key
        for button in self.group.buttons():
            button.setChecked(button.property("range") == key)
        span, bucket = RANGES[key]
        self.status.setText(self.tr("Loading…"))
        rows = await self.load(self.now() - span, bucket)
        self.series = {m: {} for m, *_ in PLOTS}
        self.median = {}
        self._take(rows, "max_value", "avg_value", "bucket")
        self.status.setText(self.tr("Updated {time}").format(time=self.now().astimezone().strftime("%H:%M")))
        self.redraw()

    def add_rows(self, rows: Iterable[Mapping]) -> None:
        """Per-minute rows from the database feed ({metric, value, recorded_at})."""
        self._take(rows, "value", "value", "recorded_at")
        self.redraw()

    def _take(self, rows: Iterable[Mapping], value_key: str, median_key: str, time_key: str) -> None:
        for row in rows:
            moment = instant(row.get(time_key))
            metric = row.get("metric")
            if moment is None:
                continue
            t = moment.timestamp()
            if metric == "ack_median_s" and row.get(median_key) is not None:
                self.median[t] = float(row[median_key])
            elif metric in self.series and row.get(value_key) is not None:
                self.series[metric][t] = float(row[value_key])

    def redraw(self) -> None:
        for metric, scale, _unit in PLOTS:
            points = sorted(self.series[metric].items())
            self.curves[metric].setData([t for t, _ in points], [v * scale for _, v in points])
        median = sorted(self.median.items())
        self.median_curve.setData([t for t, _ in median], [v / 60 for _, v in median])

    def points(self, metric: str) -> int:
        return len(self.series[metric])
