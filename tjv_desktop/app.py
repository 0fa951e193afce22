"""The desktop application's wiring: the engine assembled as in watch.py, then the window, on qasync.

``main_demo`` runs the whole product on this machine: it starts the sandbox with simulated patients in
a subprocess, signs in as the demo nurse and shows the window (optionally saving a screenshot and
exiting after a given time, for smoke tests and documentation).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import selectors
import signal
import subprocess
import sys
from pathlib import Path

from .backend.auth import AuthSession, AuthState
from .backend.vault import Vault
from .domain.alarms import AlarmSystem, TechnicalPolicy
from .settings import Settings

log = logging.getLogger(__name__)

DEMO_EMAIL = "nurse@riverside.tjv.test"


class Monitor:
    """Vault, store worker, auth, sync engine, realtime link and the window, started and stopped together.

    Either signs in itself (``email``/``password``, the demo and the tests) or takes an ``auth`` session
    the sign-in window already opened (``tjv_desktop.startup``)."""

    def __init__(self, url: str, anon_key: str, email: str = "", password: str = "", *,
                 auth: AuthSession | None = None, vault: Vault | None = None, store: Path | None = None,
                 keyring_backend=None, probe_deadline: float = 10.0, idle_lock_seconds: float = 600.0,
                 alarm_system: AlarmSystem | None = None):
        from .core import ClientCore

        self.email, self._password = email, password
        self.idle_lock_seconds = idle_lock_seconds
        self.alarm_system = alarm_system
        self.core = ClientCore(url, anon_key, vault or Vault(url, backend=keyring_backend), store_path=store,
                               probe_deadline=probe_deadline, auth=auth)
        self.window = None

    async def start(self):
        from .ui.main_window import MainWindow

        core = self.core
        await core.open()
        note = "" if core.worker.persistent else QT_TR("Local copy kept in memory only (no secure keyring)")
        identity = core.auth.identity if core.auth.state is AuthState.SIGNED_IN else None
        if identity is None:
            identity = await core.auth.restore()
            if identity is None or (identity.email or "").lower() != self.email.lower():
                identity = await core.auth.sign_in(self.email, self._password)
        if not identity.provider_id:
            raise PermissionError(f"{identity.email} is not a provider")
        engine = core.build(identity)
        self.window = MainWindow(engine, core.worker, identity.provider_id, identity.provider_id,
                                 user_label=identity.email or "", store_note=note,
                                 idle_lock_seconds=self.idle_lock_seconds, verify_password=self.verify_password,
                                 alarm_system=self.alarm_system)
        core.change_listeners.append(self.window.handle_changes)
        self.window.health_launcher.set_health(core.health)
        self.window.watch_patient = core.link.watch_patient
        core.state_listeners.append(self.window.set_link_state)
        self._add_collaboration()
        await self.window.start()
        core.run()
        return self.window

    def _add_collaboration(self) -> None:
        """Issue 6: the sessions dock and the announcement banner, hooked into the window in one place."""
        from .ui.announcements import AnnouncementBanner
        from .ui.sessions import SessionsPanel

        window = self.window

        def patient_name(patient_id: str) -> str | None:
            row = window.census_model.row(patient_id)
            return row.get("name") if row else None

        panel = SessionsPanel(self.core.sessions, patient_name)
        banner = AnnouncementBanner()
        window.add_collaboration(panel, banner)
        self.core.broadcast_listeners.append(banner.handle_broadcast)
        panel._spawn(panel.refresh())

    async def verify_password(self, password: str) -> bool | str:
        """The signed-in user's password, checked without touching the station's session: True, False,
        or "offline" when it was checked on this workstation because the server could not be reached."""
        ok = await self.core.auth.verify_password(password)
        return "offline" if ok and self.core.auth.last_check_offline else ok

    async def stop(self) -> None:
        panel = getattr(self.window, "sessions_panel", None)
        if panel is not None and panel.session is not None:
            await panel.session.leave()  # saves the shared document before the link goes
        if self.window is not None:
            await self.window.stop()
        await self.core.stop()


def alarm_system_from(settings: Settings) -> AlarmSystem:
    """The alarm system with the pause lengths and technical-alarm thresholds the settings give."""
    return AlarmSystem(settings.value("audio_pause_seconds"), settings.value("alarm_pause_seconds"),
                       TechnicalPolicy(stale_after_seconds=settings.value("stale_data_seconds"),
                                       high_after_seconds=settings.value("technical_alarm_high_after_seconds")))


def prepare_app():
    """The running QApplication with the chosen language and the station palette; before any widget."""
    from PySide6.QtWidgets import QApplication

    from .ui.i18n import install_translator
    from .ui.tables import apply_dark_palette

    app = QApplication.instance()
    install_translator(app)  # the setting `language`; before any widget is built
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


async def run_window(monitor: Monitor, *, screenshot: Path | None = None, exit_after: float | None = None) -> int:
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    app = prepare_app()
    done = asyncio.Event()
    app.lastWindowClosed.connect(done.set)
    quit_on_signals(done)
    try:
        window = await monitor.start()
        # One user only in this mode (the demo): there is no sign-in window to switch to.
        window.switch_user_requested.connect(lambda: window.lock_screen.show_error(QT_TR(
            "Only one user is signed in here: unlock with the password, or close the window to end.")))
        window.resize(1920, 1080)
        window.show()
        if exit_after is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(exit_after):
                    await done.wait()
            if screenshot is not None:
                if window.census_proxy.rowCount() and window.selected_patient is None:
                    first = window.census_proxy.key_at(0)
                    window.select_patient(first)
                    await window.load_detail(first)  # loaded now, not on the next chart tick
                    window.detail.redraw_if_needed()
                QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)  # lay out the new texts now
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                window.grab().save(str(screenshot))
        else:
            await done.wait()
        return 0
    finally:
        await monitor.stop()  # while the loop still runs (python-stack-notes §3)


def start_demo_sandbox(patients: int, log_level: str, timeout: float = 120.0) -> tuple[subprocess.Popen, dict]:
    """Starts ``tjv-sandbox`` with the simulator; returns the process and its ready line."""
    from .sandbox import cli as sandbox_cli

    proc = subprocess.Popen(
        [sys.executable, "-m", "tjv_desktop.sandbox.cli", "--data-dir", str(sandbox_cli.default_data_dir()),
         "--simulate", str(patients), "--log-level", log_level],
        stdout=subprocess.PIPE, text=True)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    loop_deadline = timeout
    while loop_deadline > 0 and proc.poll() is None:
        if sel.select(timeout=0.5):
            line = proc.stdout.readline()
            if line:
                return proc, json.loads(line)
        loop_deadline -= 0.5
    stop_process(proc)
    raise RuntimeError("the demo sandbox did not become ready")


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def main_demo(patients: int = 40, screenshot: Path | None = None, exit_after: float | None = None,
              log_level: str = "INFO") -> int:
    """``tjv-desktop --demo``: sandbox + simulator + the window, signed in as the demo nurse."""
    import qasync
    from keyring.backends import fail

    settings = Settings.load()
    proc, ready = start_demo_sandbox(patients, log_level)
    try:
        user = next(u for u in ready["users"] if u["email"] == DEMO_EMAIL)
        # The demo keeps no session or store key in the user's keyring: the store stays in memory.
        monitor = Monitor(ready["url"], ready["anon_key"], DEMO_EMAIL, user["password"],
                          keyring_backend=fail.Keyring(),
                          idle_lock_seconds=settings.value("idle_lock_minutes") * 60,
                          alarm_system=alarm_system_from(settings))
        os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
        return qasync.run(run_window(monitor, screenshot=screenshot, exit_after=exit_after))
    finally:
        stop_process(proc)
