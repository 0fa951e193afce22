"""The alarm bar of the real window against the sandbox: alerts inserted in the database flash at the
standard's rate, a pause expires and signals resume, a higher-priority alert breaks an alarm pause, the
connection's loss becomes a technical alarm that the lock screen keeps in view, and the signed-in user
can still unlock while the server is unreachable.

Same harness as test_ui_window: a qasync loop per test, no blocking qtbot waits, every wait bounded.
"""

from __future__ import annotations

import time
import uuid
from urllib.parse import urlsplit

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from tests.support.faultproxy import FaultProxy
from tests.support.gui import live_window, run_qt, sandbox_database, submit, until
from tests.support.station import PASSWORD
from tjv_desktop.domain.alarms import AlarmSystem, TechnicalPolicy
from tjv_desktop.domain.events import LinkState
from tjv_desktop.store import LocalStore

pytestmark = pytest.mark.sandbox


async def raise_alert(conn, window, patient_id: str, priority: str, kind: str, message: str) -> str:
    await conn.execute("select resolve_alerts($1, $2)", uuid.UUID(patient_id), kind)
    return str(await conn.fetchval(
        "select id from raise_alert($1, $2, $3, $4, null, null, null) where provider_id = $5",
        uuid.UUID(patient_id), priority, kind, message, uuid.UUID(window.provider_id)))


async def flash_frequency(bar, seconds: float) -> float:
    """Flashes per second seen on the real timer: onsets of the lit phase over ``seconds``."""
    onsets: list[float] = []

    def toggled() -> None:
        if bar.is_lit:
            onsets.append(time.monotonic())

    bar.flash_timer.timeout.connect(toggled)
    try:
        await until(lambda: len(onsets) >= 2 and onsets[-1] - onsets[0] >= seconds, seconds + 5,
                    "the panel keeps flashing")
    finally:
        bar.flash_timer.timeout.disconnect(toggled)
    return (len(onsets) - 1) / (onsets[-1] - onsets[0])


async def audit(window) -> list[str]:
    return [e.action for e in await window.engine.worker.call(LocalStore.audit_trail)]


def test_pause_expiry_break_through_flash_rates_and_acknowledge_in_the_real_window(qapp, sandbox):
    async def scenario():
        async with sandbox_database(sandbox) as conn:
            try:
                async with live_window(sandbox, alarm_system=AlarmSystem(audio_pause_seconds=3,
                                                                         alarm_pause_seconds=60)) as (_monitor, window):
                    bar = window.alarm_bar
                    await until(lambda: window.census_model.rowCount() >= 2, 10, "the census fills")
                    first, second = sorted(window.census_model.keys())[:2]
                    await conn.execute("select resolve_alerts(p.id, null) from patients p")
                    await until(lambda: bar.status.top is None, 10, "no alarm is left over from other tests")

                    medium = await raise_alert(conn, window, first, "medium", "spo2_low", "SpO2 91 %")
                    await until(lambda: bar.status.top is not None and bar.status.top.id == medium, 10,
                                "the medium alert from the database tops the bar")
                    assert bar.priority_label.text().startswith("**")
                    rate = await flash_frequency(bar, 3.5)
                    assert 0.4 <= rate <= 0.8, f"medium flashes at {rate:.2f} Hz (IEC 60601-1-8: 0.4-0.8 Hz)"
                    assert bar.status.audio_priority == "medium"

                    QTest.keyClick(window, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier
                                   | Qt.KeyboardModifier.ShiftModifier)
                    await until(lambda: bar.status.inactivation == "audio_paused", 2, "Ctrl+Shift+A pauses audio")
                    assert bar.status.audio_priority is None and "AUDIO PAUSED" in bar.pause_label.text()
                    assert bar.flash_timer.isActive(), "audio pause silences; the visual signal goes on"
                    await until(lambda: bar.status.inactivation == "none", 6, "the 3 s audio pause expires by itself")
                    assert bar.status.audio_priority == "medium", "the sound resumes when the pause ends"
                    assert not bar.pause_label.isVisible()

                    QTest.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier
                                   | Qt.KeyboardModifier.ShiftModifier)
                    await until(lambda: bar.status.inactivation == "alarm_paused", 2, "Ctrl+Shift+P pauses alarms")
                    assert not bar.flash_timer.isActive() and bar.status.audio_priority is None

                    high = await raise_alert(conn, window, second, "high", "tachycardia", "Heart rate 141 /min")
                    await until(lambda: bar.status.inactivation == "none", 10, "the high alert breaks the pause")
                    assert bar.status.top.id == high and bar.priority_label.text().startswith("***")
                    assert bar.status.audio_priority == "high"
                    rate = await flash_frequency(bar, 2.0)
                    assert 1.4 <= rate <= 2.8, f"high flashes at {rate:.2f} Hz (IEC 60601-1-8: 1.4-2.8 Hz)"

                    assert window.select_alert(high)
                    window.alerts_view.setFocus()
                    QTest.keyClick(window.alerts_view, Qt.Key.Key_A)
                    await until(lambda: not bar.status.top.flashing or bar.status.top.id != high, 2,
                                "the acknowledged alarm stops flashing")
                    await until(lambda: window.alerts_model.row(high).pending_action_id is None
                                and window.alerts_model.row(high).state == "acknowledged", 10,
                                "the server confirms the acknowledgement")
                    assert await conn.fetchval("select state from patient_alerts where id = $1",
                                               uuid.UUID(high)) == "acknowledged"

                    actions = await audit(window)
                    for expected in ("alarm_audio_paused", "alarm_resumed", "alarm_alarm_paused", "alarm_break_through",
                                     "alarm_raised"):
                        assert expected in actions, f"{expected} missing from the local audit trail: {actions}"
            finally:
                await conn.execute("select resolve_alerts(p.id, null) from patients p")

    run_qt(qapp, scenario, timeout=90)


