"""The user-interface language: choose it, load the compiled catalogue, install it on the application.

``install_translator(app)`` must run on the QApplication before any widget is built (widgets translate
their text when they are constructed). The language comes from the setting ``language``
('system' | 'en' | 'es'); 'system' follows the desktop's preferred languages and falls back to English.
Catalogues are ``tjv_desktop_<lang>.qm``: compiled by ``make translations`` from the Qt Linguist
sources in ``i18n/`` at the top of the checkout, or installed as package data in ``tjv_desktop/i18n/``.

Text the server writes (alert messages, patient names, message bodies) is data, never translated.

``CATALOGUE`` below lists the user-facing strings that lupdate cannot see where they are used: text
passed to a module's ``_tr`` helper (lupdate only recognises ``tr``/``translate``), and table titles,
preset reasons and coded values (status, state, priority) that are translated through a variable.
``tests/test_ui_i18n.py`` checks that every literal ``_tr("…")`` in the package is catalogued.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLibraryInfo, QLocale, QTranslator

log = logging.getLogger(__name__)

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
CATALOGUE_NAME = "tjv_desktop"

PACKAGE_DIR = Path(__file__).resolve().parents[1]
QM_DIRS = (PACKAGE_DIR.parent / "i18n", PACKAGE_DIR / "i18n")


def choose_language(setting: str = "system", preferred: list[str] | None = None) -> str:
    """'en' or 'es': the setting, or for 'system' the first supported of the ``preferred`` languages
    (BCP 47 tags such as 'es-ES'; the desktop's ``QLocale.system().uiLanguages()`` by default)."""
    if setting in LANGUAGES:
        return setting
    for tag in QLocale.system().uiLanguages() if preferred is None else preferred:
        language = tag.replace("_", "-").split("-")[0].lower()
        if language in LANGUAGES:
            return language
    return DEFAULT_LANGUAGE


def qm_path(language: str) -> Path | None:
    """The compiled catalogue of ``language``: the checkout's ``i18n/`` first, then the package data."""
    for folder in QM_DIRS:
        candidate = folder / f"{CATALOGUE_NAME}_{language}.qm"
        if candidate.is_file():
            return candidate
    return None


def _remove_installed(app: QCoreApplication) -> None:
    for old in getattr(app, "_tjv_translators", []):
        app.removeTranslator(old)
    app._tjv_translators = []


def install_translator(app: QCoreApplication, language: str) -> str:
    """Installs the catalogues of ``language`` (the setting's value: a code or "system") on ``app``;
    returns the language in use. English needs no catalogue (the sources are English). Calling it again
    switches."""
    language = choose_language(language)
    _remove_installed(app)
    QLocale.setDefault(QLocale(language))  # month and day names in dates (local_time)
    if language == DEFAULT_LANGUAGE:
        return language
    path = qm_path(language)
    if path is None:
        log.warning("no compiled %s catalogue in %s: run `make translations`; showing English", language,
                    " or ".join(str(d) for d in QM_DIRS))
        return DEFAULT_LANGUAGE
    ours = QTranslator(app)
    if not ours.load(str(path)):
        log.warning("could not load %s; showing English", path)
        return DEFAULT_LANGUAGE
    installed = [ours]
    qt_own = QTranslator(app)  # Qt's own dialogs' buttons (OK, Cancel)
    if qt_own.load(QLocale(language), "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        installed.append(qt_own)
    for translator in installed:
        app.installTranslator(translator)
    app._tjv_translators = installed
    QLocale.setDefault(QLocale(language))
    return language


def local_time(moment, fmt: str = "dd MMM HH:mm") -> str:
    """An aware datetime in local time, month and day names in the interface language (Qt's date
    format: "dd MMM HH:mm", "ddd dd", "HH:mm")."""
    from PySide6.QtCore import QDateTime

    return QLocale().toString(QDateTime.fromMSecsSinceEpoch(int(moment.timestamp() * 1000)), fmt)


# --- strings lupdate cannot find where they are used (see the module docstring) ---------------------

CATALOGUE = (
    # app.py
    QT_TRANSLATE_NOOP("app", "Local copy kept in memory only (no secure keyring)"),
    QT_TRANSLATE_NOOP("app", "Local copy kept in memory only: the keyring failed ({reason})"),
    QT_TRANSLATE_NOOP("app", "The local copy of patient data was damaged and set aside ({file}); reloading it from the server"),
    QT_TRANSLATE_NOOP("app", "Only one user is signed in here: unlock with the password, or close the window to end."),
    # main_window.py: _tr(...)
    QT_TRANSLATE_NOOP("MainWindow", "Collaboration"),
    QT_TRANSLATE_NOOP("MainWindow", "TJV Desktop — patient monitoring"),
    QT_TRANSLATE_NOOP("MainWindow", "Alarm bar"),
    QT_TRANSLATE_NOOP("MainWindow", "Patient census"),
    QT_TRANSLATE_NOOP("MainWindow", "Find patient by name (Ctrl+F)"),
    QT_TRANSLATE_NOOP("MainWindow", "Find patient by name"),
    QT_TRANSLATE_NOOP("MainWindow", "Active alerts"),
    QT_TRANSLATE_NOOP("MainWindow", "Alert history"),
    QT_TRANSLATE_NOOP("MainWindow", "Acknowledge (A / Ctrl+K)"),
    QT_TRANSLATE_NOOP("MainWindow", "Accept responsibility (Ctrl+Shift+T)"),
    QT_TRANSLATE_NOOP("MainWindow", "Reject responsibility… (Ctrl+Shift+R)"),
    QT_TRANSLATE_NOOP("MainWindow", "Show history"),
    QT_TRANSLATE_NOOP("MainWindow", "Show alert history"),
    QT_TRANSLATE_NOOP("MainWindow", "Connection and data age"),
    QT_TRANSLATE_NOOP("MainWindow", "Reject responsibility"),
    QT_TRANSLATE_NOOP("MainWindow", "Why are you rejecting responsibility for this alert?"),
    QT_TRANSLATE_NOOP("MainWindow", "● Live: connected to the server"),
    QT_TRANSLATE_NOOP("MainWindow", "connecting"),
    QT_TRANSLATE_NOOP("MainWindow", "reconnecting"),
    QT_TRANSLATE_NOOP("MainWindow", "connection lost"),
    QT_TRANSLATE_NOOP("MainWindow", "offline"),
    QT_TRANSLATE_NOOP("MainWindow", "▲ Data {age} old — offline ({state})"),
    QT_TRANSLATE_NOOP("MainWindow", "of unknown age"),
    QT_TRANSLATE_NOOP("MainWindow", "{shown} of {total} patients"),
    QT_TRANSLATE_NOOP("MainWindow", "{title}: {n} ({u} awaiting response)"),
    # main_window.REJECT_REASONS (the server receives the English reason)
    QT_TRANSLATE_NOOP("MainWindow", "Not my patient"),
    QT_TRANSLATE_NOOP("MainWindow", "Handed over to another clinician"),
    QT_TRANSLATE_NOOP("MainWindow", "Already being handled"),
    QT_TRANSLATE_NOOP("MainWindow", "Alert not clinically relevant"),
    QT_TRANSLATE_NOOP("MainWindow", "Duplicate alert"),
    # models.py: _tr(...)
    QT_TRANSLATE_NOOP("models", "never"),
    QT_TRANSLATE_NOOP("models", "{n} s"),
    QT_TRANSLATE_NOOP("models", "{n} min"),
    QT_TRANSLATE_NOOP("models", "{h} h {m} min"),
    QT_TRANSLATE_NOOP("models", "{n} days"),
    QT_TRANSLATE_NOOP("models", " new"),
    QT_TRANSLATE_NOOP("models", " · POD {n}"),
    QT_TRANSLATE_NOOP("models", "{n} open alerts, highest priority {p}"),
    QT_TRANSLATE_NOOP("models", " (sending…)"),
    QT_TRANSLATE_NOOP("models", "{t} ({age} ago)"),
    # models.CensusModel.TITLES / AlertsModel.TITLES
    QT_TRANSLATE_NOOP("models", "Alarms"),
    QT_TRANSLATE_NOOP("models", "Patient"),
    QT_TRANSLATE_NOOP("models", "Op · POD"),
    QT_TRANSLATE_NOOP("models", "Status"),
    QT_TRANSLATE_NOOP("models", "NEWS2"),
    QT_TRANSLATE_NOOP("models", "HR"),
    QT_TRANSLATE_NOOP("models", "SpO₂"),
    QT_TRANSLATE_NOOP("models", "RR"),
    QT_TRANSLATE_NOOP("models", "Temp"),
    QT_TRANSLATE_NOOP("models", "BP"),
    QT_TRANSLATE_NOOP("models", "Pain"),
    QT_TRANSLATE_NOOP("models", "Vitals age"),
    QT_TRANSLATE_NOOP("models", "Priority"),
    QT_TRANSLATE_NOOP("models", "Alert"),
    QT_TRANSLATE_NOOP("models", "Raised"),
    QT_TRANSLATE_NOOP("models", "State"),
    # coded values shown through models._tr: patient status, alert state, alert priority
    QT_TRANSLATE_NOOP("models", "stable"),
    QT_TRANSLATE_NOOP("models", "watch"),
    QT_TRANSLATE_NOOP("models", "deteriorating"),
    QT_TRANSLATE_NOOP("models", "critical"),
    QT_TRANSLATE_NOOP("models", "offline"),
    QT_TRANSLATE_NOOP("models", "unknown"),
    QT_TRANSLATE_NOOP("models", "active"),
    QT_TRANSLATE_NOOP("models", "acknowledged"),
    QT_TRANSLATE_NOOP("models", "accepted"),
    QT_TRANSLATE_NOOP("models", "rejected"),
    QT_TRANSLATE_NOOP("models", "resolved"),
    QT_TRANSLATE_NOOP("models", "high"),
    QT_TRANSLATE_NOOP("models", "medium"),
    QT_TRANSLATE_NOOP("models", "low"),
    # the operated side, shown by its initial in the census and in full in the patient detail
    QT_TRANSLATE_NOOP("models", "left"),
    QT_TRANSLATE_NOOP("models", "right"),
    QT_TRANSLATE_NOOP("models", "bilateral"),
    QT_TRANSLATE_NOOP("PatientDetail", "left"),
    QT_TRANSLATE_NOOP("PatientDetail", "right"),
    QT_TRANSLATE_NOOP("PatientDetail", "bilateral"),
    # patient_detail.CHARTS titles and the coded values PatientDetail shows through self.tr(variable)
    QT_TRANSLATE_NOOP("PatientDetail", "Heart rate"),
    QT_TRANSLATE_NOOP("PatientDetail", "SpO₂"),
    QT_TRANSLATE_NOOP("PatientDetail", "Respiratory rate"),
    QT_TRANSLATE_NOOP("PatientDetail", "Temperature"),
    QT_TRANSLATE_NOOP("PatientDetail", "Blood pressure"),
    QT_TRANSLATE_NOOP("PatientDetail", "Pain"),
    QT_TRANSLATE_NOOP("PatientDetail", "stable"),
    QT_TRANSLATE_NOOP("PatientDetail", "watch"),
    QT_TRANSLATE_NOOP("PatientDetail", "deteriorating"),
    QT_TRANSLATE_NOOP("PatientDetail", "critical"),
    QT_TRANSLATE_NOOP("PatientDetail", "offline"),
    QT_TRANSLATE_NOOP("PatientDetail", "unknown"),
    QT_TRANSLATE_NOOP("PatientDetail", "active"),
    QT_TRANSLATE_NOOP("PatientDetail", "acknowledged"),
    QT_TRANSLATE_NOOP("PatientDetail", "accepted"),
    QT_TRANSLATE_NOOP("PatientDetail", "rejected"),
    QT_TRANSLATE_NOOP("PatientDetail", "resolved"),
    QT_TRANSLATE_NOOP("PatientDetail", "completed"),
    QT_TRANSLATE_NOOP("PatientDetail", "patient"),
    QT_TRANSLATE_NOOP("PatientDetail", "provider"),
    QT_TRANSLATE_NOOP("PatientDetail", "system"),
    # startup.py: _tr(...) and cli.py
    QT_TRANSLATE_NOOP("startup", "Wrong e-mail or password. Check both and try again."),
    QT_TRANSLATE_NOOP("startup", "The server could not be reached. Check the network connection and try again."),
    QT_TRANSLATE_NOOP("startup", "The server refused the sign-in: {reason}"),
    QT_TRANSLATE_NOOP("startup", "{user} signed out. The next user signs in here."),
    QT_TRANSLATE_NOOP("startup", "Your session ended ({reason}). Patients are not being monitored on this workstation until you sign in again."),
    QT_TRANSLATE_NOOP("startup", "The monitoring station could not start: {reason}. Patients are not being monitored on this workstation. Try again, or call IT if this repeats."),
    QT_TRANSLATE_NOOP("startup", "{user} is not a clinician account: this application is for care teams."),
    QT_TRANSLATE_NOOP("startup", "This workstation has no secure keyring: you will be asked for your password at every start, and the local copy of patient data is kept in memory only."),
    QT_TRANSLATE_NOOP("startup", "TJV Desktop cannot start"),
    QT_TRANSLATE_NOOP("startup", "The configuration of this workstation is not valid:"),
    QT_TRANSLATE_NOOP("startup", "Ask your IT department to correct it."),
    # care team (issue 16): main_window.add_care_team, models' census columns, the care-team panel's
    # roles, handoff_report.py's _tr(...)
    QT_TRANSLATE_NOOP("MainWindow", "Care team"),
    QT_TRANSLATE_NOOP("MainWindow", "Handoff report…"),
    QT_TRANSLATE_NOOP("MainWindow", "Metrics…"),
    QT_TRANSLATE_NOOP("models", "Unread"),
    QT_TRANSLATE_NOOP("models", "App"),
    QT_TRANSLATE_NOOP("models", "app online"),
    QT_TRANSLATE_NOOP("models", "last seen {age} ago"),
    QT_TRANSLATE_NOOP("models", "Care team online: {names}"),
    QT_TRANSLATE_NOOP("models", "None of this patient's other clinicians is online"),
    QT_TRANSLATE_NOOP("CareTeamPanel", "clinician"),
    QT_TRANSLATE_NOOP("CareTeamPanel", "coordinator"),
    QT_TRANSLATE_NOOP("CareTeamPanel", "admin"),
    QT_TRANSLATE_NOOP("handoff", "no vitals in this shift"),
    QT_TRANSLATE_NOOP("handoff", "{trend} (now {now}, highest {max})"),
    QT_TRANSLATE_NOOP("handoff", "no vitals"),
    QT_TRANSLATE_NOOP("handoff", "{age} ago"),
    QT_TRANSLATE_NOOP("handoff", "Handoff report"),
    QT_TRANSLATE_NOOP("handoff", "Prepared by {author} on {when} · last {hours} h · {n} patients"),
    QT_TRANSLATE_NOOP("handoff", "{procedure} · post-operative day {pod} · status {status} · NEWS2 {news2}"),
    QT_TRANSLATE_NOOP("handoff", "NEWS2 over the shift"),
    QT_TRANSLATE_NOOP("handoff", "Latest vitals"),
    QT_TRANSLATE_NOOP("handoff", "Open alerts"),
    QT_TRANSLATE_NOOP("handoff", "none"),
    QT_TRANSLATE_NOOP("handoff", "Unread messages ({n})"),
    QT_TRANSLATE_NOOP("handoff", "I-PASS note"),
)
