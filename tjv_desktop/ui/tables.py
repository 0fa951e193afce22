"""The window's look: the night-shift palette and the tables (large type, alarm colours that survive
selection, plain A to acknowledge in the alerts list)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
)

TABLE_FONT_PT = 14


def sized_font(points: int, bold: bool = False) -> QFont:
    """The application font at ``points``, bold or not: the full-screen panels' large type."""
    font = QFont()
    font.setPointSize(points)
    font.setBold(bold)
    return font


def apply_dark_palette(app: QApplication) -> None:
    """A dark theme for night shifts: colour is kept for alarm coding."""
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, "#1e1e1e"), (QPalette.ColorRole.WindowText, "#f0f0f0"),
                         (QPalette.ColorRole.Base, "#121212"), (QPalette.ColorRole.AlternateBase, "#1c1c1c"),
                         (QPalette.ColorRole.Text, "#f0f0f0"), (QPalette.ColorRole.Button, "#333333"),
                         (QPalette.ColorRole.ButtonText, "#f0f0f0"), (QPalette.ColorRole.Highlight, "#1565c0"),
                         (QPalette.ColorRole.HighlightedText, "#ffffff"), (QPalette.ColorRole.ToolTipBase, "#333333"),
                         (QPalette.ColorRole.ToolTipText, "#ffffff"), (QPalette.ColorRole.PlaceholderText, "#9e9e9e")):
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)


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
