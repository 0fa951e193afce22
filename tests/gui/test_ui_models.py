"""The census and alerts models change only the rows a ChangeSet names, on a real in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from tjv_desktop.store import LocalStore
from tjv_desktop.sync import read_side
from tjv_desktop.ui.models import AlertsModel, CensusModel, alerts_proxy, census_proxy

NOW = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
PROVIDER = "prov-1"


def iso(moment: datetime) -> str:
    return moment.isoformat()


def patient(pid: str, name: str, at: datetime = NOW) -> dict:
    return {"id": pid, "full_name": name, "procedure": "TKA", "side": "left", "surgery_date": "2026-11-21",
            "updated_at": iso(at)}


def status(pid: str, news2: int, state: str = "stable", at: datetime = NOW) -> dict:
    return {"patient_id": pid, "status": state, "news2_score": news2, "updated_at": iso(at)}


def alert(alert_id: str, pid: str, priority: str, state: str = "active", at: datetime = NOW) -> dict:
    return {"id": alert_id, "patient_id": pid, "provider_id": PROVIDER, "priority": priority, "state": state,
            "kind": "tachycardia", "message": "Heart rate 135 /min (limit 130 /min)", "raised_at": iso(at),
            "updated_at": iso(at)}


def vital(vid: int, pid: str, hr: int, at: datetime) -> dict:
    return {"id": vid, "patient_id": pid, "measured_at": iso(at), "heart_rate": hr, "spo2": 97,
            "respiratory_rate": 16, "temperature": 37.1, "systolic_bp": 128, "diastolic_bp": 78, "pain_score": 3,
            "updated_at": iso(at)}


class Recorder:
    """Which source rows a model redrew, inserted and removed."""

    def __init__(self, model):
        self.changed, self.inserted, self.removed, self.resets = [], [], [], 0
        model.dataChanged.connect(lambda a, b, *_: self.changed.extend(range(a.row(), b.row() + 1)))
        model.rowsInserted.connect(lambda _p, a, b: self.inserted.extend(range(a, b + 1)))
        model.rowsRemoved.connect(lambda _p, a, b: self.removed.extend(range(a, b + 1)))
        model.modelReset.connect(lambda: setattr(self, "resets", self.resets + 1))


@pytest.fixture
def store():
    s = LocalStore.open(None, None)
    s.apply_batch({
        "patients": [patient("p1", "Ann Lee"), patient("p2", "Bob Stone"), patient("p3", "Cara Diaz")],
        "patient_status": [status("p1", 1), status("p2", 6, "deteriorating"), status("p3", 3, "watch")],
        "vitals": [vital(1, "p1", 72, NOW - timedelta(minutes=5)), vital(2, "p2", 118, NOW - timedelta(minutes=2))],
        "alerts": [alert("a1", "p3", "low")],
    })
    yield s
    s.close()


def census(store) -> CensusModel:
    model = CensusModel(now=lambda: NOW)
    model.reset(read_side.census_rows(store, None, PROVIDER))
    return model


def refresh(model: CensusModel, store, changes) -> None:
    model.apply(read_side.view_update(store, changes, PROVIDER).census)


def test_census_sorts_worst_first_then_by_news2_then_name(qapp, store):
    model = census(store)
    proxy = census_proxy(model)
    order = [proxy.key_at(r) for r in range(proxy.rowCount())]
    assert order == ["p3", "p2", "p1"]  # p3 has an alert; then NEWS2 6 before NEWS2 1
    changes = store.apply_batch({"alerts": [alert("a2", "p1", "high")]})
    refresh(model, store, changes)
    assert [proxy.key_at(r) for r in range(proxy.rowCount())] == ["p1", "p3", "p2"]
    first = proxy.index(0, CensusModel.COLUMNS.index("alerts"))
    assert first.data() == "*** 1 new"


def test_a_status_change_redraws_only_that_patients_row(qapp, store):
    model = census(store)
    seen = Recorder(model)
    changes = store.apply_batch({"patient_status": [status("p2", 8, "critical", NOW + timedelta(minutes=1))]})
    refresh(model, store, changes)
    assert seen.changed == [model.keys().index("p2")]
    assert not seen.inserted and not seen.removed and seen.resets == 0
    assert model.row("p2").news2 == 8 and model.row("p1").news2 == 1


def test_a_new_vital_sample_redraws_only_its_patient_and_shows_its_age(qapp, store):
    model = census(store)
    seen = Recorder(model)
    changes = store.apply_batch({"vitals": [vital(3, "p1", 131, NOW - timedelta(seconds=30))]})
    assert changes.keys("vitals") == {3}
    refresh(model, store, changes)
    row = model.keys().index("p1")
    assert seen.changed == [row]
    hr = model.index(row, CensusModel.COLUMNS.index("heart_rate"))
    age = model.index(row, CensusModel.COLUMNS.index("age"))
    assert hr.data() == "131" and age.data() == "30 s"


def test_a_new_patient_is_inserted_without_touching_the_others(qapp, store):
    model = census(store)
    seen = Recorder(model)
    refresh(model, store, store.apply_batch({"patients": [patient("p4", "Dan Roe")]}))
    assert seen.inserted == [3] and not seen.changed and not seen.removed


def test_alerts_model_inserts_redraws_and_removes_exactly_the_named_alerts(qapp, store):
    model = AlertsModel(now=lambda: NOW)
    model.reset(read_side.alert_rows(store, PROVIDER))
    seen = Recorder(model)
    changes = store.apply_batch({"alerts": [alert("a2", "p1", "high")]})
    model.apply(read_side.view_update(store, changes, PROVIDER).alerts)
    assert seen.inserted == [1] and not seen.changed
    assert model.row("a2").patient_name == "Ann Lee"

    changes = store.record_command("acknowledge", "a2", "act-1", PROVIDER)
    model.apply(read_side.view_update(store, changes, PROVIDER).alerts)
    assert seen.changed == [1]
    state = model.index(1, AlertsModel.COLUMNS.index("state"))
    assert state.data() == "acknowledged (sending…)"

    later = NOW + timedelta(minutes=5)
    changes = store.apply_batch({"alerts": [alert("a1", "p3", "low", "resolved", later)]})
    model.apply(read_side.view_update(store, changes, PROVIDER).alerts)
    assert seen.removed == [0] and model.keys() == ["a2"]


def test_alert_history_keeps_closed_alerts(qapp, store):
    history = AlertsModel(now=lambda: NOW, history=True)
    history.reset(read_side.alert_history(store, PROVIDER))
    later = NOW + timedelta(minutes=5)
    changes = store.apply_batch({"alerts": [alert("a1", "p3", "low", "resolved", later)]})
    history.apply(read_side.view_update(store, changes, PROVIDER).alerts)
    assert history.keys() == ["a1"] and history.row("a1").state == "resolved"


def test_proxies_filter_on_the_patient_name(qapp, store):
    model = census(store)
    proxy = census_proxy(model)
    proxy.setFilterFixedString("bob")
    assert proxy.rowCount() == 1 and proxy.key_at(0) == "p2"
    alerts = AlertsModel(now=lambda: NOW)
    alerts.reset(read_side.alert_rows(store, PROVIDER))
    aproxy = alerts_proxy(alerts)
    aproxy.setFilterFixedString("cara")
    assert aproxy.rowCount() == 1
    aproxy.setFilterFixedString("ann")
    assert aproxy.rowCount() == 0
    assert alerts.index(0, 0).data(Qt.ItemDataRole.DisplayRole) == "* LOW"


def test_a_vitals_tick_redraws_without_re_sorting_and_an_alert_re_sorts(qapp, store):
    model = census(store)
    proxy = census_proxy(model)
    layouts = []
    proxy.layoutChanged.connect(lambda *_: layouts.append(1))
    refresh(model, store, store.apply_batch({"vitals": [vital(3, "p1", 99, NOW), vital(4, "p2", 101, NOW)]}))
    hr = CensusModel.COLUMNS.index("heart_rate")
    assert proxy.index(proxy.row_of("p1"), hr).data() == "99" and not layouts
    refresh(model, store, store.apply_batch({"alerts": [alert("a2", "p1", "high")]}))
    assert layouts and proxy.key_at(0) == "p1"


def test_vitals_turn_grey_when_they_grow_stale_with_the_clock(qapp, store):
    clock = [NOW]
    model = CensusModel(now=lambda: clock[0])
    model.reset(read_side.census_rows(store, None, PROVIDER))
    row = model.keys().index("p1")
    hr = model.index(row, CensusModel.COLUMNS.index("heart_rate"))
    assert hr.data(Qt.ItemDataRole.ForegroundRole) is None
    clock[0] = NOW + timedelta(hours=2)
    model.refresh_timed()
    assert hr.data(Qt.ItemDataRole.ForegroundRole).color().name() == "#b0b0b0"
    assert model.index(row, CensusModel.COLUMNS.index("age")).data() == "2 h 5 min"


def test_re_measuring_one_column_keeps_the_others_widths(qapp, store):
    from PySide6.QtWidgets import QTableView

    from tjv_desktop.ui.tables import ColumnDropper

    view = QTableView()
    view.setModel(census_proxy(census(store)))
    view.resize(2000, 400)
    dropper = ColumnDropper(view, CensusModel.COLUMNS, CensusModel.DROP_PRIORITY)
    dropper.measure()
    before = dict(dropper.widths)
    dropper.widths["name"] = 1  # as if measured long ago: only a full measure re-reads it
    dropper.measure(("alerts",))
    assert dropper.widths["name"] == 1 and dropper.widths["alerts"] == before["alerts"]
    dropper.measure()
    assert dropper.widths == before


def test_ages_sort_by_the_moment_so_the_clock_never_re_sorts_them(qapp, store):
    clock = [NOW]
    model = CensusModel(now=lambda: clock[0])
    model.reset(read_side.census_rows(store, None, PROVIDER))
    proxy = census_proxy(model)
    proxy.sort(CensusModel.COLUMNS.index("age"), Qt.SortOrder.AscendingOrder)
    assert [proxy.key_at(r) for r in range(3)] == ["p2", "p1", "p3"]  # 2 min, 5 min, never measured
    layouts = []
    proxy.layoutChanged.connect(lambda *_: layouts.append(1))
    clock[0] = NOW + timedelta(hours=3)
    model.refresh_timed()
    assert model.index(model.keys().index("p2"), CensusModel.COLUMNS.index("age")).data() == "3 h 2 min"
    assert [proxy.key_at(r) for r in range(3)] == ["p2", "p1", "p3"] and not layouts


def test_the_clock_re_sets_the_ages_on_screen_and_a_row_s_as_it_comes_into_view(qapp, store):
    import shiboken6
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QTableView

    from tjv_desktop.ui.tables import OnScreenRows

    clock = [NOW]
    model = CensusModel(now=lambda: clock[0])
    model.reset(read_side.census_rows(store, None, PROVIDER))
    proxy = census_proxy(model)
    proxy.sort(CensusModel.COLUMNS.index("name"), Qt.SortOrder.AscendingOrder)  # Ann p1, Bob p2, Cara p3
    view = QTableView()
    view.setModel(proxy)
    view.verticalHeader().setDefaultSectionSize(30)
    view.resize(900, view.horizontalHeader().sizeHint().height() + 2 * view.frameWidth() + 25)  # one row seen
    view.show()
    assert QTest.qWaitForWindowExposed(view)  # an unexposed window paints nothing
    on_screen = OnScreenRows(view, model.refresh_timed)
    age = CensusModel.COLUMNS.index("age")

    def age_of(key: str) -> str:
        return model.index(model.keys().index(key), age).data()

    assert on_screen.on_screen() == ["p1"]
    clock[0] = NOW + timedelta(minutes=10)
    on_screen.tick()
    assert age_of("p1") == "15 min" and age_of("p2") == "2 min"  # off screen: not re-set yet
    view.verticalScrollBar().setValue(1)  # Bob comes into view
    view.viewport().repaint()
    assert on_screen.on_screen() == ["p2"] and age_of("p2") == "12 min"
    view.close()
    # Deleted now, not by a later garbage collection in the middle of another test's event loop (the
    # view and its filter form a reference cycle).
    shiboken6.delete(view)
