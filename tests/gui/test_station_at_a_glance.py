"""The window at a glance (issue 15): the census never scrolls sideways (columns give way by their
declared priority, their values kept in the tooltip), the alerts list as tall as its rows, the
collaboration dock collapsed to a slim bar that opens on demand, the night view; and screenshots of the
demo (the sandbox's simulator with its 72 h of history) at 1920×1080 and 1280×800 in English and Spanish.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QApplication

from tests.support.gui import live_window, offline_station, populate, run_qt, until
from tests.support.sandbox import private_sandbox
from tests.support.station import NURSE
from tjv_desktop.domain.alerts import VISUAL, Priority
from tjv_desktop.ui import i18n
from tjv_desktop.ui.models import CensusModel, columns_to_drop
from tjv_desktop.ui.tables import apply_dark_palette
from tjv_desktop.ui.theme import NIGHT, STANDARD


def test_every_census_column_declares_how_soon_it_gives_way():
    assert set(CensusModel.DROP_PRIORITY) == set(CensusModel.COLUMNS)
    assert {c for c, p in CensusModel.DROP_PRIORITY.items() if p == 0} == {"alerts", "name", "news2"}


def test_columns_give_way_highest_priority_first_and_the_rightmost_among_equals():
    widths = {"a": 100, "b": 100, "c": 100, "d": 100}
    priority = {"a": 0, "b": 2, "c": 1, "d": 2}
    assert columns_to_drop(widths, 400, priority) == []
    assert columns_to_drop(widths, 399, priority) == ["d"]
    assert columns_to_drop(widths, 250, priority) == ["d", "b"]
    assert columns_to_drop(widths, 10, priority) == ["d", "b", "c"], "priority 0 never goes"
    wide_last = {"a": 100, "b": 50, "c": 200}
    assert columns_to_drop(wide_last, 160, {"a": 0, "b": 2, "c": 1}) == ["c"], \
        "b went first, but once c went too there was room for b again"


def shown_columns(window) -> list[str]:
    header = window.census_view.horizontalHeader()
    return [c for i, c in enumerate(CensusModel.COLUMNS) if not header.isSectionHidden(i)]


async def settle() -> None:
    """Lays out what changed now, then lets the loop paint."""
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    await asyncio.sleep(0.05)


def test_the_census_never_scrolls_sideways_and_keeps_what_it_drops_in_the_tooltip(qapp):
    """At 1920 px every column shows; at 1280 px operation/day, pain and status give way (in that order)
    and their values are in each row's tooltip; neither scrolls sideways."""
    async def scenario():
        apply_dark_palette(qapp)
        async with offline_station(populate(datetime.now(UTC)), size=(1920, 1080), user_label=NURSE) as window:
            await settle()
            scroll = window.census_view.horizontalScrollBar()
            assert not scroll.isVisible() and scroll.maximum() == 0
            # At 1920 px every vital and the unread count show; at most the least important (operation and
            # day, pain, the status word, the app's presence: priority 4 and up) give way.
            at_1920 = window.census_model.dropped
            assert all(CensusModel.DROP_PRIORITY[c] >= 4 for c in at_1920), at_1920
            assert set(shown_columns(window)) == set(CensusModel.COLUMNS) - set(at_1920)

            window.resize(1280, 800)
            await until(lambda: len(window.census_model.dropped) > len(at_1920), 5, "more give way at 1280 px")
            await settle()
            assert not scroll.isVisible() and scroll.maximum() == 0
            dropped = window.census_model.dropped
            assert dropped[0] == "procedure" or "procedure" in dropped, dropped
            kept = set(CensusModel.COLUMNS) - set(dropped)
            assert {"alerts", "name", "news2", "age", "spo2"} <= kept, dropped
            priority = CensusModel.DROP_PRIORITY
            assert max(priority[c] for c in kept) <= min(priority[c] for c in dropped), \
                "the least important went first"
            print(f"dropped at 1280 px: {dropped}")
            row = window.census_model.row(window.census_proxy.key_at(0))
            tip = window.census_proxy.index(0, CensusModel.COLUMNS.index("name")).data(Qt.ItemDataRole.ToolTipRole)
            assert row.procedure in tip and "Op · POD:" in tip

            window.resize(1920, 1080)
            await until(lambda: window.census_model.dropped == at_1920, 5, "the columns come back with the room")

    run_qt(qapp, scenario)


