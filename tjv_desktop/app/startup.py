"""``tjv-desktop`` on the configured server: a stored session or the sign-in window, then the station.

The loop a shared workstation needs: resume the session kept in the keyring without a password; if
there is none (or the server refuses it) ask in the sign-in window; run the monitoring window; when the
user switches user (from the lock screen) sign out and ask again; when the server ends the session, say
so and ask again; when the user closes the window, quit.

Each user has their own local store file (named from the server and the user id), so the next user of
the workstation never sees the previous user's patients, even offline.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import logging
import traceback
from dataclasses import dataclass
from pathlib import Path

from ..backend.auth import AuthEvent, AuthSession, AuthState, Identity, SignInError
from ..backend.vault import Vault
from .config import StationConfig
from .folders import private_folder
from .qt import prepare_app, quit_on_signals
from .station import Monitor, appearance

log = logging.getLogger(__name__)


def _tr(text: str) -> str:
    from PySide6.QtCore import QCoreApplication

    return QCoreApplication.translate("startup", text)


def sign_in_problem(exc: SignInError) -> str:
    """What the user reads for a failed sign-in, in their language."""
    if exc.kind == "credentials":
        return _tr("Wrong e-mail or password. Check both and try again.")
    if exc.kind == "unreachable":
        return _tr("The server could not be reached. Check the network connection and try again.")
    return _tr("The server refused the sign-in: {reason}").format(reason=str(exc))


def store_file(folder: Path, server_url: str, user_id: str) -> Path:
    """The user's own encrypted store on this workstation."""
    digest = hashlib.sha256(f"{server_url.rstrip('/')}\n{user_id}".encode()).hexdigest()[:24]
    return folder / f"{digest}.sqlite"


def start_problem(exc: Exception) -> str:
    """A short reason for the user, naming the file or folder at fault; the log has the traceback."""
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror or exc.__class__.__name__} ({exc.filename})"
    return str(exc) or exc.__class__.__name__


@dataclass
class Outcome:
    kind: str  # "quit" | "switch_user" | "session_ended" | "failed"
    reason: str = ""


