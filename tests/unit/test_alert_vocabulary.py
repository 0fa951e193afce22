"""domain/alerts.py: the one home of priorities, states and commands, and the read side that applies it
(census counts and the alert rows' allowed commands agree with the alarm system)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tjv_desktop.domain.alarms import AlarmSystem
from tjv_desktop.domain.alerts import (
    PRIORITIES,
    VISUAL,
    AlertState,
    Command,
    Priority,
    allowed_commands,
    is_open,
    marker,
    needs_response,
    optimistic_state,
    priority_rank,
    worst_first,
)
from tjv_desktop.store import LocalStore
from tjv_desktop.sync import read_side

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def test_one_rank_orders_priorities_by_urgency_and_unknown_ones_last():
    assert [p.rank for p in PRIORITIES] == [3, 2, 1]
    assert priority_rank("high") > priority_rank("medium") > priority_rank("low") > priority_rank(None)
    assert priority_rank("urgent") == 0
    assert sorted(["low", None, "high", "medium", "bogus"], key=worst_first)[:3] == ["high", "medium", "low"]


def test_priority_text_and_enum_are_interchangeable_as_keys():
    assert VISUAL["high"] is VISUAL[Priority.HIGH]
    assert [marker(p) for p in ("high", "medium", "low", None)] == ["***", "**", "*", ""]


@pytest.mark.parametrize(("state", "waits", "open_"), [
    ("active", True, True), ("rejected", True, True), ("acknowledged", False, True),
    ("accepted", False, True), ("resolved", False, False), ("something-new", False, True),
])
def test_what_needs_a_response_and_what_is_open(state, waits, open_):
    assert needs_response(state) is waits
    assert is_open(state) is open_


def test_allowed_commands_follow_the_server_functions():
    assert allowed_commands("active") == {Command.ACKNOWLEDGE, Command.ACCEPT, Command.REJECT}
    assert allowed_commands("acknowledged") == {Command.ACCEPT, Command.REJECT}
    assert allowed_commands("rejected") == {Command.ACCEPT}  # still needs an owner
    assert allowed_commands("accepted") == {Command.REJECT}  # hand responsibility back
    assert allowed_commands("resolved") == frozenset()
    assert allowed_commands("unknown") == frozenset()


def test_optimistic_states_and_rpc_names():
    assert [optimistic_state(c) for c in Command] == [AlertState.ACKNOWLEDGED, AlertState.ACCEPTED,
                                                       AlertState.REJECTED]
    assert [c.rpc for c in Command] == ["acknowledge_alert", "accept_alert", "reject_alert"]
    with pytest.raises(ValueError):
        optimistic_state("delete")


def _alert(alert_id: str, state: str, priority: str = "high") -> dict:
    return {"id": alert_id, "patient_id": "p1", "provider_id": "me", "priority": priority, "state": state,
            "kind": "spo2_low", "message": "SpO2 85 %", "raised_at": NOW.isoformat(), "updated_at": NOW.isoformat()}


def test_census_and_alarm_system_agree_that_a_rejected_alert_awaits_a_response():
    store = LocalStore.open(None, None)
    try:
        store.apply_batch({"patients": [{"id": "p1", "full_name": "Ann Lee", "updated_at": NOW.isoformat()}],
                           "alerts": [_alert("a1", "rejected"), _alert("a2", "acknowledged", "low"),
                                      _alert("a3", "accepted", "medium")]})
        census = read_side.census_rows(store, None, "me")["p1"]
        rows = read_side.alert_rows(store, "me")
        system = AlarmSystem()
        system.set_alerts([r.alert() for r in rows.values()], 0.0)
        status = system.evaluate(0.0)
    finally:
        store.close()
    assert census.alert_count == 3 and census.unanswered == 1 and census.top_priority == "high"
    assert sum(status.waiting_counts.values()) == census.unanswered
    assert status.top is not None and status.top.id == "a1" and status.top.flashing
    assert rows["a1"].needs_response and rows["a1"].allowed_commands == {Command.ACCEPT}


def test_an_alert_of_an_unknown_priority_is_signalled_as_high_not_dropped():
    store = LocalStore.open(None, None)
    try:
        store.apply_batch({"alerts": [_alert("a9", "active", "critical")]})
        row = read_side.alert_rows(store, "me")["a9"]
    finally:
        store.close()
    system = AlarmSystem()
    system.set_alerts([row.alert()], 0.0)
    assert system.evaluate(0.0).top.priority == Priority.HIGH


def test_another_clinicians_copy_never_reaches_this_clinicians_rows():
    store = LocalStore.open(None, None)
    try:
        theirs = {**_alert("b1", "active"), "provider_id": "someone-else"}
        changes = store.apply_batch({"patients": [{"id": "p1", "full_name": "Ann Lee", "updated_at": NOW.isoformat()}],
                                     "alerts": [_alert("a1", "active"), theirs]})
        update = read_side.view_update(store, changes, "me")
    finally:
        store.close()
    assert update.alerts["b1"] is None and update.alerts["a1"] is not None
    assert update.census["p1"].alert_count == 1


def test_a_ward_wide_alert_has_no_patient_and_no_census_row_but_is_signalled():
    """The tenant's metrics raise alerts to the coordinators that concern no single patient."""
    store = LocalStore.open(None, None)
    try:
        ward = {**_alert("w1", "active", "low"), "patient_id": None, "kind": "tenant.stale_patients"}
        changes = store.apply_batch({"alerts": [ward]})
        update = read_side.view_update(store, changes, "me")
    finally:
        store.close()
    row = update.alerts["w1"]
    assert row is not None and row.patient_id == "" and row.patient_name == ""
    assert update.census == {}, "no census row is made for it"
    system = AlarmSystem()
    system.set_alerts([row.alert()], 0.0)
    assert system.evaluate(0.0).top.id == "w1"