def test_the_alerts_list_is_as_tall_as_its_rows(qapp):
    async def scenario():
        async with offline_station(populate(datetime.now(UTC)), size=(1920, 1080), user_label=NURSE) as window:
            view = window.alerts_view
            await settle()
            row_height = view.verticalHeader().defaultSectionSize()

            def rows_shown() -> float:
                bar = view.horizontalScrollBar().sizeHint().height()  # always kept free
                return (view.height() - view.horizontalHeader().height() - 2 * view.frameWidth() - bar) / row_height

            assert window.alerts_proxy.rowCount() > 8 and rows_shown() == 8, "many alerts: 8 rows, then it scrolls"
            window.filter_edit.setText(window.alerts_proxy.index(0, 1).data())  # one patient's alerts
            shown = window.alerts_proxy.rowCount()
            assert 2 <= shown < 8 and rows_shown() == shown
            await settle()
            assert window.census_view.height() > view.height(), "the census gets the room"
            assert window.alerts_view.viewport().height() >= shown * row_height, "no row hidden by a scroll bar"
            window.filter_edit.setText("no such patient")
            assert rows_shown() == 2

    run_qt(qapp, scenario)


def test_the_night_view_dims_the_window_but_not_the_alarm_colours(qapp):
    async def scenario():
        async with offline_station(populate(datetime.now(UTC)), size=(1920, 1080), user_label=NURSE) as window:
            chosen: list[str] = []
            window.theme_did_change.connect(chosen.append)
            window.night_button.click()
            assert window.theme is NIGHT and chosen == ["night"]
            assert qapp.palette().window().color().lightness() < 20
            worst = window.census_proxy.index(0, CensusModel.COLUMNS.index("alerts"))
            assert worst.data(Qt.ItemDataRole.BackgroundRole).color().name() == VISUAL[Priority.HIGH].colour
            window.set_theme(STANDARD, locked=True)
            assert not window.night_button.isEnabled() and not window.night_button.isChecked()
            assert chosen == ["night"], "a policy-set theme is not the user's choice"

    run_qt(qapp, scenario)
    apply_dark_palette(qapp)


# --- the demo -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_sandbox():
    """A sandbox like ``make demo``'s: 40 simulated patients with 72 h of history."""
    with private_sandbox("tjv-demo-", "--simulate", "40", timeout=240) as handle:
        yield handle


