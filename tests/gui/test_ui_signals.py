"""The PySide6 6.12 leak guard: on Python 3.11, 6.12.0 drops a reference to True on every Python-side emit
and aborts the interpreter after a few hundred emits (python-stack-notes, blocker)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class Emitter(QObject):
    happened = Signal()


def test_a_signal_emitted_5000_times_from_python_does_not_crash(qapp):
    emitter = Emitter()
    received = []
    emitter.happened.connect(lambda: received.append(1))
    for _ in range(5000):
        emitter.happened.emit()
    assert len(received) == 5000 and True is True
