"""The user interface in Spanish: the catalogues are complete, every string the code translates is in
them, and the real window built in Spanish shows no English.

The window is built twice on the same populated in-memory store with a frozen clock, once in English
and once in Spanish, and every user-facing string of every widget (text, title, tab, table header,
placeholder, tooltip, accessible name and description, chart title, the reject dialog) is compared:
a string the same in both languages must be on ``SAME_IN_BOTH`` (units, "SpO₂", "NEWS2", numbers) or be
data (patient names, alert messages the server wrote, the user's e-mail).
"""

from __future__ import annotations

import ast
import asyncio
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QGroupBox,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QTabBar,
    QTableView,
    QTextBrowser,
    QWidget,
)

from tests.support.gui import offline_station, populate, run_qt, until
from tests.support.station import NURSE
from tjv_desktop.domain.events import LinkState
from tjv_desktop.ui import i18n
from tjv_desktop.ui.main_window import MainWindow
from tjv_desktop.ui.tables import apply_dark_palette

ROOT = Path(__file__).resolve().parents[2]
I18N = ROOT / "i18n"
TS = {lang: I18N / f"tjv_desktop_{lang}.ts" for lang in i18n.LANGUAGES}
UI_SOURCES = sorted((ROOT / "tjv_desktop" / "ui").glob("*.py")) + sorted((ROOT / "tjv_desktop" / "app").glob("*.py"))

# Strings allowed to read the same in English and Spanish (documented in i18n/README.md).
SAME_IN_BOTH = {"SpO₂", "NEWS2", "SpO₂ (%)"}
SAME_PATTERNS = (
    re.compile(r"[\d\s.,:/%–*+()-]*"),  # numbers, times, priority markers ("*** 3")
    re.compile(r"\d+ h"),  # the chart range buttons: a unit
    re.compile(r"NEWS2 [\d–]+"),
)
# Strings known to reach the window untranslated (none since audio.py translates its reasons).
KNOWN_UNTRANSLATED: set[str] = set()
PLACEHOLDER = re.compile(r"\{\w*\}|%n|%\d")


def messages(ts: Path) -> list[tuple[str, str, ET.Element]]:
    """(context, source, translation element) of every message of a .ts file."""
    out = []
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name")
        for message in context.iter("message"):
            out.append((name, message.findtext("source"), message.find("translation")))
    return out


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues():
    """Compiles the .qm files when missing or older than their .ts, as bootstrap does on a fresh clone."""
    lrelease = Path(sys.executable).parent / "pyside6-lrelease"
    for ts in TS.values():
        qm = ts.with_suffix(".qm")
        if not qm.exists() or qm.stat().st_mtime < ts.stat().st_mtime:
            subprocess.run([str(lrelease), "-silent", str(ts), "-qm", str(qm)], check=True, timeout=60)


# --- the catalogues -------------------------------------------------------------------------------------

def test_the_spanish_catalogue_is_complete_and_keeps_every_placeholder():
    found = messages(TS["es"])
    assert len(found) > 100
    for context, source, translation in found:
        assert translation.get("type") not in ("unfinished", "vanished", "obsolete"), (context, source)
        forms = translation.findall("numerusform") or [translation]
        for form in forms:
            assert form.text, (context, source)
            assert sorted(PLACEHOLDER.findall(form.text)) == sorted(PLACEHOLDER.findall(source)), \
                (context, source, form.text)
    assert 'type="unfinished"' not in TS["es"].read_text(encoding="utf-8")


def test_the_english_catalogue_holds_only_finished_plural_forms():
    text = TS["en"].read_text(encoding="utf-8")
    assert 'type="unfinished"' not in text
    for context, source, translation in messages(TS["en"]):
        assert translation.findall("numerusform"), (context, source)


def _helper_contexts(tree: ast.Module) -> dict[str, str]:
    """Module-level helpers such as ``def _tr(text): return QCoreApplication.translate("ctx", text)``."""
    helpers = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            for call in ast.walk(node):
                if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                        and call.func.attr == "translate" and call.args
                        and isinstance(call.args[0], ast.Constant)):
                    helpers[node.name] = call.args[0].value
    return helpers


def test_every_string_the_code_translates_is_in_the_spanish_catalogue():
    """lupdate sees ``tr``/``translate``; text given to a module's own helper, or translated through a
    variable, must be listed in ``tjv_desktop.ui.i18n.CATALOGUE`` or it would silently stay English."""
    known = {(context, source) for context, source, _ in messages(TS["es"])}
    wanted = set()
    for path in UI_SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        helpers = _helper_contexts(tree)
        for call in ast.walk(tree):
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in helpers
                    and call.args and isinstance(call.args[0], ast.Constant)):
                wanted.add((helpers[call.func.id], call.args[0].value))
    from tjv_desktop.ui.main_window import REJECT_REASONS
    from tjv_desktop.ui.models import AlertsModel, CensusModel
    from tjv_desktop.ui.patient_detail import CHARTS

    wanted |= {("models", t) for t in (*CensusModel.TITLES.values(), *AlertsModel.TITLES.values())}
    wanted |= {("MainWindow", r) for r in REJECT_REASONS}
    wanted |= {("PatientDetail", chart[0]) for chart in CHARTS}
    for value in ("stable", "watch", "deteriorating", "critical", "offline", "unknown", "active",
                  "acknowledged", "accepted", "rejected", "resolved"):
        wanted |= {("models", value), ("PatientDetail", value)}
    assert len(wanted) > 60
    assert sorted(wanted - known) == []


