"""Every keyboard shortcut of the window does one thing: a sequence bound twice is ambiguous in Qt and
then does nothing at all (Ctrl+Shift+A was both audio pause and accept responsibility)."""

from __future__ import annotations

from collections import Counter

from PySide6.QtGui import QShortcut
from PySide6.QtWidgets import QAbstractButton

from tests.support.gui import offline_station, run_qt


def test_no_shortcut_is_bound_twice(qapp):
    async def scenario():
        async with offline_station(user_label="test") as window:
            sequences = [s.key().toString() for s in window.findChildren(QShortcut) if s.isEnabled()]
            sequences += [b.shortcut().toString() for b in window.findChildren(QAbstractButton)
                          if not b.shortcut().isEmpty()]
            assert "Ctrl+Shift+A" in sequences and "Ctrl+Shift+T" in sequences
            doubled = {s: n for s, n in Counter(sequences).items() if n > 1}
            assert doubled == {}, doubled

    run_qt(qapp, scenario)