class Startup:
    """One workstation's application loop. ``sign_in_window`` and ``monitor`` are the current screens
    (for tests); ``quit()`` ends the loop."""

    def __init__(self, config: StationConfig, *, keyring_backend=None, probe_deadline: float | None = None,
                 idle_lock_seconds: float | None = None):
        self.config = config
        self.url, self.anon_key = config.server_url, config.anon_key
        self.vault = Vault(self.url, backend=keyring_backend)
        self.probe_deadline = probe_deadline or config.probe_deadline_seconds
        self.idle_lock_seconds = idle_lock_seconds or config.idle_lock_seconds
        self.sign_in_window = None
        self.monitor: Monitor | None = None
        self.auth: AuthSession | None = None
        self._quit = asyncio.Event()

    def quit(self) -> None:
        self._quit.set()

    async def run_app(self) -> int:
        """Entry point under ``qasync.run``: the application's language and palette, then the loop."""
        prepare_app(self.config.language)
        quit_on_signals(self._quit)
        return await self.run()

    async def run(self) -> int:
        email, message, ask = "", "", False
        try:
            while not self._quit.is_set():
                self.auth = await AuthSession.create(self.url, self.anon_key, self.vault)
                identity, problem = (None, "") if ask else await self._stored_session(self.auth)
                message, failed_before, ask = message or problem, ask, False
                if identity is None:
                    identity = await self._ask(self.auth, email, message, error=failed_before)
                    if identity is None:
                        return 0
                outcome = await self._monitor(self.auth, identity)
                if outcome.kind == "quit":
                    return 0
                if outcome.kind == "failed":
                    # The failed station's pieces (its auth session with a cancelled refresh task, the
                    # listener holding this loop's future) are in reference cycles: free them now, on
                    # the GUI thread, not in a later collection on whichever thread runs it.
                    gc.collect()
                    # Not the stored session again (it would fail the same way, in a loop): the user
                    # reads why, and signs in again once it is fixed.
                    email, ask = identity.email or "", True
                    message = _tr("The monitoring station could not start: {reason}. Patients are not being monitored on this workstation. Try again, or call IT if this repeats.").format(reason=outcome.reason)
                elif outcome.kind == "switch_user":
                    email, message = "", _tr("{user} signed out. The next user signs in here.").format(
                        user=identity.email or "")
                else:
                    email = identity.email or ""
                    message = _tr("Your session ended ({reason}). Patients are not being monitored on this workstation until you sign in again.").format(reason=outcome.reason)
            return 0
        finally:
            await self._close_screens()

    async def _close_screens(self) -> None:
        if self.sign_in_window is not None:
            self.sign_in_window.close_for_flow()
            self.sign_in_window = None
        if self.monitor is not None:
            monitor, self.monitor = self.monitor, None
            await monitor.stop()
            if monitor.window is not None:
                monitor.window.close()
        elif self.auth is not None:
            await self.auth.close()

    async def _stored_session(self, auth: AuthSession) -> tuple[Identity | None, str]:
        try:
            identity = await auth.restore()
        except SignInError as exc:
            log.warning("stored session not resumed: %s", exc)
            return None, sign_in_problem(exc)
        if identity is not None and not identity.provider_id:
            await auth.sign_out()
            return None, self._not_a_clinician(identity)
        if identity is not None:
            log.info("resumed the stored session of %s", identity.email)
        return identity, ""

    @staticmethod
    def _not_a_clinician(identity: Identity) -> str:
        return _tr("{user} is not a clinician account: this application is for care teams.").format(
            user=identity.email or "")

    async def _ask(self, auth: AuthSession, email: str, message: str, *, error: bool = False) -> Identity | None:
        """The sign-in window until a clinician signs in (their identity) or the user closes it (None)."""
        from ..ui.sign_in import SignInWindow

        note = "" if self.vault.secure else _tr(
            "This workstation has no secure keyring: you will be asked for your password at every start, and the local copy of patient data is kept in memory only.")
        window = SignInWindow(self.url, server_locked=self.config.server_locked, email=email,
                              note=note)
        self.sign_in_window = window
        attempts: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue()
        window.submitted.connect(lambda e, p: attempts.put_nowait((e, p)))
        window.closed.connect(lambda: attempts.put_nowait(None))
        if message and error:
            window.show_error(message)
        elif message:
            window.show_info(message)
        window.resize(1280, 800)
        window.show()
        quit_wait = asyncio.ensure_future(self._quit.wait())
        try:
            while True:
                attempt = asyncio.ensure_future(attempts.get())
                await asyncio.wait({attempt, quit_wait}, return_when=asyncio.FIRST_COMPLETED)
                if not attempt.done():
                    attempt.cancel()
                    return None
                if attempt.result() is None:
                    self._quit.set()
                    return None
                typed_email, password = attempt.result()
                try:
                    identity = await auth.sign_in(typed_email, password)
                except SignInError as exc:
                    log.info("sign-in of %s refused: %s", typed_email, exc)
                    window.show_error(sign_in_problem(exc))
                    continue
                if not identity.provider_id:
                    await auth.sign_out()
                    window.show_error(self._not_a_clinician(identity))
                    continue
                log.info("signed in as %s", identity.email)
                return identity
        finally:
            quit_wait.cancel()
            if self.sign_in_window is window and not self._quit.is_set():
                window.close_for_flow()
                self.sign_in_window = None

    async def _monitor(self, auth: AuthSession, identity: Identity) -> Outcome:
        folder = self.config.store_folder
        monitor: Monitor | None = None
        outcome: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()

        def settle(result: Outcome) -> None:
            if not outcome.done():
                outcome.set_result(result)

        def on_auth(event: AuthEvent) -> None:
            if event.state is AuthState.SIGNED_OUT:
                settle(Outcome("session_ended", event.reason))

        auth.add_listener(on_auth)
        try:
            private_folder(folder)  # before the Monitor, which begins opening the store file at once
            monitor = Monitor(self.url, self.anon_key, auth=auth, vault=self.vault,
                              store=store_file(folder, self.url, identity.user_id),
                              probe_deadline=self.probe_deadline, idle_lock_seconds=self.idle_lock_seconds,
                              alarm_system=self.config.alarm_system(), **appearance(self.config))
            self.monitor = monitor
            window = await monitor.start()
        except Exception as exc:  # noqa: BLE001 - whatever it was, the user must read it, not a crash
            # The traceback as text: a log record holding the exception would keep its frames, and with
            # them this failed station and the event loop (through ``outcome``), alive in a reference
            # cycle (an exception re-raised by an asyncio future is in one). Left to the cyclic
            # collector, they are destroyed later on whichever thread collects, Qt objects included:
            # the segfault once seen in qasync's run_forever. Cleared here, collected in ``run``.
            log.error("the monitoring station did not start for %s\n%s", identity.email,
                      "".join(traceback.format_exception(exc)).rstrip())
            reason = start_problem(exc)
            traceback.clear_frames(exc.__traceback__)
            return await self._failed_start(monitor, reason)
        window.switch_user_requested.connect(lambda: settle(Outcome("switch_user")))
        window.closed.connect(lambda: settle(Outcome("quit")))
        window.resize(1920, 1080)
        window.showMaximized()
        # The moment a clinician can read the census; support (and the cold-start benchmark) time it.
        log.info("census: %d patients from the local store, window shown", window.census_model.rowCount())
        quit_wait = asyncio.ensure_future(self._quit.wait())
        try:
            await asyncio.wait({outcome, quit_wait}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            quit_wait.cancel()
        result = outcome.result() if outcome.done() else Outcome("quit")
        log.info("monitoring of %s ends: %s %s", identity.email, result.kind, result.reason)
        if result.kind == "switch_user":
            with contextlib.suppress(Exception):  # offline: the session is still forgotten locally
                await auth.sign_out()
        self.monitor = None
        await monitor.stop()  # closes the auth session too
        self.auth = None
        window.close()
        return result

    async def _failed_start(self, monitor: Monitor | None, reason: str) -> Outcome:
        """Undoes a start that raised: whatever the monitor had begun is stopped (the auth session too;
        no monitor: the store folder could not be made)."""
        self.monitor = None
        try:
            await (monitor.stop() if monitor is not None else self.auth.close())
        except Exception:  # noqa: BLE001 - the start already failed; its reason is what the user reads
            log.exception("stopping the station that did not start")
        if monitor is not None and monitor.window is not None:
            monitor.window.close()
        self.auth = None
        return Outcome("failed", reason)