def test_the_language_comes_from_the_setting_or_the_system_locale():
    assert i18n.choose_language("es", ["en-US"]) == "es"
    assert i18n.choose_language("en", ["es-ES"]) == "en"
    assert i18n.choose_language("system", ["es-MX", "en-US"]) == "es"
    assert i18n.choose_language("system", ["fr-FR", "es_AR", "en"]) == "es"
    assert i18n.choose_language("system", ["fr-FR", "de"]) == "en"
    assert i18n.qm_path("es") is not None


def test_installing_a_language_translates_and_switching_back_restores_english(qapp):
    try:
        assert i18n.install_translator(qapp, "es") == "es"
        assert QCoreApplication.translate("MainWindow", "Active alerts") == "Alertas activas"
        assert QCoreApplication.translate("models", "Patient") == "Paciente"
    finally:
        assert i18n.install_translator(qapp, "en") == "en"
    assert QCoreApplication.translate("MainWindow", "Active alerts") == "Active alerts"


# --- the real window in Spanish -----------------------------------------------------------------------

def widget_strings(root: QWidget) -> list[tuple[str, str]]:
    """(where, text) for every user-facing string of ``root`` and its children, in a stable order."""
    out: list[tuple[str, str]] = [("window title", root.windowTitle())]

    def add(where: str, text: str | None) -> None:
        if text and text.strip():
            out.append((where, text))

    for i, widget in enumerate([root, *root.findChildren(QWidget)]):
        where = f"{i}:{type(widget).__name__}:{widget.objectName()}"
        add(f"{where} tooltip", widget.toolTip())
        add(f"{where} accessible name", widget.accessibleName())
        add(f"{where} accessible description", widget.accessibleDescription())
        if isinstance(widget, QLabel):
            add(f"{where} text", widget.text())
        if isinstance(widget, QAbstractButton):
            add(f"{where} text", widget.text())
        if isinstance(widget, QGroupBox):
            add(f"{where} title", widget.title())
        if isinstance(widget, QLineEdit):
            add(f"{where} placeholder", widget.placeholderText())
        if isinstance(widget, QTabBar):
            for t in range(widget.count()):
                add(f"{where} tab {t}", widget.tabText(t))
                add(f"{where} tab {t} tooltip", widget.tabToolTip(t))
        if isinstance(widget, QTableView) and widget.model() is not None:
            model = widget.model()
            for c in range(model.columnCount()):
                for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
                    add(f"{where} header {c} {role.name}", model.headerData(c, Qt.Orientation.Horizontal, role))
        if isinstance(widget, QListWidget):
            for r in range(widget.count()):
                add(f"{where} item {r}", widget.item(r).text())
        if isinstance(widget, QTextBrowser):
            add(f"{where} text", widget.toPlainText())
        if isinstance(widget, QAbstractItemView) and not isinstance(widget, (QTableView, QListWidget)):
            model = widget.model()  # e.g. the reject dialog's list of reasons
            for r in range(model.rowCount() if model is not None else 0):
                add(f"{where} item {r}", model.index(r, 0).data())
    return out


def user_facing_strings(window: MainWindow) -> list[tuple[str, str]]:
    """The window's widgets' strings, its chart titles and the coded values its tables show."""
    out = widget_strings(window)

    def add(where: str, text: str | None) -> None:
        if text and text.strip():
            out.append((where, text))

    for p, title in enumerate(window.detail.titles):  # the titles without the newest values (data)
        add(f"chart {p} title", title)
    # Coded values the tables show (status, alert state and priority): cells, not data.
    for view, columns in ((window.census_view, ("status",)), (window.alerts_view, ("priority", "state"))):
        source = view.model().sourceModel()
        for column in columns:
            c = source.COLUMNS.index(column)
            for r in range(min(5, view.model().rowCount())):
                add(f"{view.objectName() or type(view).__name__} cell {r},{column}", view.model().index(r, c).data())
    return out


def clipped_text(window: QWidget) -> list[str]:
    """Visible buttons and one-line labels narrower than their text needs."""
    widgets = [*window.findChildren(QAbstractButton),
               *(label for label in window.findChildren(QLabel) if not label.wordWrap())]
    return [w.text() for w in widgets if w.isVisible() and w.text() and w.width() < w.sizeHint().width()]


