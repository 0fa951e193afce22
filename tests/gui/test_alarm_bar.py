"""The alarm bar renders AlarmSystem status: flash rate, counts, texts, pause countdown, screenshot."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import QLabel, QPushButton

from tjv_desktop.domain.alarms import AUDITORY, AlarmSystem
from tjv_desktop.ui.alarm_bar import AlarmBar
from tjv_desktop.ui.audio import SAMPLE_RATE, synthesize_burst


class FakeClock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


PATIENTS = {"p1": "Maria Lopez", "p2": "John Smith", "p3": "Ann Lee"}


def alert(alert_id, priority, state="active", patient="p1", message="SpO2 low", value=86, limit=90, unit="%"):
    return {"id": alert_id, "patient_id": patient, "priority": priority, "state": state, "message": message,
            "value": value, "limit_value": limit, "unit": unit, "raised_at": "2026-11-24T03:12:00Z"}


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def bar(qtbot, clock):
    widget = AlarmBar(AlarmSystem(audio_pause_seconds=120), clock=clock)
    widget.tick_timer.stop()  # the tests advance the fake clock and call refresh() themselves
    qtbot.addWidget(widget)
    widget.resize(1280, widget.sizeHint().height())
    return widget


def test_flash_timer_runs_at_the_domain_rate_for_the_top_priority(bar):
    bar.update_alerts([alert("a", "high")], PATIENTS)
    assert bar.flash_timer.isActive() and bar.flash_timer.interval() == 250  # 2 Hz, 50 % duty
    bar.update_alerts([alert("a", "medium")], PATIENTS)
    assert bar.flash_timer.interval() == 833  # 0.6 Hz, 50 % duty
    bar.update_alerts([alert("a", "low")], PATIENTS)
    assert not bar.flash_timer.isActive() and bar.is_lit  # low priority is steady


def test_flash_timer_toggles_the_panel(qtbot, bar):
    bar.update_alerts([alert("a", "high")], PATIENTS)
    assert bar.is_lit
    with qtbot.waitSignal(bar.flash_timer.timeout, timeout=2000):
        pass
    assert not bar.is_lit
    assert "#1e1e1e" in bar.panel.styleSheet()


def test_acknowledged_alarm_stops_the_flash_but_stays_shown(bar):
    bar.update_alerts([alert("a", "high", "acknowledged")], PATIENTS)
    assert not bar.flash_timer.isActive()
    assert "acknowledged" in bar.message_label.text()
    assert bar.count_labels["high"].text() == "*** 0 +1 ack"


def test_a_message_that_states_its_limit_is_not_repeated(bar):
    bar.update_alerts([alert("a", "medium", message="Pain score 9/10 (limit 8/10)", value=9, limit=8, unit="/10")],
                      PATIENTS)
    assert bar.message_label.text() == "Maria Lopez: Pain score 9/10 (limit 8/10)"


def test_shows_the_most_urgent_alarm_with_patient_value_limit_and_counts(bar, clock):
    bar.update_alerts([alert("a", "medium", patient="p2", message="Heart rate high", value=124, limit=110,
                             unit="bpm"),
                       alert("b", "high", message="SpO2 low"), alert("c", "medium", patient="p3"),
                       alert("d", "low", patient="p3", message="Pain score high", value=7, limit=6, unit="")],
                      PATIENTS)
    clock.now += 75
    bar.refresh()
    assert bar.priority_label.text() == "*** HIGH"
    assert bar.message_label.text() == "Maria Lopez: SpO2 low (86\u00a0%, limit\u00a090\u00a0%)"
    assert bar.age_label.text() == "for 1:15"
    assert [bar.count_labels[p].text() for p in ("high", "medium", "low")] == ["*** 1", "** 2", "* 1"]
    assert bar.count_labels["medium"].toolTip() == "MEDIUM: 2 waiting, 0 acknowledged"


def test_audio_pause_button_shows_a_countdown_and_resumes(qtbot, bar, clock):
    bar.update_alerts([alert("a", "high")], PATIENTS)
    with qtbot.waitSignal(bar.audio_pause_requested, timeout=1000):
        qtbot.mouseClick(bar.audio_button, Qt.MouseButton.LeftButton)
    assert bar.pause_label.text() == "AUDIO PAUSED 2:00"
    assert bar.audio_button.text() == "Resume audio"
    assert bar.flash_timer.isActive()  # visual signals continue under AUDIO PAUSED
    clock.now += 45
    bar.refresh()
    assert bar.pause_label.text() == "AUDIO PAUSED 1:15"
    with qtbot.waitSignal(bar.alarm_events_did_occur, timeout=1000) as events:
        clock.now += 75
        bar.refresh()
    assert [e.kind for e in events.args[0]] == ["resumed"]
    assert bar.pause_label.isHidden()
    assert bar.audio_button.text() == "Audio pause"


def test_alarm_pause_stops_flashing_and_a_higher_alarm_breaks_through(qtbot, bar, clock):
    bar.update_alerts([alert("a", "medium")], PATIENTS)
    qtbot.mouseClick(bar.alarm_button, Qt.MouseButton.LeftButton)
    assert bar.pause_label.text() == "ALARM PAUSED 2:00"
    assert not bar.flash_timer.isActive()
    with qtbot.waitSignal(bar.alarm_events_did_occur, timeout=1000) as events:
        bar.update_alerts([alert("a", "medium"), alert("b", "high", patient="p2")], PATIENTS)
    assert [e.kind for e in events.args[0]] == ["raised", "break_through", "resumed"]
    assert bar.pause_label.isHidden()
    assert bar.flash_timer.interval() == 250


def test_technical_alarm_is_shown_with_its_duration(bar, clock):
    bar.set_technical(lost_since=clock.now - 30, stale_age=None)
    assert bar.technical_label.isVisible() or not bar.isVisible()
    assert bar.technical_label.text() == "** NO CONNECTION for 0:30"
    assert bar.message_label.text().startswith("Server connection lost")
    bar.set_technical(lost_since=None, stale_age=None)
    assert bar.technical_label.isHidden()


def test_every_control_has_an_accessible_name_and_pause_buttons_have_shortcuts(bar):
    for widget in bar.findChildren(QLabel) + bar.findChildren(QPushButton):
        assert widget.accessibleName(), widget
    keys = {s.key().toString() for s in bar.findChildren(QShortcut)}
    assert keys == {"Ctrl+Shift+A", "Ctrl+Shift+P"}
    assert "Ctrl+Shift+A" in bar.audio_button.toolTip()
    assert bar.priority_label.font().pointSize() >= 24


def test_bar_fits_a_1280_pixel_window_with_everything_showing(bar, clock):
    bar.update_alerts([alert("a", "high"), alert("b", "medium", "acknowledged")], PATIENTS)
    bar.set_technical(lost_since=clock.now - 3599, stale_age=None)
    bar.alarm_button.click()
    assert bar.minimumSizeHint().width() <= 1280


def test_keyboard_shortcut_pauses_audio(qtbot, bar):
    bar.update_alerts([alert("a", "high")], PATIENTS)
    with qtbot.waitExposed(bar):
        bar.show()
    bar.activateWindow()
    qtbot.waitUntil(bar.isActiveWindow, timeout=2000)
    with qtbot.waitSignal(bar.audio_pause_requested, timeout=1000):
        qtbot.keyClick(bar, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert bar.status.inactivation == "audio_paused"


def test_synthesised_high_burst_follows_the_pulse_pattern():
    pattern = AUDITORY["high"]
    pcm = synthesize_burst(pattern)
    assert pcm.dtype == np.int16 and len(pcm) == round(pattern.burst_seconds * SAMPLE_RATE) + 1
    for onset, duration in pattern.pulses:
        middle = int((onset + duration / 2) * SAMPLE_RATE)
        assert np.abs(pcm[middle - 200:middle + 200]).max() > 5000
    gap_start, gap_end = (int(t * SAMPLE_RATE) for t in (0.15 + 0.01, 0.25 - 0.01))
    assert np.abs(pcm[gap_start:gap_end]).max() == 0


def test_screenshot_of_a_high_alarm(qtbot, bar, clock, artifacts_dir):
    bar.update_alerts([alert("a", "high", message="SpO2 low", value=86, limit=90),
                       alert("b", "medium", patient="p2", message="Heart rate high", value=124, limit=110,
                             unit="bpm"),
                       alert("c", "medium", "acknowledged", patient="p3"),
                       alert("d", "low", patient="p3", message="Pain score high", value=7, limit=6, unit="")],
                      PATIENTS)
    clock.now += 150
    bar.set_technical(lost_since=clock.now - 42, stale_age=None)
    bar.audio_button.click()
    clock.now += 25
    bar.refresh()
    with qtbot.waitExposed(bar):
        bar.show()
    assert bar.is_lit
    path = artifacts_dir / "alarm_bar_high.png"
    assert bar.grab().save(str(path))
    assert path.stat().st_size > 0
