"""The new views in Spanish, on their own (no server): the care-team panel, the reply box with its marks
and the metrics view on a synthetic shift; screenshots in artifacts/ (looked at) and no English left in
their labels."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from tests.support.gui import run_qt
from tjv_desktop.domain.care_team import Colleague
from tjv_desktop.ui import i18n
from tjv_desktop.ui.care_team_panel import CareTeamPanel
from tjv_desktop.ui.metrics_view import MetricsView
from tjv_desktop.ui.reply_box import ReplyBox, message_mark

NOW = datetime(2026, 12, 6, 7, 0, tzinfo=UTC)


def labels(root: QWidget) -> list[str]:
    return [w.text() for w in root.findChildren(QLabel) + root.findChildren(QAbstractButton) if w.text()]


def test_the_care_team_views_in_spanish(qapp, artifacts_dir):
    assert i18n.install_translator(qapp, "es") == "es"
    try:
        panel = CareTeamPanel("me")
        panel.set_colleagues([Colleague("me", "Emma Clarke, RN", "clinician", "WS-1", NOW, False),
                              Colleague("c2", "Olivia Brooks", "coordinator", "WS-7", NOW, True)])
        panel.resize(420, 220)
        panel.show()
        panel.grab().save(str(artifacts_dir / "care_team_panel_es.png"))
        assert panel.title.text() == "Equipo conectado: 2 personas, 2 puestos"
        assert any("coordinador" in n and "bloqueado" in n for n in panel.names())

        box = ReplyBox()
        box.set_quick_replies([{"label": "Hielo", "body": "Aplique hielo"}])
        box.send()  # empty: refused with a word, nothing sent
        box.resize(480, 120)
        box.show()
        box.grab().save(str(artifacts_dir / "reply_box_es.png"))
        assert box.note.text() == "Escriba algo primero."
        assert [message_mark(m) for m in ({"local_state": "pending"}, {"sender_role": "provider", "read_at": "x"},
                                          {"sender_role": "provider", "delivered_at": "x"})] == \
            ["enviando…", "leído", "entregado"]

        async def load(since, bucket):
            rows = []
            for i in range(0, 720, 5):
                at = (NOW - timedelta(minutes=720 - i)).isoformat()
                rows += [{"metric": "ack_p90_s", "bucket": at, "avg_value": 300, "max_value": 300 + 200 * math.sin(i / 60)},
                         {"metric": "ack_median_s", "bucket": at, "avg_value": 90, "max_value": 100},
                         {"metric": "stale_patients", "bucket": at, "avg_value": 1, "max_value": (i // 90) % 4},
                         {"metric": "stations_online", "bucket": at, "avg_value": 3, "max_value": 3},
                         {"metric": "alerts_raised", "bucket": at, "avg_value": 1, "max_value": i % 3},
                         {"metric": "escalations", "bucket": at, "avg_value": 0, "max_value": int(i % 97 == 0)}]
            return rows

        async def scenario():
            view = MetricsView(load, {"ack_p90_s": 600, "stale_patients": 3}, now=lambda: NOW)
            view.resize(1100, 700)
            view.show()
            await view.show_range("shift")
            view.grab().save(str(artifacts_dir / "metrics_es.png"))
            found = labels(view), view.points("ack_p90_s")
            view.close()
            return found

        texts, points = run_qt(qapp, scenario)
        assert points == 144
        assert "Este turno (12 h)" in texts and "Últimos 7 días" in texts
        assert not {"This shift (12 h)", "Last 7 days"} & set(texts)
    finally:
        i18n.install_translator(qapp, "en")


def test_an_alert_row_says_whether_the_patients_other_clinicians_are_online(qapp):
    from PySide6.QtCore import Qt

    from tjv_desktop.sync.views import AlertRow
    from tjv_desktop.ui.models import AlertsModel, CensusModel

    census, alerts = CensusModel(), AlertsModel()
    alerts.team_online = census.team_online  # as the window shares them
    row = AlertRow(id="a-1", patient_id="p-1", patient_name="P", provider_id="me", priority="high", state="active",
                   message="SpO2 85 %", raised_at=NOW, row={"patient_id": "p-1", "escalated_from": "a-0"})
    alerts.apply({"a-1": row})
    index = alerts.index(0, AlertsModel.COLUMNS.index("patient"))
    assert alerts.data(index, Qt.ItemDataRole.ToolTipRole) == "None of this patient's other clinicians is online"
    census.set_team_online("p-1", ["Dr. Samuel Hart"])
    assert alerts.data(index, Qt.ItemDataRole.ToolTipRole) == "Care team online: Dr. Samuel Hart"
