"""``tjv-desktop`` on a configured server: refusing a bad configuration, the sign-in window, the stored
session (a real Secret Service keyring), each user's own store, and switching user from the lock screen.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.support.gui import run_qt, until
from tests.support.station import NURSE, PASSWORD
from tjv_desktop.app.config import StationConfig
from tjv_desktop.app.settings import Settings
from tjv_desktop.app.startup import Startup, store_file
from tjv_desktop.backend.vault import Vault
from tjv_desktop.store import LocalStore


def run_cli(tmp_path: Path, policy: dict | None, defaults: dict | None = None,
            args: tuple[str, ...] | list[str] = ()) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(TJV_POLICY_FILE=str(tmp_path / "policy.json"), TJV_DEFAULTS_FILE=str(tmp_path / "defaults.json"),
               TJV_USER_SETTINGS_FILE=str(tmp_path / "user.json"), QT_QPA_PLATFORM="offscreen")
    for name, values in (("policy.json", policy), ("defaults.json", defaults)):
        if values is not None:
            (tmp_path / name).write_text(json.dumps(values))
    return subprocess.run([sys.executable, "-m", "tjv_desktop.app.cli", *args], env=env, capture_output=True, text=True,
                          timeout=60)


def test_an_invalid_or_missing_setting_stops_the_start_naming_the_setting_and_its_source(tmp_path):
    bad_url = run_cli(tmp_path, {"server_url": "hospital-server", "anon_key": "k"})
    assert bad_url.returncode == 2
    assert "server_url" in bad_url.stderr and str(tmp_path / "policy.json") in bad_url.stderr
    assert "machine policy" in bad_url.stderr and "http(s) URL" in bad_url.stderr

    negative = run_cli(tmp_path, {"server_url": "https://tjv.example.org", "anon_key": "k"},
                       {"idle_lock_minutes": -5})
    assert negative.returncode == 2
    assert "idle_lock_minutes = -5" in negative.stderr and "machine defaults" in negative.stderr

    (tmp_path / "policy.json").unlink()
    (tmp_path / "defaults.json").unlink()
    missing = run_cli(tmp_path, None)
    assert missing.returncode == 2 and "not configured: server_url, anon_key" in missing.stderr
    for where in ("machine policy", "user settings", "machine defaults"):
        name = {"machine policy": "policy.json", "user settings": "user.json"}.get(where, "defaults.json")
        assert f"{where} {tmp_path / name}" in missing.stderr, missing.stderr


def test_help_lists_the_watch_command_and_the_settings_files(tmp_path):
    shown = run_cli(tmp_path, None, args=["--help"])
    assert shown.returncode == 0
    assert "\n  watch " in shown.stdout and "tjv-desktop watch --help" in shown.stdout
    assert f"user settings {tmp_path / 'user.json'}" in shown.stdout
    assert f"machine policy {tmp_path / 'policy.json'}" in shown.stdout


def settings_for(tmp_path: Path, sandbox) -> Settings:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"server_url": sandbox.url, "anon_key": sandbox.anon_key}))
    user = tmp_path / "user.json"
    user.write_text(json.dumps({"store_path": str(tmp_path / "stores")}))
    return Settings.load(policy_file=policy, user_file=user, defaults_file=tmp_path / "none.json", env={})


def type_into(window, email: str | None, password: str) -> None:
    if email is not None:
        window.email_edit.setText(email)
    window.password_edit.setText(password)
    QTest.keyClick(window.password_edit, Qt.Key.Key_Return)


@pytest.mark.sandbox
def test_sign_in_window_then_stored_session_then_switch_user(qapp, sandbox, secret_service, tmp_path,
                                                             artifacts_dir):
    settings = settings_for(tmp_path, sandbox)
    vault = Vault(sandbox.url, backend=secret_service)
    vault.clear_refresh_token()

    async def first_start():
        startup = Startup(StationConfig.from_settings(settings), keyring_backend=secret_service, probe_deadline=3.0)
        run = asyncio.ensure_future(startup.run())
        try:
            await until(lambda: startup.sign_in_window is not None and startup.sign_in_window.isVisible(), 20,
                        "no stored session: the sign-in window opens")
            window = startup.sign_in_window
            assert window.server_value.text() == sandbox.url
            assert "IT department" in window.server_note.text(), "a policy-set server shows as locked"

            type_into(window, NURSE, "tjv-wrong-2026")
            await until(lambda: "Wrong e-mail or password" in window.message.text(), 15, "the refusal is shown")
            assert window.email_edit.text() == NURSE and window.password_edit.text() == ""
            assert window.sign_in_button.isEnabled()
            window.resize(1280, 800)
            window.grab().save(str(artifacts_dir / "sign-in-refused.png"))

            type_into(window, None, PASSWORD)
            await until(lambda: startup.monitor is not None and startup.monitor.window is not None
                        and startup.monitor.window.isVisible(), 30, "the right password opens the station")
            assert startup.sign_in_window is None
            station = startup.monitor.window
            await until(lambda: station.census_model.rowCount() > 0, 20, "the nurse's patients arrive")
            assert vault.load_refresh_token(), "the rotating refresh token is kept in the keyring"
            assert startup.monitor.core.worker.persistent, "the store is an encrypted file with a keyring key"
            mine = store_file(tmp_path / "stores", sandbox.url, startup.monitor.core.identity.user_id)
            assert mine.is_file()
            startup.quit()
            assert await asyncio.wait_for(run, 30) == 0
            return mine
        finally:
            if not run.done():
                startup.quit()
                await asyncio.wait_for(run, 30)

    store = run_qt(qapp, first_start, timeout=120)

    async def second_start():
        startup = Startup(StationConfig.from_settings(settings), keyring_backend=secret_service, probe_deadline=3.0)
        asked: list[bool] = []
        run = asyncio.ensure_future(startup.run())
        try:
            while startup.monitor is None or startup.monitor.window is None:
                asked.append(startup.sign_in_window is not None)
                assert not run.done(), run.exception() if run.done() else None
                await asyncio.sleep(0.02)
            assert not any(asked), "the stored session signs in without asking for a password"
            station = startup.monitor.window
            await until(lambda: station.census_model.rowCount() > 0, 20, "the patients are there")

            station.lock()
            QTest.mouseClick(station.lock_screen.switch_button, Qt.MouseButton.LeftButton)
            await until(lambda: startup.sign_in_window is not None and startup.sign_in_window.isVisible(), 30,
                        "switching user signs out and asks for the next user")
            window = startup.sign_in_window
            assert "signed out" in window.message.text() and window.email_edit.text() == ""
            assert vault.load_refresh_token() is None, "the previous user's session is gone from the keyring"
            assert startup.monitor is None
            window.grab().save(str(artifacts_dir / "sign-in-after-switch-user.png"))
            window.close()  # the user closes the sign-in window: the application ends
            assert await asyncio.wait_for(run, 30) == 0
        finally:
            if not run.done():
                startup.quit()
                await asyncio.wait_for(run, 30)

    run_qt(qapp, second_start, timeout=120)

    trail = LocalStore.open(store, Vault(sandbox.url, backend=secret_service).store_key())
    try:
        actions = [e.action for e in trail.audit_trail(limit=100_000)]
    finally:
        trail.close()
    assert "switch_user_requested" in actions and "screen_locked" in actions



@pytest.mark.sandbox
def test_a_station_that_cannot_start_after_sign_in_says_why_in_the_sign_in_window(qapp, sandbox, secret_service,
                                                                                  tmp_path, artifacts_dir):
    settings = settings_for(tmp_path, sandbox)
    blocker = tmp_path / "stores"
    blocker.write_text("not a folder")  # the fault: the store folder setting names a file
    assert blocker.is_file()
    Vault(sandbox.url, backend=secret_service).clear_refresh_token()

    async def start():
        startup = Startup(StationConfig.from_settings(settings), keyring_backend=secret_service, probe_deadline=3.0)
        run = asyncio.ensure_future(startup.run())
        try:
            await until(lambda: startup.sign_in_window is not None and startup.sign_in_window.isVisible(), 20,
                        "the sign-in window opens")
            first = startup.sign_in_window
            type_into(first, NURSE, PASSWORD)
            await until(lambda: startup.sign_in_window is not None and startup.sign_in_window is not first
                        and startup.sign_in_window.isVisible(), 30,
                        "the failed start comes back to the sign-in window instead of crashing")
            assert not run.done()
            window = startup.sign_in_window
            text = window.message.text()
            assert "could not start" in text and str(blocker) in text, text
            assert window.email_edit.text() == NURSE and window.password_edit.text() == ""
            assert startup.monitor is None
            window.grab().save(str(artifacts_dir / "sign-in-after-failed-start.png"))
            window.close()
            assert await asyncio.wait_for(run, 30) == 0
        finally:
            if not run.done():
                startup.quit()
                await asyncio.wait_for(run, 30)

    run_qt(qapp, start, timeout=120)
    assert blocker.read_text() == "not a folder", "nothing the user had is touched"
    # Whatever this test's closed event loop left in reference cycles (its Qt timers and socket
    # notifiers) is destroyed here, on the GUI thread, not during the next test on another thread.
    gc.collect()
