"""The session view in the real window against the sandbox, with a second member (an engine instance):
presence shown, the shared note typed in both directions, follow-me moving the census selection, an
announcement banner that must be dismissed; screenshots of the window and of the panel."""

from __future__ import annotations

import httpx
import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.support.collab_support import COORDINATOR, RIVERSIDE, station
from tests.support.gui import live_window, run_qt, until
from tjv_desktop.ui.tables import apply_dark_palette

pytestmark = pytest.mark.sandbox

PATIENT = "c0000000-0000-4000-8000-000000001003"


def announce(sandbox, email: str, payload: dict) -> None:
    token = sandbox.sign_in(email)["access_token"]
    r = httpx.post(f"{sandbox.url}/realtime/v1/api/broadcast",
                   headers={"apikey": sandbox.anon_key, "Authorization": f"Bearer {token}"},
                   json={"messages": [{"topic": f"tenant:{RIVERSIDE}:announcements", "event": "announcement",
                                       "payload": payload, "private": True}]}, timeout=10)
    assert r.status_code == 202, r.text


def test_a_session_with_two_members_in_the_window(qapp, sandbox, artifacts_dir):
    apply_dark_palette(qapp)

    async def scenario():
        other = await station(sandbox, COORDINATOR)
        try:
            async with live_window(sandbox, size=(1920, 1080)) as (_monitor, window):
                panel = window.sessions_panel
                assert not window.collaboration.expanded, "the dock starts collapsed to its bar"
                window.collaboration.bar.click()
                assert window.collaboration.expanded and panel.isVisible()
                await until(lambda: window.census_model.row(PATIENT) is not None, 10, "the census fills")
                row = await other.core.sessions.create("Evening handoff, ward 4")
                theirs = await other.core.sessions.open(row["id"])
                await panel.refresh()
                assert "Evening handoff, ward 4" in [panel.list.item(i).text() for i in range(panel.list.count())]
                await panel.join(row["id"])
                view = panel.view
                await until(lambda: len(view.engine.members) == 2 and panel.session.state == "joined", 10,
                            "both members are shown")
                assert any("Olivia Brooks" in view.members.item(i).text() for i in range(view.members.count()))

                view.follow_box.setChecked(True)
                theirs.engine.focus(PATIENT)
                theirs.engine.lead(True)
                await until(lambda: window.selected_patient == PATIENT, 10, "follow-me selects the patient")
                theirs.engine.doc.set_text("summary", "POD 2 after right TKA. Pain controlled. Drain out this morning.")
                theirs.engine.doc.set_severity("watcher")
                theirs.engine.doc.add_action("Check wound at 22:00")
                theirs.engine.doc.add_action("Confirm physio slot tomorrow")
                await until(lambda: view.editors["summary"].toPlainText().startswith("POD 2"), 10, "the note arrives")
                editor = view.editors["synthesis"]
                editor.setFocus()
                QTest.keyClicks(editor, "Received: wound check at 22:00, will call if drain site oozes.")
                await until(lambda: theirs.engine.doc.text("synthesis").endswith("oozes."), 10,
                            "what the nurse typed reaches the coordinator")
                view.actions.item(0).setCheckState(Qt.CheckState.Checked)
                await until(lambda: theirs.engine.doc.actions()[0]["done"], 10, "the tick is shared")
                assert view.severity.currentData() == "watcher"

                announce(sandbox, COORDINATOR, {"message": "Ward 4 phones down until 21:00: use the bleep.",
                                                "from": "Olivia Brooks", "urgent": True})
                announce(sandbox, COORDINATOR, {"message": 42})  # malformed: ignored
                banner = window.announcement_banner
                await until(lambda: banner.isVisible(), 10, "the announcement banner shows")
                assert "phones down" in banner.text.text() and len(banner.queue) == 1
                await until(lambda: any(m.looking_at == PATIENT for m in view.engine.members), 15,
                            "the view says which patient the coordinator looks at")
                view._members_changed(view.engine.members)
                QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
                window.grab().save(str(artifacts_dir / "session_window.png"))
                charts = window.detail.charts  # with the dock open, no chart is cut off at the pane's edge
                for plot in window.detail.plots:
                    assert plot.sceneBoundingRect().right() <= charts.viewport().width() + 0.5, plot.titleLabel.text
                panel.grab().save(str(artifacts_dir / "session_panel.png"))
                assert any("LEADING" in view.members.item(i).text() for i in range(view.members.count()))
                banner.dismiss.click()
                assert not banner.isVisible()  # dismissed, and only then
                window.lock()  # the note names patients: it hides behind the idle lock with the patient views
                assert not window.collaboration_dock.isVisible() and window.alarm_bar.isVisible()
                window.unlock()
                assert window.collaboration_dock.isVisible()
                await theirs.leave()
        finally:
            await other.stop()
        return row["id"]

    session_id = run_qt(qapp, scenario, timeout=90)
    assert session_id


