"""``tjv-desktop --self-test``: proves an installed build can show its window, without a server.

Hospital IT runs it after deployment, and the packaging tests run it on the frozen build and on the
installed Debian package. It checks what a broken bundle gets wrong: the settings (policy included)
are valid, Qt finds its platform plugins, the compiled translations load, and the real main window,
on an empty in-memory store, renders to a PNG that is not blank. Inside a frozen bundle the plugins and
translations must come from the bundle itself, not from the build machine. It prints one line per
check and exits 0, or 1 naming the failed check. It writes nothing except the optional screenshot.
"""

from __future__ import annotations

import asyncio
import os
import sys
import traceback
from pathlib import Path

from .buildinfo import build_info, frozen

WINDOW_SIZE = (1600, 1000)  # the window's minimum width is about 1330 px


class SelfTestFailure(Exception):
    """A check failed; the message says which and why."""


def _say(check: str, detail: str) -> None:
    print(f"self-test: ok    {check}: {detail}", flush=True)


def _bundle_root() -> Path | None:
    return Path(sys._MEIPASS).resolve() if frozen() else None  # type: ignore[attr-defined]


def _inside_bundle(path: Path, what: str) -> None:
    root = _bundle_root()
    if root is not None and not path.resolve().is_relative_to(root):
        raise SelfTestFailure(f"{what} comes from {path}, outside the bundle {root}")


def check_settings():
    """The settings, every layer validated (the policy included), and what to say about them."""
    from .settings import Settings, SettingsError

    try:
        settings = Settings.load()
    except SettingsError as e:
        raise SelfTestFailure(f"settings: {e}") from e
    server = settings.value("server_url") or "not configured yet"
    return settings, f"valid (server {server}, from {settings.source('server_url')})"


def check_platform_plugins() -> str:
    from PySide6.QtCore import QLibraryInfo
    from PySide6.QtGui import QGuiApplication

    platform = QGuiApplication.platformName()
    if platform != "offscreen":
        raise SelfTestFailure(f"Qt platform is {platform!r}, expected 'offscreen'")
    folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    native = {"win32": "qwindows", "darwin": "qcocoa"}.get(sys.platform, "qxcb")
    found = sorted(p.name for p in folder.glob("*") if p.is_file()) if folder.is_dir() else []
    for plugin in ("qoffscreen", native):
        if not any(plugin in name for name in found):
            raise SelfTestFailure(f"Qt platform plugin {plugin} missing from {folder} (found: {found or 'nothing'})")
    _inside_bundle(folder, "the Qt platform plugins")
    return f"{', '.join(found)} in {folder}"


def check_translations() -> str:
    from PySide6.QtCore import QTranslator

    from ..ui.i18n import qm_path

    path = qm_path("es")
    if path is None:
        raise SelfTestFailure("the compiled Spanish catalogue tjv_desktop_es.qm is missing (make translations)")
    _inside_bundle(path, "the Spanish catalogue")
    translator = QTranslator()
    if not translator.load(str(path)):
        raise SelfTestFailure(f"Qt cannot load {path}")
    source = "Patient census"
    spanish = translator.translate("MainWindow", source)
    if not spanish or spanish == source:
        raise SelfTestFailure(f"{path} does not translate {source!r}")
    return f"{path.name} loads ({source!r} → {spanish!r})"


def image_problems(image, size: tuple[int, int]) -> str | None:
    """Why a rendered window looks blank, or None: it must have the window's size, several colours and
    a fair share of pixels that differ from the background (text, frames, the alarm bar)."""
    if image.isNull() or (image.width(), image.height()) != size:
        return f"the window rendered as {image.width()}×{image.height()}, expected {size[0]}×{size[1]}"
    background = image.pixel(image.width() // 2, image.height() - 40)
    colours, drawn, total = set(), 0, 0
    for y in range(0, image.height(), 4):
        for x in range(0, image.width(), 4):
            pixel = image.pixel(x, y)
            colours.add(pixel)
            drawn += pixel != background
            total += 1
    if len(colours) < 8 or drawn < total * 0.02:
        return f"the window looks blank ({len(colours)} colours, {100 * drawn / total:.1f} % drawn)"
    return None


async def _render_window(png: Path | None) -> str:
    from PySide6.QtCore import QBuffer, QByteArray, QEvent, QIODevice
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    from ..domain.events import StationEvents
    from ..sync.engine import SyncEngine
    from ..sync.worker import StoreWorker
    from ..ui.main_window import MainWindow

    worker = StoreWorker(None, None)  # in memory: nothing written to disk
    await worker.open()
    window = None
    try:
        # The real engine, never started and with no server: the window's reads and nothing else.
        events = StationEvents()
        window = MainWindow(SyncEngine(worker, None, "self-test", events), events, "self-test",
                            user_label="self-test", store_note="self-test")
        await window.start()
        window.resize(*WINDOW_SIZE)
        window.show()
        await asyncio.sleep(0.05)  # let the loop deliver the show and the first layout, then lay out now
        QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
        pixmap = window.grab()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not pixmap.save(buffer, "PNG"):
            raise SelfTestFailure("Qt could not encode the window as PNG (image format plugins missing?)")
        buffer.close()
        image = QImage.fromData(data, "PNG")
        problem = image_problems(image, (window.width(), window.height()))
        if problem:
            raise SelfTestFailure(problem)
        if png is not None:
            png.parent.mkdir(parents=True, exist_ok=True)
            png.write_bytes(bytes(data))
        where = f", saved to {png}" if png is not None else ""
        return f"MainWindow rendered offscreen as a {image.width()}×{image.height()} PNG of {data.size()} bytes{where}"
    finally:
        if window is not None:
            await window.stop()
            window.close()
        await worker.close()


async def _window_check(png: Path | None) -> str:
    async with asyncio.timeout(60):
        return await _render_window(png)


def run(png: Path | None = None) -> int:
    """Runs every check; 0 when all pass, 1 with the failed check on stderr."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a deployment check needs no display
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    _say("version", build_info().describe())
    try:
        settings, said = check_settings()
        _say("settings", said)
        import qasync
        from PySide6.QtWidgets import QApplication

        from ..ui.i18n import install_translator
        from ..ui.tables import apply_dark_palette

        app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "tjv-desktop"])
        app.setQuitOnLastWindowClosed(False)  # closing the checked window must not stop the loop first
        _say("Qt platform plugins", check_platform_plugins())
        _say("translations", check_translations())
        language = install_translator(app, settings.value("language"))
        apply_dark_palette(app)
        _say("window", f"{qasync.run(_window_check(png))}, language {language}")
    except SelfTestFailure as e:
        print(f"self-test: FAILED {e}", file=sys.stderr, flush=True)
        return 1
    except Exception as e:  # noqa: BLE001 - any other fault of the bundle is a failed self-test, said plainly
        traceback.print_exc()
        print(f"self-test: FAILED {type(e).__name__}: {e}", file=sys.stderr, flush=True)
        return 1
    print("self-test: passed", flush=True)
    return 0
