"""Alarm signalling (IEC 60601-1-8) driven by a fake clock: no Qt, no sleeps."""

from __future__ import annotations

import pytest

from tjv_desktop.domain.alarms import AUDITORY, TECHNICAL_ID, AlarmSystem, TechnicalPolicy
from tjv_desktop.domain.alerts import VISUAL


def alert(alert_id: str, priority: str, state: str = "active", patient: str = "p1") -> dict:
    return {"id": alert_id, "patient_id": patient, "priority": priority, "state": state,
            "message": f"{priority} alert", "raised_at": "2026-11-24T03:12:00Z", "value": 86, "limit_value": 90}


def kinds(events) -> list[str]:
    return [e.kind for e in events]


# -- coding ------------------------------------------------------------------------------------------

def test_flash_rates_and_duty_cycles_are_within_iec_table_2():
    assert 1.4 <= VISUAL["high"].flash_hz <= 2.8
    assert 0.4 <= VISUAL["medium"].flash_hz <= 0.8
    assert not VISUAL["low"].flashes
    for priority in ("high", "medium"):
        assert 0.2 <= VISUAL[priority].duty <= 0.6
    assert [VISUAL[p].marker for p in ("high", "medium", "low")] == ["***", "**", "*"]


def test_high_indicator_is_lit_half_of_each_half_second_cycle():
    high = VISUAL["high"]
    lit = [high.is_lit(t / 100) for t in range(100)]  # one second sampled every 10 ms
    assert sum(lit) == 50
    assert high.is_lit(0.0) and not high.is_lit(0.3) and high.is_lit(0.5)
    assert VISUAL["low"].is_lit(123.4)


def test_auditory_patterns_are_within_iec_tables_3_and_4():
    high, medium, low = AUDITORY["high"], AUDITORY["medium"], AUDITORY["low"]
    assert len(high.pulses) == 10 and len(medium.pulses) == 3 and len(low.pulses) in (1, 2)
    assert all(0.075 <= d <= 0.2 for _, d in high.pulses)
    assert all(0.125 <= d <= 0.25 for _, d in medium.pulses + low.pulses)
    # high: 3+2, pause, 3+2 — spacing x within 50–125 ms inside each group
    spacing = high.spacings()
    assert all(0.05 <= spacing[i] <= 0.125 + 1e-9 for i in (0, 1, 3, 5, 6, 8))
    assert spacing[4] > spacing[0]
    assert all(0.125 <= s <= 0.25 + 1e-9 for s in medium.spacings() + low.spacings())
    assert 2.5 <= high.repeat_seconds <= 15
    assert 2.5 <= medium.repeat_seconds <= 30
    assert low.repeat_seconds is None or low.repeat_seconds > 15
    for pattern in (high, medium, low):
        assert 150 <= pattern.fundamental_hz <= 1000
        assert pattern.burst_seconds < (pattern.repeat_seconds or float("inf"))


# -- what is shown --------------------------------------------------------------------------------

def test_counts_per_priority_and_the_top_alarm_is_the_most_urgent_waiting_one():
    system = AlarmSystem()
    system.set_alerts([alert("a", "medium"), alert("b", "high", "acknowledged"), alert("c", "low"),
                       alert("d", "medium"), alert("e", "high", "resolved")], now=0.0)
    status = system.evaluate(1.0)
    assert status.counts == {"high": 1, "medium": 2, "low": 1}
    assert status.waiting_counts == {"high": 0, "medium": 2, "low": 1}
    assert status.top.priority == "medium" and status.top.state == "active"
    assert "e" not in {a.id for a in status.alarms}


def test_acknowledged_alarm_stops_flashing_and_sounding_but_stays_listed():
    system = AlarmSystem()
    system.set_alerts([alert("a", "high")], now=0.0)
    assert system.evaluate(0.1).flashing_ids == {"a"}
    assert system.evaluate(0.1).audio_priority == "high"
    events = system.set_alerts([alert("a", "high", "acknowledged")], now=5.0)
    assert [(e.kind, e.alarm_id, e.detail) for e in events] == [("state_changed", "a", "active -> acknowledged")]
    status = system.evaluate(5.0)
    assert status.flashing_ids == frozenset()
    assert status.audio_priority is None
    assert [a.id for a in status.alarms] == ["a"] and status.counts["high"] == 1


def test_accepted_stops_flashing_but_rejected_still_needs_an_owner():
    system = AlarmSystem()
    system.set_alerts([alert("a", "medium", "accepted"), alert("b", "medium", "rejected")], now=0.0)
    status = system.evaluate(0.0)
    assert status.flashing_ids == {"b"}
    assert status.top.id == "b"


def test_low_priority_is_steady_but_sounds():
    system = AlarmSystem()
    system.set_alerts([alert("a", "low")], now=0.0)
    status = system.evaluate(0.0)
    assert status.flashing_ids == frozenset()
    assert status.audio_priority == "low"


# -- inactivation states ------------------------------------------------------------------------------

def test_audio_pause_silences_for_the_policy_duration_with_a_countdown_then_resumes():
    system = AlarmSystem(audio_pause_seconds=120)
    system.set_alerts([alert("a", "high")], now=0.0)
    events = system.pause_audio(now=10.0)
    assert kinds(events) == ["audio_paused"]
    status = system.evaluate(70.0)
    assert status.inactivation == "audio_paused"
    assert status.pause_remaining == pytest.approx(60.0)
    assert status.audio_priority is None
    assert status.flashing_ids == {"a"}  # visual signals continue under AUDIO PAUSED
    status = system.evaluate(130.0)
    assert [(e.kind, e.detail) for e in status.events] == [("resumed", "audio_paused ended: expired")]
    assert status.inactivation == "none" and status.pause_remaining is None
    assert status.audio_priority == "high"


