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


def test_a_stopped_window_runs_nothing_more_when_its_timers_would_have_fired(qapp, caplog):
    """Once the station stops, the alarm bar's clock and flash stop too: a later tick must not try to
    audit on a loop that is gone (it raised 'no current event loop' in a later test once)."""
    async def scenario():
        async with offline_station(user_label="test") as window:
            assert window.alarm_bar.tick_timer.isActive()
            kept = window
        assert not kept.alarm_bar.tick_timer.isActive() and not kept.alarm_bar.flash_timer.isActive()
        return kept

    window = run_qt(qapp, scenario)
    coro = window.engine.audit("test", "alarm_raised", {})
    assert window._spawn(coro) is None, "nothing is scheduled after stop"
    assert "window stopped" in caplog.text


def test_stopping_the_window_waits_for_the_audit_entries_still_being_written(qapp):
    """Switch user, then the station stops at once: the audit trail must still say so (it lost the entry
    now and then when stop() cancelled the pending write)."""
    from tjv_desktop.store import LocalStore

    async def scenario():
        async with offline_station(user_label="test") as window:
            window._on_switch_user()
            await window.stop()
            trail = await window.engine.worker.call(LocalStore.audit_trail)
            return [e.action for e in trail]

    assert "switch_user_requested" in run_qt(qapp, scenario)
