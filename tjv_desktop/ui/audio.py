"""Priority-coded alarm tones, synthesised in-app from the IEC 60601-1-8 pulse patterns.

``AlarmAudio`` plays them through a child process (``audio_player``) that owns QtMultimedia, because
Qt's PulseAudio backend aborts its process when the sound server goes away (see audio_player.py).
It supervises that process like the realtime link supervises its socket: a player that ends or
crashes makes audio *unavailable* with a reason the alarm bar shows, and a fresh player is started
with capped backoff, so sound comes back by itself when the sound server does. Without QtMultimedia
or an output device the station runs silently and says so; it never pretends to sound.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping

import numpy as np
import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QProcess, QProcessEnvironment, QTimer, Signal

from ..domain.alarms import AuditoryPattern, Priority

log = logging.getLogger(__name__)

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


def reason_text(code: str) -> str:
    """The user's words for a player's reason code (translated)."""
    translate = QCoreApplication.translate
    texts = {
        "no_multimedia": translate("AlarmAudio", "Qt Multimedia is not installed"),
        "no_device": translate("AlarmAudio", "No audio output device"),
        "unsupported_format": translate("AlarmAudio", "The audio device does not support 16-bit mono output"),
        "stopped": translate("AlarmAudio", "The sound output stopped; trying again"),
        "no_start": translate("AlarmAudio", "The alarm sound player did not start"),
    }
    return texts.get(code) or translate("AlarmAudio", "The alarm sound cannot be played")


def player_command() -> tuple[str, list[str]]:
    """How to start the player: this interpreter running the module, or in a frozen build the app's
    own executable with ``--audio-player`` (cli.py hands it to the player before anything else)."""
    if getattr(sys, "frozen", False):
        return sys.executable, ["--audio-player"]
    return sys.executable, ["-m", "tjv_desktop.ui.audio_player"]


def _end_quietly(process: QProcess | None) -> None:
    if process is not None and shiboken6.isValid(process) and process.state() != QProcess.ProcessState.NotRunning:
        process.blockSignals(True)
        process.kill()
        process.waitForFinished(2000)


class AlarmAudio(QObject):
    """Sounds the burst of the current audio priority, repeated at the pattern's interval.

    ``status`` is ``"starting"``, ``"ready"`` or ``"unavailable"`` (then ``reason_code`` says why and
    ``reason`` in the user's language); ``status_did_change`` fires on each change. ``env`` adds to the
    player's environment (tests point it at a private sound server)."""

    STARTING, READY, UNAVAILABLE = "starting", "ready", "unavailable"
    status_did_change = Signal()

    def __init__(self, parent: QObject | None = None, *, env: Mapping[str, str] | None = None,
                 start_timeout: float = 15.0, retry_initial: float = 2.0, retry_max: float = 30.0,
                 probe_seconds: float = 10.0):
        super().__init__(parent)
        self.priority: Priority | None = None
        self.status = self.STARTING
        self.reason_code = ""
        self.device = ""
        self.bursts_started = 0
        self.players_started = 0
        self._env = dict(env or {})
        self._probe_seconds = probe_seconds
        self._retry_initial, self._retry_max = retry_initial, retry_max
        self._retry_delay = retry_initial
        self._closing = False
        self._process: QProcess | None = None
        self._said_unavailable = False
        self._start_deadline = QTimer(self)
        self._start_deadline.setSingleShot(True)
        self._start_deadline.setInterval(int(start_timeout * 1000))
        self._start_deadline.timeout.connect(self._on_start_timeout)
        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._start)
        # Destroyed with its parent (a window closed without close()): end the player first, with its
        # signals blocked, since the slots below belong to the object being destroyed.
        self._current: list[QProcess | None] = [None]
        self.destroyed.connect(lambda *_, current=self._current: _end_quietly(current[0]))
        self._start()

    @property
    def available(self) -> bool:
        return self.status == self.READY

    @property
    def reason(self) -> str:
        return reason_text(self.reason_code) if self.status == self.UNAVAILABLE else ""

    def set_priority(self, priority: Priority | None) -> None:
        """Sound ``priority``'s pattern from now on (None: silence). Unchanged priority keeps the rhythm."""
        if priority == self.priority:
            return
        self.priority = priority
        self._send()

    def close(self) -> None:
        """Ends the player (end of its input, then a kill if it lingers) and stops restarting it."""
        self._closing = True
        self._retry.stop()
        self._start_deadline.stop()
        process, self._process = self._process, None
        if process is not None and process.state() != QProcess.ProcessState.NotRunning:
            process.closeWriteChannel()
            if not process.waitForFinished(2000):
                process.kill()
                process.waitForFinished(2000)

    # --- the player process ---------------------------------------------------------------------

    def _start(self) -> None:
        if self._closing:
            return
        process = QProcess(self)
        environment = QProcessEnvironment.systemEnvironment()
        for key, value in self._env.items():
            environment.insert(key, value)
        process.setProcessEnvironment(environment)
        process.readyReadStandardOutput.connect(lambda: self._read(process))
        process.readyReadStandardError.connect(lambda: self._log_stderr(process))
        process.finished.connect(lambda code, status: self._finished(process, code, status))
        process.errorOccurred.connect(lambda error: self._failed_to_start(process, error))
        program, args = player_command()
        self._process, self._said_unavailable = process, False
        self._current[0] = process
        self.players_started += 1
        process.start(program, [*args, "--probe-seconds", str(self._probe_seconds)])
        self._start_deadline.start()

    def _send(self) -> None:
        if self._process is not None and self.status == self.READY:
            self._process.write((json.dumps({"priority": self.priority}) + "\n").encode())

    def _read(self, process: QProcess) -> None:
        while process.canReadLine():
            line = bytes(process.readLine().data()).decode(errors="replace").strip()
            try:
                message = json.loads(line)
            except ValueError:
                log.warning("alarm sound player said %r", line[:200])
                continue
            event = message.get("event")
            if event == "ready":
                self._start_deadline.stop()
                self._retry_delay = self._retry_initial
                self.device = message.get("device", "")
                log.info("alarm sound ready on %r", self.device)
                self._set_status(self.READY, "")
                self._send()
            elif event == "unavailable":
                self._said_unavailable = True
                self._start_deadline.stop()
                log.warning("alarm sound unavailable: %s (%s)", message.get("reason"), message.get("detail"))
                self._set_status(self.UNAVAILABLE, str(message.get("reason")))
            elif event == "burst":
                self.bursts_started += 1
            elif event == "error":
                log.warning("alarm sound player: %s", message.get("detail"))

    def _log_stderr(self, process: QProcess) -> None:
        text = bytes(process.readAllStandardError().data()).decode(errors="replace").strip()
        if text:
            log.debug("alarm sound player stderr: %s", text)

    def _finished(self, process: QProcess, code: int, status: QProcess.ExitStatus) -> None:
        if process is not self._process:
            return
        self._process = None
        process.deleteLater()
        if self._closing:
            return
        if not self._said_unavailable:
            log.warning("alarm sound player ended (%s, code %d)",
                        "crashed" if status == QProcess.ExitStatus.CrashExit else "exited", code)
            if self.status != self.UNAVAILABLE:
                self._set_status(self.UNAVAILABLE, "stopped" if self.status == self.READY else "no_start")
        if self.reason_code == "no_multimedia":
            return  # permanent: a restart cannot install a library
        self._retry.start(int(self._retry_delay * 1000))
        self._retry_delay = min(self._retry_max, self._retry_delay * 2)

    def _failed_to_start(self, process: QProcess, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:  # no finished() follows
            log.warning("alarm sound player could not be started: %s", process.errorString())
            self._finished(process, -1, QProcess.ExitStatus.CrashExit)

    def _on_start_timeout(self) -> None:
        if self._process is not None and self.status == self.STARTING:
            self._set_status(self.UNAVAILABLE, "no_start")
            self._process.kill()  # _finished schedules the next attempt

    def _set_status(self, status: str, code: str) -> None:
        if (status, code) != (self.status, self.reason_code):
            self.status, self.reason_code = status, code
            self.status_did_change.emit()