@pytest.mark.sandbox
@pytest.mark.parametrize("language", ["en", "es"])
def test_screenshots_of_the_demo(qapp, demo_sandbox, artifacts_dir, language):
    """Census and a patient's 72 h, the dock closed and open, the night view; 1920×1080 and 1280×800."""
    async def scenario():
        async with live_window(demo_sandbox, size=(1920, 1080)) as (_monitor, window):
            await until(lambda: window.census_model.rowCount() >= 10, 20, "the census fills")
            worst = window.census_proxy.key_at(0)
            window.select_patient(worst)
            await until(lambda: window.detail.patient_id == worst, 10, "the detail loads")
            window.detail.set_hours(72)

            def charted_hours() -> float:
                times, _ = window.detail.curves["heart_rate"].getData()
                return 0.0 if times is None or len(times) < 2 else (times[-1] - times[0]) / 3600

            # The first sync brings the history in pages after the latest values: reload until it is all here.
            deadline = asyncio.get_running_loop().time() + 30
            while charted_hours() < 70:
                assert asyncio.get_running_loop().time() < deadline, f"only {charted_hours():.1f} h charted"
                await window.load_detail(worst)
                await asyncio.sleep(0.5)
            assert not window.collaboration.expanded
            for width, height in ((1920, 1080), (1280, 800)):
                window.resize(width, height)
                for shot in ("census", "dock_open", "night"):
                    window.collaboration.set_expanded(shot == "dock_open")
                    await settle()
                    window.resize(width, height)  # the open dock may have widened the window
                    window.set_theme(NIGHT if shot == "night" else STANDARD)
                    window.detail.redraw_if_needed()
                    await settle()
                    name = f"demo_{language}_{width}_{shot}.png"
                    assert window.grab().save(str(artifacts_dir / name))
                    if shot != "dock_open":  # open, the dock needs its 520 px (see the report)
                        assert window.width() <= width, (name, window.width())
                    charts = window.detail.charts
                    for plot in window.detail.plots:
                        assert plot.sceneBoundingRect().right() <= charts.viewport().width() + 0.5, name
                    # The view updates its scroll bars on a zero timer after the columns change.
                    header = window.census_view.horizontalHeader()
                    await until(lambda: not window.census_view.horizontalScrollBar().isVisible(), 2,
                                f"{name}: no horizontal scroll bar on the census (header {header.length()} px, "
                                f"viewport {window.census_view.viewport().width()} px, dropped "
                                f"{window.census_columns.dropped}, widths {window.census_columns.widths}, "
                                f"sections {[header.sectionSize(i) for i in range(header.count())]})")
            window.set_theme(STANDARD)

    assert i18n.install_translator(qapp, language) == language
    try:
        run_qt(qapp, scenario, timeout=120)
    finally:
        i18n.install_translator(qapp, "en")
        apply_dark_palette(qapp)


def test_chart_time_labels_say_the_day_and_the_hour(qapp):
    from datetime import timedelta

    from tjv_desktop.ui.patient_detail import time_ticks

    i18n.install_translator(qapp, "en")
    end = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
    wide = [label for _, label in time_ticks(end - timedelta(hours=72), end, 72, 900)]
    assert len(wide) >= 6 and all(len(label.split()) in (1, 2) for label in wide)
    assert len(wide[0].split()) == 2 and ":" in wide[0], f"the first tick says day and hour: {wide}"
    eight = [label for _, label in time_ticks(end - timedelta(hours=8), end, 8, 400)]
    assert len(eight[0].split()) == 2 and all(len(label.split()) == 1 for label in eight[1:] if label != "")
    narrow = [label for _, label in time_ticks(end - timedelta(hours=72), end, 72, 150)]
    assert narrow and all(":" not in label for label in narrow), f"too narrow for hours: days only {narrow}"


def test_chart_symbols_mark_samples_that_lie_apart_and_none_on_a_dense_line(qapp):
    from datetime import timedelta

    import shiboken6

    from tjv_desktop.sync.views import PatientDetailView
    from tjv_desktop.ui.patient_detail import PatientDetail

    now = datetime.now(UTC)
    detail = PatientDetail(now=lambda: now)
    detail.resize(760, 900)
    detail.show()

    def shown(samples: int) -> str | None:
        step = 7 * 3600 / samples  # within the 8 h shown
        vitals = tuple(((now - timedelta(seconds=step * n)).timestamp(),
                        {"id": n, "heart_rate": 80 + n % 5, "spo2": 97}) for n in range(samples))
        detail.show_patient(PatientDetailView("p1", None, {}, vitals, (), (), ()))
        assert len(detail.curves["heart_rate"].getData()[0]) == samples
        return detail.curves["heart_rate"].opts["symbol"]

    assert shown(1) == "o"  # a single sample would be invisible without its dot
    assert shown(10) == "o"
    assert shown(2000) is None  # one sample every 13 s: a line, not 2,000 dots
    detail.close()
    shiboken6.delete(detail)  # now, not by a garbage collection during a later test (its timer runs)