def test_alarm_pause_stops_audio_and_flashing_but_keeps_the_alarm_listed():
    system = AlarmSystem(alarm_pause_seconds=60)
    system.set_alerts([alert("a", "medium")], now=0.0)
    assert kinds(system.pause_alarms(now=0.0)) == ["alarm_paused"]
    status = system.evaluate(30.0)
    assert status.inactivation == "alarm_paused" and status.pause_remaining == pytest.approx(30.0)
    assert status.flashing_ids == frozenset() and status.audio_priority is None
    assert status.top.id == "a"
    assert system.evaluate(60.0).flashing_ids == {"a"}


def test_operator_can_end_a_pause_early():
    system = AlarmSystem()
    system.set_alerts([alert("a", "medium")], now=0.0)
    system.pause_audio(now=0.0)
    events = system.end_pause(now=5.0)
    assert [(e.kind, e.detail) for e in events] == [("resumed", "audio_paused ended: operator")]
    assert system.evaluate(5.0).audio_priority == "medium"


def test_new_higher_priority_alarm_breaks_through_a_pause_immediately():
    system = AlarmSystem()
    system.set_alerts([alert("a", "medium")], now=0.0)
    system.pause_audio(now=1.0)
    events = system.set_alerts([alert("a", "medium"), alert("b", "high")], now=2.0)
    assert kinds(events) == ["raised", "break_through", "resumed"]
    assert (events[1].alarm_id, events[1].priority) == ("b", "high")
    status = system.evaluate(2.0)
    assert status.inactivation == "none" and status.audio_priority == "high"


def test_new_alarm_of_equal_or_lower_priority_stays_paused():
    system = AlarmSystem()
    system.set_alerts([alert("a", "high")], now=0.0)
    system.pause_alarms(now=1.0)
    events = system.set_alerts([alert("a", "high"), alert("b", "high"), alert("c", "low")], now=2.0)
    assert kinds(events) == ["raised", "raised"]
    assert system.evaluate(3.0).inactivation == "alarm_paused"


# -- technical alarm ------------------------------------------------------------------------------

def test_communication_loss_is_a_medium_technical_alarm_that_escalates_to_high():
    system = AlarmSystem(technical=TechnicalPolicy(high_after_seconds=300))
    events = system.set_technical(now=100.0, lost_since=100.0)
    assert [(e.kind, e.alarm_id, e.priority) for e in events] == [("raised", TECHNICAL_ID, "medium")]
    status = system.evaluate(200.0)
    assert status.technical.technical_kind == "communication_lost"
    assert status.technical.priority == "medium" and status.audio_priority == "medium"
    status = system.evaluate(400.0)
    assert [(e.kind, e.priority) for e in status.events] == [("escalated", "high")]
    assert status.top.id == TECHNICAL_ID
    assert status.counts["high"] == 0  # counts are of patient alarms; the technical one stands alone


def test_technical_alarm_can_be_audio_paused_but_re_sounds_when_the_pause_expires():
    system = AlarmSystem(audio_pause_seconds=120, technical=TechnicalPolicy(high_after_seconds=10_000))
    system.set_technical(now=0.0, lost_since=0.0)
    for cycle in range(5):  # pausing again and again never silences it for good
        start = cycle * 200.0
        system.pause_audio(now=start)
        assert system.evaluate(start + 119).audio_priority is None
        status = system.evaluate(start + 120)
        assert kinds(status.events) == ["resumed"]
        assert status.audio_priority == "medium"


def test_technical_alarm_escalating_during_a_pause_breaks_through():
    system = AlarmSystem(audio_pause_seconds=120, technical=TechnicalPolicy(high_after_seconds=300))
    system.set_technical(now=200.0, lost_since=0.0)
    system.pause_audio(now=250.0)
    status = system.evaluate(300.0)
    assert kinds(status.events) == ["escalated", "break_through", "resumed"]
    assert status.audio_priority == "high"


def test_stale_data_raises_a_technical_alarm_only_after_the_policy_age_and_clears_on_fresh_data():
    system = AlarmSystem(technical=TechnicalPolicy(stale_after_seconds=120))
    assert system.set_technical(now=1000.0, stale_age=60.0) == []
    status = system.evaluate(1060.0)
    assert [(e.kind, e.detail) for e in status.events] == [("raised", "data_stale")]
    assert status.technical.technical_kind == "data_stale"
    events = system.set_technical(now=1070.0, stale_age=1.0)
    assert [(e.kind, e.alarm_id) for e in events] == [("cleared", TECHNICAL_ID)]
    assert system.evaluate(1070.0).technical is None


def test_cleared_alerts_are_reported_and_removed():
    system = AlarmSystem()
    system.set_alerts([alert("a", "high")], now=0.0)
    events = system.set_alerts([alert("a", "high", "resolved")], now=9.0)
    assert [(e.kind, e.alarm_id) for e in events] == [("cleared", "a")]
    status = system.evaluate(9.0)
    assert status.top is None and status.counts == {"high": 0, "medium": 0, "low": 0}


def test_pauses_must_be_time_limited():
    with pytest.raises(ValueError):
        AlarmSystem(audio_pause_seconds=0)


def test_alarm_rules_and_settings_import_no_qt():
    import subprocess
    import sys

    code = ("import sys, tjv_desktop.domain.alarms, tjv_desktop.app.settings; "
            "print(sorted(m for m in sys.modules if m.startswith('PySide6')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
