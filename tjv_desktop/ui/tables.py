"""The window's look: the night-shift palette and the tables (large type, alarm colours that survive
selection, plain A to acknowledge in the alerts list)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
)

from .models import columns_to_drop
from .theme import STANDARD, apply_theme

TABLE_FONT_PT = 14


def sized_font(points: int, bold: bool = False) -> QFont:
    """The application font at ``points``, bold or not: the full-screen panels' large type."""
    font = QFont()
    font.setPointSize(points)
    font.setBold(bold)
    return font


def apply_dark_palette(app: QApplication) -> None:
    """The standard (dark) theme; the night view is ``theme.NIGHT``."""
    apply_theme(app, STANDARD)


class AlertsView(QTableView):
    """The alerts list; plain A asks to acknowledge the selected alert while the list has focus."""

    acknowledge_requested = Signal()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_A and event.modifiers() in (Qt.KeyboardModifier.NoModifier,
                                                                  Qt.KeyboardModifier.KeypadModifier):
            self.acknowledge_requested.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class AlarmColourDelegate(QStyledItemDelegate):
    """Keeps a cell's alarm colour when its row is selected (the selection shows as a white frame):
    selection highlight must never hide a priority."""

    def paint(self, painter, option, index) -> None:
        brush = index.data(Qt.ItemDataRole.BackgroundRole)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if brush is None or not selected:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.state &= ~QStyle.StateFlag.State_Selected
        painter.save()
        painter.fillRect(opt.rect, brush)
        painter.restore()
        super().paint(painter, opt, index)
        painter.save()
        painter.setPen(QPen(QColor("#ffffff"), 3))
        painter.drawRect(opt.rect.adjusted(1, 1, -2, -2))
        painter.restore()


def make_table(view: QTableView, name: str) -> QTableView:
    """The look every table of the window shares: whole-row single selection, large type."""
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setAlternatingRowColors(True)
    view.setSortingEnabled(True)
    view.setWordWrap(False)
    view.verticalHeader().setVisible(False)
    font = QFont()
    font.setPointSize(TABLE_FONT_PT)
    view.setFont(font)
    view.verticalHeader().setDefaultSectionSize(int(TABLE_FONT_PT * 2.3))
    header = view.horizontalHeader()
    header.setFont(font)
    header.setHighlightSections(False)
    return view


class ColumnDropper(QObject):
    """Keeps a table from scrolling sideways: when its columns at their natural widths do not fit the
    viewport, hides the least important ones (``priority`` by column name, ``models.columns_to_drop``)
    and shows them again when room comes back. ``measure()`` re-reads the natural widths (when rows come
    or go: it measures cells); a resize only re-decides from the widths already measured.
    ``columns_did_drop`` carries the names hidden, in column order, whenever they change."""

    columns_did_drop = Signal(tuple)

    def __init__(self, view: QTableView, columns: tuple[str, ...], priority: dict[str, int]):
        super().__init__(view)
        self.view, self.columns, self.priority = view, columns, priority
        self.widths: dict[str, int] = {}
        self.dropped: tuple[str, ...] = ()
        view.installEventFilter(self)

    def measure(self, columns: tuple[str, ...] | None = None) -> None:
        """Re-measures ``columns`` (all by default; the others keep their last widths)."""
        header = self.view.horizontalHeader()
        widths = dict(self.widths)
        for c, name in enumerate(self.columns):
            if columns is not None and name in self.widths and name not in columns:
                continue
            width = max(self.view.sizeHintForColumn(c), header.sectionSizeHint(c), header.minimumSectionSize())
            if header.isSectionHidden(c):  # a hidden column measures short: keep what it needed when shown
                width = max(width, self.widths.get(name, 0))
            widths[name] = width
        self.widths = {name: widths[name] for name in self.columns}
        self.refit(force=True)

    def refit(self, force: bool = False) -> None:
        if not self.widths:
            return
        dropped = columns_to_drop(self.widths, self.available_width(), self.priority)
        now = tuple(c for c in self.columns if c in dropped)
        if now == self.dropped and not force:
            return
        header = self.view.horizontalHeader()
        for c, name in enumerate(self.columns):
            header.setSectionHidden(c, name in dropped)
            if name not in dropped:
                header.resizeSection(c, self.widths[name])
        if now != self.dropped:
            self.dropped = now
            self.columns_did_drop.emit(now)

    def available_width(self) -> int:
        """The viewport's width as if the vertical scroll bar showed: deciding on the viewport itself
        oscillated (a column back, a horizontal bar, less height, a vertical bar, less width, the column
        gone, and round again) and starved the event loop."""
        view = self.view
        return view.width() - 2 * view.frameWidth() - view.verticalScrollBar().sizeHint().width()

    def eventFilter(self, _watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Resize:
            self.refit()
        return False


class OnScreenRows(QObject):
    """What follows the clock (ages, "last seen", their tooltips) re-computed for the rows on screen
    only: by ``tick()`` once a second, and for rows that come into view (scrolled, sorted, filtered)
    before they are painted. Re-setting all 200 census rows took 8-15 ms a second; about 30 show.
    The models' sort keys do not follow the clock, so the rows off screen keep their order right.
    ``refresh(keys)`` re-computes the rows ``keys`` of the view's model (a KeyedProxy)."""

    def __init__(self, view: QTableView, refresh: Callable[[list[str]], None]):
        super().__init__(view)
        self.view, self.refresh = view, refresh
        self._fresh: set[str] = set()  # refreshed since the last tick, of the model below
        self._model = view.model()
        view.viewport().installEventFilter(self)

    def on_screen(self) -> list[str]:
        view, proxy = self.view, self.view.model()
        first = view.rowAt(0)
        if first < 0:
            return []
        last = view.rowAt(view.viewport().height() - 1)
        last = proxy.rowCount() - 1 if last < 0 else last
        return [key for row in range(first, last + 1) if (key := proxy.key_at(row)) is not None]

    def tick(self) -> None:
        shown = self.on_screen()
        self._fresh, self._model = set(shown), self.view.model()
        self.refresh(shown)

    def eventFilter(self, _watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Paint:
            if self.view.model() is not self._model:  # another model shown (the alerts' history): all behind
                self._fresh, self._model = set(), self.view.model()
            behind = [key for key in self.on_screen() if key not in self._fresh]
            if behind:  # come into view since the last tick: their text is re-set before it is painted
                self._fresh.update(behind)
                self.refresh(behind)
        return False