def _offline_view(qapp, language: str):
    """A SessionView on a real engine without network, with two members, built in ``language``."""
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from tjv_desktop.collab.engine import Me, SessionEngine
    from tjv_desktop.collab.presence import Member
    from tjv_desktop.ui import i18n
    from tjv_desktop.ui.sessions import SessionView

    async def nowhere(*_args):
        return None

    i18n.install_translator(qapp, language)
    engine = SessionEngine("5e550000-0000-4000-8000-000000001001", Me("u1", "Emma Clarke, RN", "clinician"),
                           None, nowhere, nowhere)
    since = datetime(2026, 11, 24, 21, 5, tzinfo=UTC)
    engine.members = [Member("u2", "lead-inst-0001", "Olivia Brooks", "coordinator", since, PATIENT, 1, 5),
                      Member("u1", engine.inst, "Emma Clarke, RN", "clinician", since, None, 0, 0)]
    engine._claims["lead-inst-0001"] = (1, 5)
    engine.doc.set_text("summary", "POD 2 after right TKA.")
    engine.doc.add_action("Check wound at 22:00")
    session = SimpleNamespace(title="Evening handoff, ward 4", state="offline", state_listeners=[], engine=engine)
    view = SessionView(session, lambda _p: "Linda Okafor")
    view.engine.rejected["replayed"] += 2
    view._render_dropped()
    view.resize(520, 1000)
    view.show()
    QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    return view


def test_the_session_view_in_spanish_shows_no_english_and_nothing_is_clipped(qapp, artifacts_dir):
    from PySide6.QtWidgets import QAbstractButton, QLabel

    from tests.gui.test_ui_i18n import widget_strings
    from tjv_desktop.ui import i18n

    apply_dark_palette(qapp)
    try:
        english = _offline_view(qapp, "en")
        spanish = _offline_view(qapp, "es")
        en = dict(widget_strings(english))
        es = dict(widget_strings(spanish))
        for view, strings in ((english, en), (spanish, es)):
            strings.update({f"severity {i}": view.severity.itemText(i) for i in range(view.severity.count())})
        data = {"", "Evening handoff, ward 4", "Check wound at 22:00"}  # the title and the note are data
        same = {where: text for where, text in es.items() if en.get(where) == text and text not in data}
        assert not same, same
        assert "OFFLINE" not in es.values() and any("SIN CONEXIÓN" in t for t in es.values())
        spanish.grab().save(str(artifacts_dir / "session_panel_es.png"))
        for widget in spanish.findChildren(QAbstractButton) + spanish.findChildren(QLabel):
            if widget.isVisible() and not (isinstance(widget, QLabel) and widget.wordWrap()) and widget.text():
                needed = widget.fontMetrics().horizontalAdvance(widget.text().split("\n")[0])
                assert needed <= widget.width(), f"clipped: {widget.text()!r} needs {needed} px, has {widget.width()}"
        english.close()
        spanish.close()
    finally:
        i18n.install_translator(qapp, "en")
