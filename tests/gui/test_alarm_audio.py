"""Real sound: the app's AlarmAudio plays through QtMultimedia into a private PulseAudio server, the
null sink's monitor is recorded, and the recording is analysed as a listener would hear it: pulses
per burst, pulse length and spacing, the fundamental and its harmonics, burst repeat interval
(IEC 60601-1-8 Tables 3 and 4, clinical-anchors.md §2.3). Also: AUDIO PAUSED makes the recording go
quiet until the pause expires; no server means "Audio unavailable" with a reason; a sound server that
goes away is reported and sound comes back with it.

Qt's PulseAudio backend aborts its process when the server goes away, so the tones play in a child
process (ui/audio_player.py); this test process never loads QtMultimedia.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from tests.support.soundserver import RATE, Pulse, Recorder, SoundServer, bursts, pulses, spectrum_peaks
from tjv_desktop.domain.alarms import AUDITORY, AlarmSystem
from tjv_desktop.ui.alarm_bar import AlarmBar
from tjv_desktop.ui.audio import AlarmAudio

HIGH_ALERT = {"id": "a1", "patient_id": "p1", "priority": "high", "state": "active",
              "message": "SpO2 86 % (limit 90 %)", "raised_at": "2026-11-24T03:12:00Z"}
PATIENTS = {"p1": "Maria Lopez"}


@pytest.fixture
def sound_server():
    server = SoundServer().start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
def recorder(sound_server):
    rec = Recorder(sound_server)
    try:
        yield rec.wait_ready()
    finally:
        rec.stop()


def make_audio(qtbot, server: SoundServer, **kwargs) -> AlarmAudio:
    audio = AlarmAudio(env=server.env(), **kwargs)
    qtbot.waitUntil(lambda: audio.status != AlarmAudio.STARTING, timeout=20_000)
    assert audio.status == AlarmAudio.READY, audio.reason
    return audio


def complete_bursts(rec: Recorder, size: int, since: int = 0) -> list[list]:
    """Bursts of ``size`` pulses recorded after sample ``since`` whose last pulse ended > 0.3 s ago."""
    x = rec.samples()
    found = [Pulse(p.start + since, p.end + since) for p in pulses(x[since:])]
    return [b for b in bursts(found) if len(b) == size and (len(x) - b[-1].end) / RATE > 0.3]


def check_burst(x: np.ndarray, burst, priority: str) -> None:
    pattern = AUDITORY[priority]
    assert len(burst) == len(pattern.pulses)
    durations = [p.seconds for p in burst]
    low, high = (0.075, 0.200) if priority == "high" else (0.125, 0.250)
    assert all(low <= d <= high for d in durations), durations
    spacing = [(b.start - a.end) / RATE for a, b in zip(burst, burst[1:], strict=False)]
    if priority == "high":  # 3 + 2, pause, 3 + 2: the spacing x is between the pulses of a group
        assert all(0.050 <= s <= 0.125 for s in (spacing[0], spacing[1], spacing[3])), spacing
    else:
        assert all(0.125 <= s <= 0.250 for s in spacing), spacing
    for pulse in burst:
        f0, harmonics = spectrum_peaks(x, pulse)
        assert 150 <= f0 <= 1000 and abs(f0 - pattern.fundamental_hz) <= 3, f0
        # At least four harmonic components in 300–4000 Hz within 15 dB of the fundamental.
        strong = [k for k, db in harmonics.items() if 300 <= k * f0 <= 4000 and db >= -15]
        assert len(strong) >= 4, harmonics


def test_high_then_medium_alarms_sound_as_iec_bursts_on_a_real_sound_server(qtbot, sound_server, recorder):
    audio = make_audio(qtbot, sound_server)
    try:
        assert audio.device == "Null Output"
        audio.set_priority("high")
        qtbot.waitUntil(lambda: len(complete_bursts(recorder, 10)) >= 2, timeout=20_000)
        high = complete_bursts(recorder, 10)[:2]
        audio.set_priority("medium")
        switched = len(recorder.samples())
        qtbot.waitUntil(lambda: len(complete_bursts(recorder, 3, since=switched)) >= 2, timeout=40_000)
    finally:
        audio.close()
    x = recorder.samples()
    medium = complete_bursts(recorder, 3, since=switched)[:2]
    for burst in high:
        check_burst(x, burst, "high")
    for burst in medium:
        check_burst(x, burst, "medium")
    high_interval = (high[1][0].start - high[0][0].start) / RATE
    medium_interval = (medium[1][0].start - medium[0][0].start) / RATE
    assert 2.5 <= high_interval <= 15 and abs(high_interval - AUDITORY["high"].repeat_seconds) < 0.5
    assert 2.5 <= medium_interval <= 30 and abs(medium_interval - AUDITORY["medium"].repeat_seconds) < 0.5
    # Nothing else sounded: every pulse recorded belongs to one of the bursts counted (or a burst cut
    # short when the priority changed) and the player said so.
    assert audio.bursts_started >= 4
    assert "PySide6.QtMultimedia" not in sys.modules  # the sound stack lives in the player process


def test_audio_pause_silences_the_alarm_until_the_pause_expires(qtbot, sound_server, recorder):
    audio = make_audio(qtbot, sound_server)
    bar = AlarmBar(AlarmSystem(audio_pause_seconds=10), audio=audio)
    qtbot.addWidget(bar)
    try:
        bar.update_alerts([HIGH_ALERT], PATIENTS)
        assert not bar.audio_label.isVisibleTo(bar) and audio.priority == "high"
        qtbot.waitUntil(lambda: len(complete_bursts(recorder, 10)) >= 1, timeout=10_000)
        bar.audio_button.click()
        paused_at = time.monotonic()
        assert bar.status.inactivation == "audio_paused" and audio.priority is None
        assert "AUDIO PAUSED" in bar.pause_label.text()
        qtbot.waitUntil(lambda: bar.status.inactivation == "none", timeout=15_000)
        resumed_at = time.monotonic()
        qtbot.waitUntil(lambda: len(complete_bursts(recorder, 10)) >= 2, timeout=10_000)
    finally:
        audio.close()
    x = recorder.samples()
    first, second = complete_bursts(recorder, 10)[:2]
    quiet_from = recorder.sample_at(paused_at + 0.3)
    quiet_to = recorder.sample_at(resumed_at - 0.3)
    # The pause really spanned the moment the next burst was due (7 s after the first): without it
    # that burst would be in the quiet stretch.
    assert recorder.time_of(first[0].start) + AUDITORY["high"].repeat_seconds < resumed_at - 1
    assert quiet_to - quiet_from > 8 * RATE
    assert np.abs(x[quiet_from:quiet_to]).max() == 0, "the recording is not quiet while audio is paused"
    assert abs(recorder.time_of(second[0].start) - resumed_at) < 1.5  # sound resumes with the pause's end
    check_burst(x, second, "high")


def test_without_a_sound_server_audio_is_reported_unavailable_with_a_reason(qtbot, tmp_path):
    audio = AlarmAudio(env={"PULSE_SERVER": f"unix:{tmp_path}/no-server-here"}, retry_initial=0.2, retry_max=0.5)
    bar = AlarmBar(AlarmSystem(), audio=audio)
    qtbot.addWidget(bar)
    try:
        qtbot.waitUntil(lambda: audio.status == AlarmAudio.UNAVAILABLE, timeout=20_000)
        assert audio.reason_code == "no_device" and audio.reason == "No audio output device"
        bar.show()
        assert bar.audio_label.isVisible() and bar.audio_label.text() == "Audio unavailable"
        assert bar.audio_label.toolTip() == "No audio output device"
        audio.set_priority("high")  # runs silently: no error, nothing pretends to sound
        assert audio.bursts_started == 0
        started = audio.players_started
        qtbot.waitUntil(lambda: audio.players_started > started, timeout=10_000)  # it keeps trying
    finally:
        audio.close()


def test_a_sound_server_that_goes_away_is_reported_and_sound_returns_with_it(qtbot, sound_server):
    audio = make_audio(qtbot, sound_server, retry_initial=0.5, retry_max=1.0, probe_seconds=1.0)
    bar = AlarmBar(AlarmSystem(), audio=audio)
    qtbot.addWidget(bar)
    bar.show()
    try:
        assert not bar.audio_label.isVisible()
        status = sound_server.stop()
        assert status is not None and sound_server.proc is None  # the server really ended
        # The player notices within its probe interval (Qt aborts it), the window stays up.
        qtbot.waitUntil(lambda: audio.status == AlarmAudio.UNAVAILABLE, timeout=15_000)
        assert bar.audio_label.isVisible() and bar.audio_label.toolTip()
        # The player that lost its server ended; fresh ones keep trying.
        qtbot.waitUntil(lambda: audio.players_started > 1, timeout=5_000)
        sound_server.start()
        qtbot.waitUntil(lambda: audio.status == AlarmAudio.READY, timeout=20_000)
        assert not bar.audio_label.isVisible()
        rec = Recorder(sound_server).wait_ready()
        try:
            bar.update_alerts([HIGH_ALERT], PATIENTS)  # the bar drives the audio priority
            qtbot.waitUntil(lambda: len(complete_bursts(rec, 10)) >= 1, timeout=10_000)
            check_burst(rec.samples(), complete_bursts(rec, 10)[0], "high")
        finally:
            rec.stop()
    finally:
        audio.close()
