"""``tjv-desktop --demo``: the whole product on this machine. Starts the sandbox (``tjv-sandbox``, from the
``[sandbox]`` extra, as a separate process: the app never imports it) with simulated patients, signs in as
the demo nurse and shows the window, optionally saving a screenshot and exiting after a given time.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import selectors
import signal
import subprocess
import sys
from pathlib import Path

from .config import StationConfig
from .qt import QT_TR, prepare_app, quit_on_signals
from .station import Monitor, appearance

DEMO_EMAIL = "nurse@riverside.tjv.test"


async def run_window(monitor: Monitor, language: str, *, screenshot: Path | None = None,
                     exit_after: float | None = None) -> int:
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    app = prepare_app(language)
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
    proc = subprocess.Popen(
        [sys.executable, "-m", "tjv_sandbox.cli", "--demo-data-dir", "--simulate", str(patients),
         "--patient-apps", str(min(40, patients)), "--log-level", log_level],
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


def main_demo(config: StationConfig, patients: int = 40, screenshot: Path | None = None,
              exit_after: float | None = None, log_level: str = "INFO") -> int:
    """``tjv-desktop --demo``: sandbox + simulator + the window, signed in as the demo nurse."""
    import qasync
    from keyring.backends import fail

    if importlib.util.find_spec("tjv_sandbox") is None:
        print("tjv-desktop: the demo needs the sandbox: pip install -e '.[sandbox]' (make demo does it)",
              file=sys.stderr)
        return 2
    proc, ready = start_demo_sandbox(patients, log_level)
    try:
        user = next(u for u in ready["users"] if u["email"] == DEMO_EMAIL)
        # The demo keeps no session or store key in the user's keyring: the store stays in memory.
        monitor = Monitor(ready["url"], ready["anon_key"], DEMO_EMAIL, user["password"],
                          keyring_backend=fail.Keyring(),
                          idle_lock_seconds=config.idle_lock_seconds, alarm_system=config.alarm_system(),
                          **appearance(config))
        os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
        return qasync.run(run_window(monitor, config.language, screenshot=screenshot, exit_after=exit_after))
    finally:
        stop_process(proc)
