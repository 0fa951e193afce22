"""Qt set-up shared by every windowed entry point: the application object with its language and palette,
and the signals that end the loop."""

from __future__ import annotations

import asyncio
import contextlib
import signal


def prepare_app(language: str):
    """The running QApplication with the chosen language and the station palette; before any widget."""
    from PySide6.QtWidgets import QApplication

    from ..ui.i18n import install_translator
    from ..ui.tables import apply_dark_palette

    app = QApplication.instance()
    install_translator(app, language)  # before any widget is built
    apply_dark_palette(app)
    app.setQuitOnLastWindowClosed(False)
    return app


def quit_on_signals(done: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError):
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, done.set)


def QT_TR(text: str) -> str:  # noqa: N802 - mirrors Qt's QT_TR_NOOP
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("app", text)
