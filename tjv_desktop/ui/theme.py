"""The station's two looks: the standard dark theme and the night view, a dimmed theme for a ward at
night. Only the surroundings dim: the alarm colours (``domain.alerts.VISUAL``, IEC 60601-1-8) are never
part of a theme, so every alarm shows at full strength in both.

``apply_theme(app, theme)`` sets the application palette; widgets that paint their own colours (the
charts, the alarm bar's idle panel) take the ``Theme`` from the window's ``set_theme``.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True, slots=True)
class Theme:
    name: str  # "standard" or "night" (the ``theme`` setting's values)
    window: str
    text: str
    base: str
    alternate_base: str
    button: str
    highlight: str
    placeholder: str
    chart_background: str
    chart_text: str
    series: str  # a chart's line (blood pressure's diastolic line uses ``series_second``)
    series_second: str
    idle_panel: str  # the alarm bar when no alarm is shown


STANDARD = Theme("standard", window="#1e1e1e", text="#f0f0f0", base="#121212", alternate_base="#1c1c1c",
                 button="#333333", highlight="#1565c0", placeholder="#9e9e9e", chart_background="#121212",
                 chart_text="#e0e0e0", series="#e0e0e0", series_second="#90a4ae", idle_panel="#1e1e1e")
# Night: near-black surfaces and grey text (about half the light of the standard theme), a darker
# selection; alarm colours are not in here, so they keep their full strength against the dimmer rest.
NIGHT = Theme("night", window="#0b0b0b", text="#9a9a9a", base="#050505", alternate_base="#0c0c0c",
              button="#1a1a1a", highlight="#0d3a6e", placeholder="#5f5f5f", chart_background="#050505",
              chart_text="#8a8a8a", series="#8f8f8f", series_second="#5d6b72", idle_panel="#0b0b0b")
THEMES = {t.name: t for t in (STANDARD, NIGHT)}


def palette_of(theme: Theme) -> QPalette:
    palette = QPalette()
    role = QPalette.ColorRole
    for r, colour in ((role.Window, theme.window), (role.WindowText, theme.text), (role.Base, theme.base),
                      (role.AlternateBase, theme.alternate_base), (role.Text, theme.text),
                      (role.Button, theme.button), (role.ButtonText, theme.text),
                      (role.Highlight, theme.highlight), (role.HighlightedText, "#ffffff"),
                      (role.ToolTipBase, theme.button), (role.ToolTipText, theme.text),
                      (role.PlaceholderText, theme.placeholder)):
        palette.setColor(r, QColor(colour))
    return palette


def apply_theme(app: QApplication, theme: Theme) -> None:
    """The Fusion style with ``theme``'s palette, for every widget of the application."""
    if app.style().name().lower() != "fusion":  # a new style object re-polishes every widget
        app.setStyle("Fusion")
    app.setPalette(palette_of(theme))


def restyle(widget, sheet: str) -> None:
    """Sets ``widget``'s style sheet only when it differs: Qt re-polishes the widget and its children on
    every setStyleSheet, even with the same text (the alarm bar and status bar re-style once a second)."""
    if widget.styleSheet() != sheet:
        widget.setStyleSheet(sheet)
