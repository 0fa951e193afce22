"""The idle lock: after the idle time the patient views hide and a lock panel shows, while the alarm bar
stays visible and keeps announcing; only the signed-in user's password (checked by the server's password
grant, without touching the station's session) unlocks.

Same harness as test_ui_window: a qasync loop per test, no blocking qtbot waits, every wait bounded.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.support.gui import live_window, offline_station, populate, run_qt, submit, until
from tests.support.station import NURSE, PASSWORD
from tjv_desktop.backend.auth import AuthState
from tjv_desktop.domain.events import LinkState
from tjv_desktop.store import LocalStore
from tjv_desktop.sync.worker import StoreWorker
from tjv_desktop.ui.main_window import MainWindow
from tjv_desktop.ui.tables import apply_dark_palette


def patient_views(window: MainWindow) -> list:
    return [window.census_view, window.alerts_view, window.detail, window.filter_edit]


async def audit_actions(worker: StoreWorker) -> list[str]:
    return [e.action for e in await worker.call(LocalStore.audit_trail)]


def test_idle_time_locks_the_patient_views_while_the_alarm_bar_keeps_announcing(qapp, artifacts_dir):
    async def scenario():
        checked: list[str] = []

        async def verify(password: str) -> bool:
            checked.append(password)
            return password == PASSWORD

        now = datetime.now(UTC)
        apply_dark_palette(qapp)
        async with offline_station(populate(now), user_label=NURSE, idle_lock_seconds=1.5,
                                   verify_password=verify) as window:
            worker = window.engine.worker
            window.set_link_state(LinkState.CONNECTED)
            window.resize(1600, 1000)
            window.show()
            assert not window.locked and all(w.isVisible() for w in patient_views(window))

            # Input anywhere in the application restarts the idle time.
            await until(lambda: window.idle.timer.remainingTime() < 1000, 5, "some idle time passes")
            QTest.mouseClick(window.census_view.viewport(), Qt.MouseButton.LeftButton)
            assert window.idle.timer.remainingTime() > 1300
            assert not window.locked

            await until(lambda: window.locked, 5, "the window locks after the idle time")
            assert not any(w.isVisible() for w in patient_views(window))
            assert window.lock_screen.isVisible() and window.alarm_bar.isVisible()
            assert window.lock_screen.password_edit.hasFocus() or not window.isActiveWindow()
            assert window.command_selected("acknowledge") is None, "no hidden commands while locked"

            # A new high alarm arrives while locked: the bar shows it.
            high_before = window.alarm_bar.count_labels["high"].text()
            pid = sorted(window.census_model.keys())[0]
            changes = await worker.call(LocalStore.apply_batch, {"alerts": [{
                "id": str(uuid.uuid4()), "patient_id": pid, "provider_id": "prov-1", "priority": "high",
                "kind": "spo2_low", "message": "SpO2 84 % (limit 88 %)", "value": 84, "limit_value": 88,
                "unit": "%", "state": "active", "raised_at": now.isoformat(), "updated_at": now.isoformat()}]})
            window.handle_changes(changes)
            await until(lambda: window.alarm_bar.count_labels["high"].text() != high_before, 5,
                        "the alarm bar counts the new high alarm while locked")
            assert window.alarm_bar.priority_label.text().endswith(window.alarm_bar.tr("HIGH"))
            assert not any(w.isVisible() for w in patient_views(window))
            assert window.grab().save(str(artifacts_dir / "lock_screen.png"))

            submit(window, "not-the-password")
            await until(lambda: "Wrong password" in window.lock_screen.message.text(), 5,
                        "a wrong password is refused")
            assert window.locked and window.lock_screen.message.isVisible()
            assert window.lock_screen.password_edit.text() == ""
            assert not any(w.isVisible() for w in patient_views(window))
            assert window.grab().save(str(artifacts_dir / "lock_screen_wrong_password.png"))

            switched: list[bool] = []
            window.switch_user_requested.connect(lambda: switched.append(True))
            QTest.mouseClick(window.lock_screen.switch_button, Qt.MouseButton.LeftButton)
            assert switched == [True]
            assert "ends the session" in window.lock_screen.message.text()
            assert window.locked

            submit(window, PASSWORD)
            await until(lambda: not window.locked, 5, "the right password unlocks")
            assert all(w.isVisible() for w in patient_views(window)) and not window.lock_screen.isVisible()
            assert checked == ["not-the-password", PASSWORD]
            assert window.idle.timer.isActive(), "the idle time runs again after unlocking"
            await until(lambda: not window._tasks, 5, "the audit writes finish")
            actions = await audit_actions(worker)
            for action in ("screen_locked", "unlock_refused", "switch_user_requested", "screen_unlocked"):
                assert action in actions

    run_qt(qapp, scenario)


@pytest.mark.sandbox
def test_only_the_signed_in_users_password_unlocks_and_the_check_keeps_the_session(qapp, sandbox):
    async def scenario():
        async with live_window(sandbox, idle_lock_seconds=1.0, connected=False) as (monitor, window):
            await until(lambda: window.locked, 10, "the window locks after 1 s without input")
            token = monitor.core.auth.access_token

            submit(window, "tjv-wrong-2026")
            await until(lambda: "Wrong password" in window.lock_screen.message.text(), 10,
                        "the server refuses the wrong password")
            assert window.locked and not window.census_view.isVisible()

            submit(window, PASSWORD)
            await until(lambda: not window.locked, 10, "the server accepts the right password")
            assert window.census_view.isVisible()
            assert monitor.core.auth.state is AuthState.SIGNED_IN
            assert monitor.core.auth.access_token == token, "checking the password must not replace the session"

    run_qt(qapp, scenario)