def build_window_strings(qapp, language: str, frozen: datetime, artifacts_dir: Path | None = None):
    """The window on the populated store in ``language``: its strings, and the data shown as-is."""
    async def scenario():
        apply_dark_palette(qapp)
        note = QCoreApplication.translate("app", "Local copy kept in memory only (no secure keyring)")
        async with offline_station(populate(frozen), user_label=NURSE, store_note=note, now=lambda: frozen,
                                   clock=lambda: 1000.0) as window:
            window.set_link_state(LinkState.LOST, "test")
            window.resize(1920, 1080)
            window.show()
            worst = window.census_proxy.key_at(0)
            window.select_patient(worst)
            await until(lambda: window.detail.patient_id == worst, 5, "the detail loads")
            await until(lambda: window.detail.curves["heart_rate"].getData()[0] is not None, 5,
                        "the charts draw")
            window.set_link_state(LinkState.CONNECTED)
            await asyncio.sleep(0.1)
            if artifacts_dir is not None:
                assert window.grab().save(str(artifacts_dir / f"main_window_{language}.png"))
            strings = user_facing_strings(window)
            window.select_alert_row(0)
            window.reject_selected()
            dialog = window.findChild(QInputDialog)
            assert dialog is not None
            strings += [(f"reject dialog {w}", t) for w, t in widget_strings(dialog)]
            dialog.reject()
            # The longer Spanish labels must fit a 1280-px-wide window, unlocked and locked.
            window.resize(1280, 800)
            for state in ("1280", "locked"):
                if state == "locked":
                    window.lock()
                await asyncio.sleep(0.1)
                assert window.width() <= 1280, f"the {language} window cannot shrink to 1280 px: {window.width()}"
                assert clipped_text(window) == [], (language, state)
                if artifacts_dir is not None:
                    assert window.grab().save(str(artifacts_dir / f"main_window_{language}_{state}.png"))
            window.unlock()
            data = {r.name for r in window.census_model.rows()}
            data |= {r.message for r in window.alerts_model.rows()}
            data |= {NURSE}
            return strings, data

    return run_qt(qapp, scenario)


def is_data_or_allowed(text: str, data: set[str]) -> bool:
    """Allowed as it is, data, or data joined by punctuation ("Name: message")."""
    for d in sorted((d for d in data if d), key=len, reverse=True):
        text = text.replace(d, "")
    return not text.strip(" :·—-") or text in SAME_IN_BOTH or any(p.fullmatch(text) for p in SAME_PATTERNS)


def test_the_main_window_built_in_spanish_shows_no_english(qapp, artifacts_dir):
    frozen = datetime.now(UTC).replace(microsecond=0)
    assert i18n.install_translator(qapp, "en") == "en"
    english, data = build_window_strings(qapp, "en", frozen)
    try:
        assert i18n.install_translator(qapp, "es") == "es"
        spanish, _ = build_window_strings(qapp, "es", frozen, artifacts_dir)
    finally:
        i18n.install_translator(qapp, "en")
    assert [w for w, _ in spanish] == [w for w, _ in english], "the two builds differ in shape"
    assert len(spanish) > 80
    untranslated = [(where, en) for (where, en), (_, es) in zip(english, spanish, strict=True)
                    if en == es and not is_data_or_allowed(en, data) and en not in KNOWN_UNTRANSLATED]
    assert untranslated == []
    texts = {t for _, t in spanish}
    for expected in ("Alertas activas", "Reconocer (A / Ctrl+K)", "Aceptar responsabilidad (Ctrl+Mayús+T)",
                     "Paciente", "Frecuencia cardiaca (/min)", "Barra de alarmas", "Censo de pacientes"):
        assert expected in texts
    assert any("día postoperatorio" in t for t in texts)
    # Alert messages are the server's words: shown as written, never translated.
    assert any(message and message in t for t in texts for message in data - {NURSE})


def test_the_sign_in_window_in_spanish_shows_no_english(qapp, artifacts_dir):
    from tjv_desktop import __version__
    from tjv_desktop.app.startup import sign_in_problem
    from tjv_desktop.backend.auth import SignInError
    from tjv_desktop.ui.sign_in import SignInWindow

    def build(language: str) -> list[tuple[str, str]]:
        i18n.install_translator(qapp, language)
        window = SignInWindow("https://tjv.example.org", server_locked=True, email=NURSE, note="")
        try:
            window.resize(1280, 800)
            window.show()
            window.show_error(sign_in_problem(SignInError("Wrong email or password.", "credentials")))
            qapp.processEvents()
            assert clipped_text(window) == [], language
            if language == "es":
                window.grab().save(str(artifacts_dir / "sign_in_es.png"))
            return widget_strings(window)
        finally:
            window.close_for_flow()

    try:
        english, spanish = build("en"), build("es")
    finally:
        i18n.install_translator(qapp, "en")
    assert [w for w, _ in spanish] == [w for w, _ in english]
    data = {"https://tjv.example.org", NURSE, "TJV Desktop", __version__}
    untranslated = [(where, en) for (where, en), (_, es) in zip(english, spanish, strict=True)
                    if en == es and not is_data_or_allowed(en, data)]
    assert untranslated == []
    assert ("Correo o contraseña incorrectos. Revise ambos e inténtelo de nuevo."
            in {t for _, t in spanish})
