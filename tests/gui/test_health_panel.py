"""The connection health panel on real traffic from the sandbox: it shows round-trip percentiles, rates
and charts, and its exported snapshot parses, holds the expected parts and no patient identifier,
while it does hold the pseudonyms of identifiers that really crossed the wire."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.support.gui import live_window, run_qt, sandbox_database, until
from tjv_desktop.backend.health import Health
from tjv_desktop.domain.events import LinkState
from tjv_desktop.ui import i18n
from tjv_desktop.ui.health_panel import HealthPanel
from tjv_desktop.ui.tables import apply_dark_palette

UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


@pytest.mark.sandbox
def test_the_health_panel_shows_live_figures_and_exports_a_redacted_snapshot(qapp, sandbox, artifacts_dir,
                                                                             tmp_path):
    async def scenario():
        apply_dark_palette(qapp)
        kinds: list[tuple[uuid.UUID, str]] = []
        async with sandbox_database(sandbox) as conn:
            try:
                async with live_window(sandbox, probe_deadline=2.0) as (monitor, window):
                    health = monitor.core.health
                    await until(lambda: window.census_model.rowCount() > 0, 10, "the census fills")
                    patients = await conn.fetch(
                        "select p.id::text, p.full_name, p.mrn from patients p join provider_assignments a "
                        "on a.patient_id = p.id where a.provider_id = $1 and a.active order by p.id",
                        uuid.UUID(window.provider_id))
                    everyone = await conn.fetch("select id::text, full_name, mrn from patients")
                    emails = [r[0] for r in await conn.fetch("select email from auth.users")]
                    provider_ids = [r[0] for r in await conn.fetch("select id::text from providers")]

                    # Traffic: alerts raised and resolved on four of the nurse's patients.
                    for n, row in enumerate(patients[:4]):
                        pid, kind = uuid.UUID(row["id"]), f"health-panel-{uuid.uuid4().hex[:6]}"
                        kinds.append((pid, kind))
                        await conn.execute("select count(*) from raise_alert($1, 'low', $2, 'Pain score 6 /10 (limit 5 /10)',"
                                           " 6, 5, '/10')", pid, kind)
                        if n % 2:
                            await conn.execute("select resolve_alerts($1, $2)", pid, kind)

                    # The raw patient ids crossed the wire: the trace holds exactly their pseudonyms.
                    redactor = health.trace.redactor
                    wanted = {redactor.pseudonym("patient", str(pid)) for pid, _ in kinds}

                    def seen() -> set[str]:
                        return {e.get("patient") for e in health.trace.events()
                                if e["kind"] == "change" and e.get("table") == "patient_alerts"}

                    await until(lambda: wanted <= seen(), 15, "the alerts' changes reach the trace")
                    await until(lambda: sum(s["rtt_ms"] is not None for s in health.history.as_list()) >= 3, 20,
                                "three probe round trips are sampled")

                    # Ctrl+Shift+H opens the panel.
                    window.activateWindow()
                    await until(window.isActiveWindow, 5, "the window is active")
                    QTest.keyClick(window, Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
                    panel = window.health_launcher.panel
                    assert panel is not None and panel.isVisible()
                    panel.refresh()
                    rtt_text = panel.values["rtt"].text()
                    assert re.search(r"p50 [\d.]+\u00a0ms · p95 [\d.]+\u00a0ms · p99 [\d.]+\u00a0ms", rtt_text), rtt_text
                    assert re.match(r"in [\d.]+/s · out [\d.]+/s", panel.values["rates"].text())
                    assert health.messages_in.total > 0 and health.messages_out.total > 0
                    assert "rows" in panel.values["resync"].text()
                    assert panel.state_label.text().startswith("● Connected")
                    xs, ys = panel.rtt_curve.getData()
                    assert xs is not None and len(xs) >= 3 and (ys == ys).sum() >= 3  # finite round trips drawn
                    assert len(panel.in_curve.getData()[0]) == len(health.history.as_list())
                    assert panel.trace_model.rowCount() == len(health.trace.events()) > 0
                    assert panel.grab().save(str(artifacts_dir / "health_panel.png"))

                    path = panel.export_snapshot(tmp_path / "health.json")
                    text = path.read_text(encoding="utf-8")
                    snapshot = json.loads(text)
                    assert set(snapshot) == {"app", "version", "exported_at", "health", "history", "trace"}
                    assert snapshot["health"]["probe_rtt_ms"]["p50"] is not None and snapshot["history"]
                    kinds_seen = {e["kind"] for e in snapshot["trace"]}
                    assert {"state", "join", "channel", "probe", "change", "resync"} <= kinds_seen
                    # No identifier of anyone: patients (ids, names, MRNs), providers, users' e-mails.
                    for row in everyone:
                        for raw in (row["id"], row["full_name"], row["mrn"]):
                            assert not raw or raw.lower() not in text.lower(), raw
                    for raw in [*emails, *provider_ids]:
                        assert raw.lower() not in text.lower(), raw
                    assert not UUID_RE.search(text) and "@" not in text
                    for pseudonym in wanted:
                        assert pseudonym in text
                    assert redactor.pseudonym("provider", window.provider_id) in text  # channel names

                    # A place that cannot be written: said in the panel, nothing half-written left behind.
                    panel._export_to(str(tmp_path / "no-such-folder" / "health.json"))
                    assert panel.export_note.text().startswith("Not saved:")
                    assert not (tmp_path / "no-such-folder").exists()
            finally:
                for pid, kind in kinds:
                    await conn.execute("select resolve_alerts($1, $2)", pid, kind)

    run_qt(qapp, scenario)


def test_the_health_panel_speaks_spanish(qapp, artifacts_dir):
    i18n.install_translator(qapp, "es")
    apply_dark_palette(qapp)
    panel = None
    try:
        panel = HealthPanel(Health())
        panel.show()
        assert panel.grab().save(str(artifacts_dir / "health_panel_es.png"))
        texts = [panel.windowTitle(), panel.export_button.text(), panel.close_button.text(),
                 panel.values["resync"].text(), panel.state_label.text()]
        assert texts[0].startswith("Estado de la conexión"), texts
        assert panel.export_button.text() == "Exportar instantánea…"
        assert panel.values["resync"].text() == "ninguna todavía"
        assert "Conectando" in panel.state_label.text()
    finally:
        if panel is not None:
            panel.close()
            panel.deleteLater()
        i18n.install_translator(qapp, "en")
        QApplication.processEvents()


def test_a_lost_link_reads_as_lost_in_words_and_symbol_with_its_reason_redacted(qapp):
    health = Health()
    provider = str(uuid.uuid4())
    health.trace.redactor.learn("provider", [provider])
    health.state, health.state_reason = LinkState.LOST, f"could not join vitals:{provider}:0: timed out"
    panel = HealthPanel(health)
    try:
        text = panel.state_label.text()
        assert text.startswith("▲ Connection lost for ")
        assert provider not in text and health.trace.redactor.pseudonym("provider", provider) in text
        assert "#b71c1c" in panel.state_label.styleSheet()  # red as well as the words and the symbol
    finally:
        panel.close()
        panel.deleteLater()
