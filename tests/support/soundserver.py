"""A private PulseAudio server with a null sink, a recorder of what reaches it, and the analysis of
the recording into pulses and bursts (what a listener would hear).

The server runs as whoever runs the tests (root included: then PulseAudio warns and goes on), with its
own runtime and state folders and socket, loading only the native protocol and one mono null sink:
no system-wide configuration is read or changed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATE = 44_100
SINK = "tjv_alarm_sink"
# A pulse is where the 2-ms block maximum exceeds this (the tones peak at 16,383; the null sink's
# silence is exactly 0).
THRESHOLD = 1500
BLOCK = int(RATE * 0.002)


class SoundServer:
    """``start()`` / ``stop()`` (SIGTERM, as a restarting desktop session does); ``pulse_server`` is the
    value for PULSE_SERVER."""

    def __init__(self, root: Path | None = None):
        self.root = root or Path(tempfile.mkdtemp(prefix="tjv-pulse-"))
        self.socket = self.root / "native"
        self.proc: subprocess.Popen | None = None

    @property
    def pulse_server(self) -> str:
        return f"unix:{self.socket}"

    def env(self) -> dict[str, str]:
        return {"PULSE_SERVER": self.pulse_server}

    def start(self, timeout: float = 20.0) -> SoundServer:
        with contextlib.suppress(FileNotFoundError):
            self.socket.unlink()
        home = self.root / "home"
        home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "HOME": str(home), "XDG_RUNTIME_DIR": str(self.root), "XDG_CONFIG_HOME": str(home),
               "XDG_STATE_HOME": str(home)}
        env.pop("PULSE_SERVER", None)
        self.log = open(self.root / "pulseaudio.log", "ab")  # noqa: SIM115 - owned by the process
        self.proc = subprocess.Popen(
            ["pulseaudio", "-n", "--daemonize=no", "--use-pid-file=no", "--exit-idle-time=-1",
             "--log-target=stderr", "-L", f"module-native-protocol-unix socket={self.socket} auth-anonymous=1",
             "-L", f"module-null-sink sink_name={SINK} rate={RATE} channels=1"],
            env=env, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.monotonic() + timeout
        while True:  # ready when a client gets an answer
            probe = subprocess.run(["pactl", "--server", self.pulse_server, "info"], capture_output=True,
                                   timeout=10, check=False)
            if probe.returncode == 0:
                return self
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pulseaudio did not start; see {self.root / 'pulseaudio.log'}")
            time.sleep(0.1)  # polling for readiness, bounded by the deadline

    def stop(self) -> int:
        """Ends the server; returns its exit status."""
        proc, self.proc = self.proc, None
        if proc is None:
            return 0
        proc.terminate()
        try:
            return proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait(10)
        finally:
            self.log.close()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


class Recorder:
    """Records the null sink's monitor with ``parec`` on a thread; ``samples()`` is what arrived so far,
    and ``time_of(i)`` the monotonic time sample ``i`` was received (within the read latency)."""

    def __init__(self, server: SoundServer):
        self.proc = subprocess.Popen(
            ["parec", "--server", server.pulse_server, "-d", f"{SINK}.monitor", "--format=s16le",
             f"--rate={RATE}", "--channels=1", "--raw", "--latency-msec=20"], stdout=subprocess.PIPE)
        self._chunks: list[bytes] = []
        self._arrivals: list[tuple[int, float]] = []  # (samples received so far, monotonic time)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, name="parec", daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float = 15.0) -> Recorder:
        """Waits for the first samples. The null sink's monitor starts delivering about 2 s after the
        recorder connects; a tone played before that is delayed, which would shorten the first
        measured repeat interval."""
        deadline = time.monotonic() + timeout
        while not self._arrivals:
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("parec delivered no samples")
            time.sleep(0.05)  # polling for the first samples, bounded by the deadline
        return self

    def _read(self) -> None:
        received = 0
        while chunk := self.proc.stdout.read1(8192):
            with self._lock:
                self._chunks.append(chunk)
                received += len(chunk)
                self._arrivals.append((received // 2, time.monotonic()))

    def samples(self) -> np.ndarray:
        with self._lock:
            data = b"".join(self._chunks)
        return np.frombuffer(data[:len(data) // 2 * 2], dtype=np.int16)

    def time_of(self, sample: int) -> float:
        with self._lock:
            arrivals = list(self._arrivals)
        for count, at in arrivals:
            if count > sample:
                return at - (count - sample) / RATE
        return arrivals[-1][1] + (sample - arrivals[-1][0]) / RATE

    def sample_at(self, moment: float) -> int:
        """The index of the sample received at monotonic ``moment`` (the inverse of ``time_of``)."""
        with self._lock:
            arrivals = list(self._arrivals)
        for count, at in arrivals:
            if at >= moment:
                return max(0, count - int((at - moment) * RATE))
        return arrivals[-1][0] if arrivals else 0

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)
        self._thread.join(10)


@dataclass(frozen=True)
class Pulse:
    start: int  # sample indexes
    end: int

    @property
    def seconds(self) -> float:
        return (self.end - self.start) / RATE


def pulses(x: np.ndarray) -> list[Pulse]:
    """Runs of sound in the recording (2-ms resolution; gaps under 20 ms belong to the pulse)."""
    n = len(x) // BLOCK
    if n == 0:
        return []
    loud = np.abs(x[:n * BLOCK].astype(np.int32)).reshape(n, BLOCK).max(axis=1) > THRESHOLD
    found: list[Pulse] = []
    start = None
    for i, on in enumerate(loud):
        if on and start is None:
            start = i
        elif not on and start is not None:
            if found and start * BLOCK - found[-1].end < 0.02 * RATE:
                found[-1] = Pulse(found[-1].start, i * BLOCK)
            else:
                found.append(Pulse(start * BLOCK, i * BLOCK))
            start = None
    return found  # a pulse still sounding at the end of the recording is not complete: left out


def bursts(found: list[Pulse], gap_seconds: float = 1.0) -> list[list[Pulse]]:
    """Pulses grouped into bursts: a silence longer than ``gap_seconds`` separates two bursts."""
    groups: list[list[Pulse]] = []
    for pulse in found:
        if groups and (pulse.start - groups[-1][-1].end) / RATE < gap_seconds:
            groups[-1].append(pulse)
        else:
            groups.append([pulse])
    return groups


def spectrum_peaks(x: np.ndarray, pulse: Pulse) -> tuple[float, dict[int, float]]:
    """The fundamental (strongest component, Hz) of a pulse's steady middle, and the level in dB
    relative to it of each harmonic k·f0 (k = 1…8)."""
    middle = x[pulse.start + (pulse.end - pulse.start) // 5: pulse.end - (pulse.end - pulse.start) // 5]
    window = middle.astype(np.float64) * np.hanning(len(middle))
    spectrum = np.abs(np.fft.rfft(window, n=RATE))  # 1-Hz bins
    band = slice(100, 5000)
    f0 = float(np.argmax(spectrum[band]) + band.start)
    level = spectrum[int(f0)]
    harmonics = {}
    for k in range(1, 9):
        f = int(round(k * f0))
        if f < len(spectrum) - 3:
            harmonics[k] = 20 * np.log10(spectrum[f - 3:f + 4].max() / level)
    return f0, harmonics
