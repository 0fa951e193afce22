"""The station: vault, store worker, auth, sync engine, realtime link and the window, started and stopped
together (``Monitor``). The sign-in loop (``startup.py``), the demo (``demo.py``) and the GUI tests build
it here; nothing else wires the window to the engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from ..backend.auth import AuthSession, AuthState
from ..backend.vault import Vault
from ..domain.alarms import AlarmSystem
from ..tasks import cancel_and_wait
from .config import StationConfig
from .qt import QT_TR
from .settings import Settings, SettingsError

log = logging.getLogger(__name__)


class Monitor:
    """Vault, store worker, auth, sync engine, realtime link and the window, started and stopped together.

    Either signs in itself (``email``/``password``, the demo and the tests) or takes an ``auth`` session
    the sign-in window already opened (``tjv_desktop.app.startup``)."""

    def __init__(self, url: str, anon_key: str, email: str = "", password: str = "", *,
                 auth: AuthSession | None = None, vault: Vault | None = None, store: Path | None = None,
                 keyring_backend=None, probe_deadline: float = 10.0, idle_lock_seconds: float = 600.0,
                 alarm_system: AlarmSystem | None = None, theme: str = "standard", theme_locked: bool = False,
                 remember_theme: Callable[[str], None] | None = None, handoff_identifiers: str = "full",
                 handoff_identifiers_locked: bool = False):
        from ..sync.worker import StoreWorker

        vault = vault or Vault(url, backend=keyring_backend)
        key = vault.store_key()  # none without a secure keyring: the store is then kept in memory
        worker = StoreWorker(store if key else None, key)
        # The file opens and is checked on the store's thread (SQLite, without the GIL) while the rest
        # of the station's modules load here: on a 72 h store that check is most of the opening.
        worker.begin_open()
        from .core import ClientCore

        self.theme, self.theme_locked, self.remember_theme = theme, theme_locked, remember_theme
        self.handoff_identifiers, self.handoff_identifiers_locked = handoff_identifiers, handoff_identifiers_locked
        self.email, self._password = email, password
        self.idle_lock_seconds = idle_lock_seconds
        self.alarm_system = alarm_system
        self.core = ClientCore(url, anon_key, vault, worker=worker, probe_deadline=probe_deadline, auth=auth)
        self.window = None
        self.care_team = None

    async def start(self):
        from ..ui.main_window import MainWindow

        core = self.core
        report = await core.open()
        # A file set aside (damaged, foreign, newer, undecryptable) must leave a trace beyond the screen.
        (log.warning if report.recovered else log.info)("local store: %s", report.message)
        note = "" if core.worker.persistent else self._memory_note()
        identity = core.auth.identity if core.auth.state is AuthState.SIGNED_IN else None
        if identity is None:
            identity = await core.auth.restore()
            if identity is None or (identity.email or "").lower() != self.email.lower():
                identity = await core.auth.sign_in(self.email, self._password)
        if not identity.provider_id:
            raise PermissionError(f"{identity.email} is not a provider")
        engine = core.build(identity)
        self.window = MainWindow(engine, core.events, identity.provider_id,
                                 user_label=identity.email or "", store_note=note,
                                 idle_lock_seconds=self.idle_lock_seconds, verify_password=self.verify_password,
                                 alarm_system=self.alarm_system)
        self.window.health_launcher.set_health(core.health)
        self._apply_theme()
        self._add_collaboration()
        care_team_panel = self._add_care_team()
        await self.window.start()
        core.run()
        self._care_team_join = asyncio.ensure_future(self._care_team_after_first_screen(care_team_panel))
        # The whole-file check the open left for later (store/opening.py), after the first screen.
        self._integrity = asyncio.ensure_future(self._check_store())
        return self.window

    async def _check_store(self) -> None:
        """A file found damaged now is set aside as at open (the store already replaced it, keeping the
        outbox): the window drops what it showed from it, says why, and everything is fetched again."""
        from ..store import LocalStore

        report = await self.core.worker.call(LocalStore.check_integrity)
        if report is None:
            return
        log.warning("local store: %s", report.message)
        window, engine = self.window, self.core.engine
        first = await engine.initial_view()
        window.census_model.reset(first.census)
        window.alerts_model.reset(first.alerts)
        window.store_label.setText(QT_TR("The local copy of patient data was damaged and set aside ({file}); reloading it from the server").format(
            file=report.set_aside or report.path or ""))
        engine.request_resync("local store set aside")

    def _apply_theme(self) -> None:
        from ..ui.theme import THEMES

        self.window.set_theme(THEMES[self.theme], locked=self.theme_locked)
        if self.remember_theme is not None:
            self.window.theme_did_change.connect(self.remember_theme)

    def _memory_note(self) -> str:
        """The status bar's word that nothing reaches the disk, and why."""
        problem = self.core.vault.store_key_problem
        if problem:
            return QT_TR("Local copy kept in memory only: the keyring failed ({reason})").format(reason=problem)
        return QT_TR("Local copy kept in memory only (no secure keyring)")

    def _add_collaboration(self) -> None:
        """Issue 6: the sessions dock and the announcement banner, hooked into the window in one place."""
        from ..ui.announcements import AnnouncementBanner
        from ..ui.sessions import SessionsPanel

        window = self.window

        def patient_name(patient_id: str) -> str | None:
            row = window.census_model.row(patient_id)
            return row.name if row else None

        panel = SessionsPanel(self.core.sessions, patient_name)
        banner = AnnouncementBanner(self.core.events)
        window.add_collaboration(panel, banner)
        panel.start()

    def _add_care_team(self):
        """Issue 16: the care-team dock, the reply box, the handoff report and, for coordinators, the
        metrics view, in the window before it shows. Presence, heartbeat, the colleagues and this
        clinician's name as the server knows it come after the first screen (``_join_care_team``): a slow
        network must never hold back the census."""
        from PySide6.QtCore import Qt

        from ..backend.rest import RestError
        from ..ui.care_team_panel import CareTeamPanel
        from ..ui.handoff_dialog import HandoffDialog
        from ..ui.metrics_view import MetricsView
        from ..ui.reply_box import ReplyBox

        core, window = self.core, self.window
        identity, rest = core.identity, core.engine.rest
        self._name = identity.email or ""  # until the server says it (_join_care_team)
        panel = CareTeamPanel(identity.provider_id)
        box = ReplyBox()

        def open_handoff() -> None:
            dialog = HandoffDialog(core.engine, self._name, window, identifiers=self.handoff_identifiers,
                                   identifiers_locked=self.handoff_identifiers_locked)

            async def fill() -> None:
                try:
                    dialog.notes = await rest.handoff_notes()
                except RestError as exc:  # offline: the report goes without the session notes
                    log.info("handoff notes not read: %s", exc)
                await dialog.refresh()
            window._spawn(fill())
            dialog.show()

        def open_metrics() -> None:
            view = MetricsView(rest.tenant_metrics, parent=window)
            view.setWindowFlag(Qt.WindowType.Window)
            if self.care_team is not None:  # live rows once the tenant's topic is joined
                self.care_team.metrics_did_arrive.append(view.add_rows)
            view.resize(1000, 640)
            view.show()

            async def fill() -> None:
                view.set_limits(await rest.tenant_limits(identity.tenant_id))
                await view.show_range("shift")
            window._spawn(fill())

        coordinator = identity.role in ("coordinator", "admin")
        window.add_care_team(panel, box, open_handoff=open_handoff, open_metrics=open_metrics if coordinator else None)

        async def quick_replies() -> None:
            try:
                box.set_quick_replies(await rest.quick_replies())
            except RestError as exc:
                log.info("quick replies not read: %s", exc)
        window._spawn(quick_replies())
        return panel

    async def _join_care_team(self, panel) -> None:
        from ..backend.rest import RestError
        from ..sync.care_team import CareTeam
        from ..ui.care_team_panel import LockWatcher

        core, window = self.core, self.window
        identity, rest = core.identity, core.engine.rest
        try:
            me = await rest.provider(identity.provider_id) or {}
        except RestError as exc:  # offline start: the e-mail stands in for the name
            log.info("provider name not read: %s", exc)
            me = {}
        self._name = me.get("full_name") or self._name
        role = me.get("role") or identity.role or "clinician"
        team = CareTeam(core.link, rest, provider_id=identity.provider_id, tenant_id=identity.tenant_id,
                        name=self._name, role=role)
        team.colleagues_did_change.append(panel.set_colleagues)
        team.app_did_change.append(window.census_model.set_app_presence)
        team.team_did_change.append(window.census_model.set_team_online)
        LockWatcher(window.lock_screen, lambda locked: window._spawn(team.set_locked(locked)))
        model = window.census_model
        model.rowsInserted.connect(lambda *_: window._spawn(team.watch_patients(model.keys())))
        model.modelReset.connect(lambda: window._spawn(team.watch_patients(model.keys())))
        await team.start(model.keys())
        self.care_team = team

    async def _care_team_after_first_screen(self, panel) -> None:
        try:
            await self._join_care_team(panel)
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 - a background task: its failure must reach the log, not vanish
            log.exception("the care team (presence, colleagues, patients' apps) could not start")

    async def verify_password(self, password: str) -> bool | str:
        """The signed-in user's password, checked without touching the station's session: True, False,
        or "offline" when it was checked on this workstation because the server could not be reached."""
        ok = await self.core.auth.verify_password(password)
        return "offline" if ok and self.core.auth.last_check_offline else ok

    async def stop(self) -> None:
        pending = [t for t in (getattr(self, "_integrity", None), getattr(self, "_care_team_join", None)) if t]
        if pending:
            await cancel_and_wait(pending)
        panel = getattr(self.window, "sessions_panel", None)
        if panel is not None and panel.session is not None:
            await panel.session.leave()  # saves the shared document before the link goes
        if self.care_team is not None:
            await self.care_team.stop()
        if self.window is not None:
            await self.window.stop()
        await self.core.stop()


def remember_theme(name: str) -> None:
    """The user's night-view choice, kept in their settings file for the next start (never over policy:
    the window's toggle is disabled then)."""
    try:
        Settings.load().set_user("theme", name)
    except (SettingsError, OSError) as e:
        log.warning("could not remember the theme %r: %s", name, e)


def appearance(config: StationConfig) -> dict:
    """The Monitor's look and report options from the configuration, remembering the theme the user
    switches to."""
    return {"theme": config.theme, "theme_locked": config.theme_locked, "remember_theme": remember_theme,
            "handoff_identifiers": config.handoff_identifiers,
            "handoff_identifiers_locked": config.handoff_identifiers_locked}
