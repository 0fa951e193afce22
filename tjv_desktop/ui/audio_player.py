"""The alarm-tone player: a small child process that owns QtMultimedia (``python -m
tjv_desktop.ui.audio_player``), driven by ``audio.AlarmAudio``.

Why a process of its own: Qt 6.11's PulseAudio backend never reconnects once the sound server has
gone, and the next playback after the server went away aborts the process inside libpulse
(``Assertion 'c' failed ... pa_context_get_state()``). A sound server restarting must not take the
monitoring window down, so playback lives here: a crash ends only this process, the window reports
"Audio unavailable" and starts a fresh player, which connects to the server once it is back.

Protocol, one JSON object per line. In (stdin): ``{"priority": "high" | "medium" | "low" | null}``;
end of input ends the process. Out (stdout): ``{"event": "ready", "device": …}`` once playing is
possible, or ``{"event": "unavailable", "reason": CODE, "detail": …}`` and exit; ``{"event":
"burst", "priority": …}`` when a burst starts; ``{"event": "error", "detail": …}`` and exit 3 when
the output fails. Reason codes: ``no_multimedia`` (permanent: exit 2), ``no_device``,
``unsupported_format``.

While nothing sounds, a few milliseconds of silence are played every ``--probe-seconds``: a sound
server that went away is then noticed (by this process ending) within that bound, not only when the
next alarm should sound.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading

from PySide6.QtCore import QBuffer, QByteArray, QCoreApplication, QIODevice, QObject, Qt, QTimer, Signal

from ..domain.alarms import AUDITORY
from .audio import SAMPLE_RATE, synthesize_burst

EXIT_PERMANENT = 2
EXIT_OUTPUT_FAILED = 3
PROBE_SILENCE_SECONDS = 0.02


def report(event: str, **fields) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


class _Commands(QObject):
    """Reads stdin on a thread (QSocketNotifier cannot watch a pipe on Windows) and hands each line to
    the Qt thread through a queued signal."""

    line_did_arrive = Signal(str)
    input_did_end = Signal()

    def start(self) -> None:
        threading.Thread(target=self._read, name="tjv-audio-stdin", daemon=True).start()

    def _read(self) -> None:
        for line in sys.stdin:
            self.line_did_arrive.emit(line)
        self.input_did_end.emit()


def _failed(sink) -> bool:
    """Whether the sink reports a real error (running out of data at the end of a burst is none).
    Compared by name: the enum is QAudio.Error or QtAudio.Error depending on the Qt version."""
    return getattr(sink.error(), "name", str(sink.error())) not in ("NoError", "UnderrunError")


class Player(QObject):
    """Plays the current priority's burst at its repeat interval; probes the output while silent."""

    def __init__(self, device, fmt, sink_class, probe_seconds: float):
        super().__init__()
        self.device, self.format, self.sink_class = device, fmt, sink_class
        self.priority: str | None = None
        self.bursts = {p: QByteArray(synthesize_burst(AUDITORY[p]).tobytes()) for p in AUDITORY}
        self.silence = QByteArray(bytes(2 * int(SAMPLE_RATE * PROBE_SILENCE_SECONDS)))
        self.sink = None
        self.buffer: QBuffer | None = None
        self.repeat = QTimer(self)
        self.repeat.setTimerType(Qt.TimerType.PreciseTimer)
        self.repeat.timeout.connect(self._burst)
        self.probe = QTimer(self)
        self.probe.setInterval(int(probe_seconds * 1000))
        self.probe.timeout.connect(lambda: self._play(self.silence))
        self.probe.start()

    def command(self, line: str) -> None:
        try:
            priority = json.loads(line).get("priority")
        except (ValueError, AttributeError):
            report("error", detail=f"unreadable command {line.strip()[:80]!r}")
            return
        if priority is not None and priority not in AUDITORY:
            report("error", detail=f"unknown priority {priority!r}")
            return
        if priority == self.priority:
            return
        self.priority = priority
        self.repeat.stop()
        if priority is None:
            self._stop()
            self.probe.start()
            return
        self.probe.stop()
        self._burst()
        repeat = AUDITORY[priority].repeat_seconds
        if repeat:
            self.repeat.start(int(repeat * 1000))

    def _burst(self) -> None:
        if self.priority is not None:
            report("burst", priority=self.priority)
            self._play(self.bursts[self.priority])

    def _stop(self) -> None:
        if self.sink is not None:
            self.sink.stop()
            self.sink.deleteLater()
            self.sink = None
        if self.buffer is not None:
            self.buffer.deleteLater()
            self.buffer = None

    def _play(self, pcm: QByteArray) -> None:
        self._stop()
        self.buffer = QBuffer(self)
        self.buffer.setData(pcm)
        self.buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.sink = self.sink_class(self.device, self.format, self)
        self.sink.start(self.buffer)
        # stateChanged cannot reach a Python slot in PySide6 6.11 (QAudio::State is not converted), so
        # the sink is checked after it should have finished instead.
        sink, seconds = self.sink, pcm.size() / 2 / SAMPLE_RATE
        if _failed(sink):
            self._fail(sink.error())
        QTimer.singleShot(int(seconds * 1000) + 500, lambda: self._check(sink))

    def _check(self, sink) -> None:
        if sink is self.sink and _failed(sink):
            self._fail(sink.error())

    def _fail(self, error) -> None:
        report("error", detail=f"audio output failed: {getattr(error, 'name', error)}")
        QCoreApplication.exit(EXIT_OUTPUT_FAILED)


def main(argv: list[str] | None = None) -> int:
    args = argparse.ArgumentParser(prog="tjv-desktop-audio")
    args.add_argument("--probe-seconds", type=float, default=10.0)
    options = args.parse_args(argv)
    app = QCoreApplication(sys.argv[:1])
    try:
        from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices
    except ImportError as exc:  # PySide6-Addons missing, or a system library it links (libpulse)
        report("unavailable", reason="no_multimedia", detail=str(exc))
        return EXIT_PERMANENT
    device = QMediaDevices.defaultAudioOutput()
    if device.isNull():
        report("unavailable", reason="no_device", detail="no default audio output")
        return 0
    fmt = QAudioFormat()
    fmt.setSampleRate(SAMPLE_RATE)
    fmt.setChannelCount(1)
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
    if not device.isFormatSupported(fmt):
        report("unavailable", reason="unsupported_format", detail=device.description())
        return 0
    player = Player(device, fmt, QAudioSink, options.probe_seconds)
    commands = _Commands()
    commands.line_did_arrive.connect(player.command)
    commands.input_did_end.connect(app.quit)
    commands.start()
    report("ready", device=device.description())
    code = app.exec()
    player.repeat.stop()
    player._stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
