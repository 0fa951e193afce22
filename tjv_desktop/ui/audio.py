"""Priority-coded alarm tones, synthesised in-app from the IEC 60601-1-8 pulse patterns.

Playback uses QtMultimedia's QAudioSink when the module and an output device exist. Otherwise the
player stays silent and says why (``available``/``reason``), so the UI can show "Audio unavailable"
instead of pretending to sound.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QByteArray, QObject, QTimer

from ..domain.alarms import AUDITORY, AuditoryPattern, Priority

SAMPLE_RATE = 44_100
# Fundamental plus four harmonics, each within 15 dB of the fundamental (IEC 60601-1-8 Table 3).
HARMONIC_GAINS_DB = (0.0, -3.0, -6.0, -9.0, -12.0)


def synthesize_burst(pattern: AuditoryPattern, sample_rate: int = SAMPLE_RATE,
                     amplitude: float = 0.5) -> np.ndarray:
    """One burst as mono int16 PCM: harmonic pulses with linear rise/fall of ``rise_fraction``."""
    total = np.zeros(int(round(pattern.burst_seconds * sample_rate)) + 1, dtype=np.float64)
    gains = 10 ** (np.array(HARMONIC_GAINS_DB) / 20)
    for onset, duration in pattern.pulses:
        n = int(round(duration * sample_rate))
        t = np.arange(n) / sample_rate
        tone = sum(g * np.sin(2 * np.pi * pattern.fundamental_hz * (k + 1) * t) for k, g in enumerate(gains))
        ramp = max(1, int(n * pattern.rise_fraction))
        envelope = np.ones(n)
        envelope[:ramp] = np.linspace(0.0, 1.0, ramp)
        envelope[-ramp:] = np.linspace(1.0, 0.0, ramp)
        start = int(round(onset * sample_rate))
        total[start:start + n] += tone * envelope
    peak = np.max(np.abs(total)) or 1.0
    return (total / peak * amplitude * 32767).astype(np.int16)


class AlarmAudio(QObject):
    """Plays the burst of the current audio priority, repeated at the pattern's interval."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.available = False
        self.reason = ""
        self.priority: Priority | None = None
        self._sink = None
        self._buffer = None
        self._buffers: dict[str, QByteArray] = {}
        self._device = None
        self._repeat = QTimer(self)
        self._repeat.timeout.connect(self._play_burst)
        try:
            from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices
        except ImportError:
            self.reason = "Qt Multimedia is not installed"
            return
        device = QMediaDevices.defaultAudioOutput()
        if device.isNull():
            self.reason = "No audio output device"
            return
        fmt = QAudioFormat()
        fmt.setSampleRate(SAMPLE_RATE)
        fmt.setChannelCount(1)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        if not device.isFormatSupported(fmt):
            self.reason = "The audio device does not support 16-bit mono output"
            return
        self._sink_class, self._format, self._device = QAudioSink, fmt, device
        self._buffers = {p: QByteArray(synthesize_burst(AUDITORY[p]).tobytes()) for p in AUDITORY}
        self.available = True

    def set_priority(self, priority: Priority | None) -> None:
        """Sound ``priority``'s pattern from now on (None: silence). Unchanged priority keeps the rhythm."""
        if priority == self.priority:
            return
        self.priority = priority
        self._repeat.stop()
        if priority is None or not self.available:
            self._stop_sink()
            return
        self._play_burst()
        repeat = AUDITORY[priority].repeat_seconds
        if repeat:
            self._repeat.start(int(repeat * 1000))

    def _stop_sink(self) -> None:
        if self._sink is not None:
            self._sink.stop()
            self._sink = None

    def _play_burst(self) -> None:
        if self.priority is None or not self.available:
            return
        from PySide6.QtCore import QBuffer, QIODevice

        self._stop_sink()
        if self._buffer is not None:
            self._buffer.deleteLater()
        self._buffer = buffer = QBuffer(self)
        buffer.setData(self._buffers[self.priority])
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self._sink = self._sink_class(self._device, self._format, self)
        self._sink.start(buffer)