def test_lost_connection_is_a_technical_alarm_the_lock_screen_keeps_and_the_user_can_unlock_offline(
        qapp, sandbox, artifacts_dir):
    async def scenario():
        target = urlsplit(sandbox.url)
        proxy = await FaultProxy(target.hostname, target.port).start()
        try:
            async with live_window(sandbox, url=proxy.url, probe_deadline=2.0, idle_lock_seconds=3600,
                                   alarm_system=AlarmSystem(technical=TechnicalPolicy(stale_after_seconds=600))
                                   ) as (_monitor, window):
                bar = window.alarm_bar
                await until(lambda: bar.status.technical is None, 5, "no technical alarm while connected")

                proxy.set_mode("refuse")
                assert proxy.cut() >= 1, "the fault happened: live connections were closed"
                await until(lambda: bar.status.technical is not None, 10, "the loss becomes a technical alarm")
                assert bar.status.technical.technical_kind == "communication_lost"
                assert bar.technical_label.isVisible() and "NO CONNECTION" in bar.technical_label.text()
                assert bar.status.audio_priority is not None, "the technical alarm sounds"
                QTest.keyClick(window, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier
                               | Qt.KeyboardModifier.ShiftModifier)
                await until(lambda: bar.status.inactivation == "audio_paused", 2, "audio can be paused")
                assert bar.status.pause_remaining is not None, "but only for a limited time"

                window.lock()
                assert bar.isVisible() and bar.technical_label.isVisible(), "the lock screen keeps the alarm in view"
                assert not window.census_view.isVisible()
                window.grab().save(str(artifacts_dir / "lock-screen-connection-lost.png"))

                submit(window, "tjv-wrong-2026")
                await until(lambda: "Wrong password" in window.lock_screen.message.text(), 15,
                            "a wrong password is refused on the workstation too")
                assert window.locked
                submit(window, PASSWORD)
                await until(lambda: not window.locked, 15, "the signed-in user's password unlocks offline")
                trail = await window.engine.worker.call(LocalStore.audit_trail)
                unlocked = [e for e in trail if e.action == "screen_unlocked"]
                assert unlocked and "workstation" in unlocked[0].details["password_checked_by"]

                proxy.set_mode("pass")
                await until(lambda: window.link_state is LinkState.CONNECTED, 40, "the link comes back")
                await until(lambda: bar.status.technical is None, 5, "the technical alarm clears")
        finally:
            await proxy.stop()

    run_qt(qapp, scenario, timeout=120)
