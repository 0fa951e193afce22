"""NEWS2 (RCP 2017, SpO2 scale 1) and the vital-sign alert rules, at every band boundary."""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tjv_desktop.domain import news2 as news2_module
from tjv_desktop.domain import vitals as vitals_module
from tjv_desktop.domain.news2 import (
    ALERT_KINDS,
    ALERT_RULES,
    assess,
    band_score,
    evaluate_alerts,
    patient_status,
    score_news2,
)
from tjv_desktop.domain.vitals import VitalAlert, VitalSample

NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
NORMAL = dict(heart_rate=72, spo2=98, respiratory_rate=16, temperature=36.8, systolic_bp=125, diastolic_bp=78,
              pain_score=3)


def sample(**changes) -> VitalSample:
    return VitalSample(**{"patient_id": "p1", "measured_at": NOW, **NORMAL, **changes})


# Each pair straddles a band edge of the RCP chart: (value, score), (next value, score).
BOUNDARIES = {
    "respiratory_rate": [(8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3)],
    "spo2": [(91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)],
    "systolic_bp": [(90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3)],
    "heart_rate": [(40, 3), (41, 1), (50, 1), (51, 0), (90, 0), (91, 1), (110, 1), (111, 2), (130, 2),
                   (131, 3)],
    "temperature": [(35.0, 3), (35.1, 1), (36.0, 1), (36.1, 0), (38.0, 0), (38.1, 1), (39.0, 1), (39.1, 2)],
}


@pytest.mark.parametrize(
    ("parameter", "value", "expected"),
    [(p, v, s) for p, pairs in BOUNDARIES.items() for v, s in pairs],
)
def test_each_band_edge_scores_as_the_rcp_chart(parameter, value, expected):
    assert band_score(parameter, value) == expected
    assert score_news2(sample(**{parameter: value})).scores[parameter] == expected


def test_extreme_values_stay_in_the_outer_bands():
    assert band_score("respiratory_rate", 0) == 3
    assert band_score("heart_rate", 250) == 3
    assert band_score("temperature", 42.5) == 2
    assert band_score("spo2", 50) == 3


def test_temperature_is_scored_at_its_recorded_resolution():
    assert band_score("temperature", 38.04) == 0
    assert band_score("temperature", 38.06) == 1


def test_oxygen_and_consciousness_scores():
    assert score_news2(sample(on_oxygen=True)).scores["on_oxygen"] == 2
    assert score_news2(sample()).scores["on_oxygen"] == 0
    assert score_news2(sample(consciousness="A")).scores["consciousness"] == 0
    for level in "CVPU":
        assert score_news2(sample(consciousness=level)).scores["consciousness"] == 3


def test_normal_observations_score_zero_low_risk():
    result = score_news2(sample())
    assert result.aggregate == 0
    assert result.risk == "low"
    assert result.complete and result.missing == ()


@pytest.mark.parametrize(
    ("changes", "aggregate", "risk"),
    [
        (dict(heart_rate=111, temperature=38.5), 3, "low"),  # 2 + 1
        (dict(heart_rate=111, respiratory_rate=21), 4, "low"),  # 2 + 2: top of low
        (dict(respiratory_rate=25), 3, "low-medium"),  # single parameter 3, aggregate < 5
        (dict(consciousness="C", heart_rate=95), 4, "low-medium"),
        (dict(heart_rate=111, respiratory_rate=21, spo2=95), 5, "medium"),  # 2 + 2 + 1: key threshold
        (dict(respiratory_rate=25, spo2=92), 5, "medium"),  # a 3 inside an aggregate of 5 is medium
        (dict(heart_rate=111, respiratory_rate=21, spo2=93), 6, "medium"),  # top of medium
        (dict(heart_rate=111, respiratory_rate=21, spo2=93, temperature=38.1), 7, "high"),
        (dict(heart_rate=131, respiratory_rate=25, spo2=91, systolic_bp=90, temperature=39.1, on_oxygen=True,
              consciousness="U"), 3 + 3 + 3 + 3 + 2 + 2 + 3, "high"),
    ],
)
def test_aggregate_and_risk_band(changes, aggregate, risk):
    result = score_news2(sample(**changes))
    assert result.aggregate == aggregate
    assert result.risk == risk


def test_missing_parameters_are_reported_and_the_rest_scored():
    result = score_news2(sample(spo2=None, temperature=None, heart_rate=120))
    assert set(result.missing) == {"spo2", "temperature"}
    assert not result.complete
    assert "spo2" not in result.scores and "temperature" not in result.scores
    assert result.scores["heart_rate"] == 2
    assert result.aggregate == 2


def test_nothing_measured_scores_only_air_and_missing_consciousness():
    bare = VitalSample(patient_id="p1", measured_at=NOW, consciousness=None)
    result = score_news2(bare)
    assert result.aggregate == 0
    assert set(result.missing) == {"respiratory_rate", "spo2", "systolic_bp", "heart_rate", "consciousness",
                                   "temperature"}
    assert evaluate_alerts(bare) == ()


# --- alert rules -------------------------------------------------------------------------------------------

def alerts_by_kind(**changes):
    return {a.kind: a for a in evaluate_alerts(sample(**changes))}


# (field, value just inside the acceptable range, value that fires, expected kind, expected priority).
PARAMETER_EDGES = [
    ("temperature", 38.0, 38.1, "fever", "low"),
    ("temperature", 39.0, 39.1, "fever", "medium"),
    ("heart_rate", 110, 111, "tachycardia", "medium"),
    ("heart_rate", 130, 131, "tachycardia", "high"),
    ("spo2", 94, 93, "hypoxia", "medium"),
    ("spo2", 92, 91, "hypoxia", "high"),
    ("systolic_bp", 101, 100, "hypotension", "medium"),
    ("systolic_bp", 91, 90, "hypotension", "high"),
    ("respiratory_rate", 20, 21, "tachypnoea", "low"),
    ("respiratory_rate", 24, 25, "tachypnoea", "high"),
    ("pain_score", 6, 7, "pain", "low"),
    ("pain_score", 8, 9, "pain", "medium"),
]


@pytest.mark.parametrize(("field", "inside", "beyond", "kind", "priority"), PARAMETER_EDGES)
def test_parameter_alert_fires_just_beyond_its_limit(field, inside, beyond, kind, priority):
    below_edge = alerts_by_kind(**{field: inside}).get(kind)
    at_edge = alerts_by_kind(**{field: beyond})[kind]
    assert at_edge.priority == priority
    # Just inside, the kind is either silent or at the next lower priority.
    assert below_edge is None or below_edge.priority != priority


def test_alert_message_states_value_and_limit():
    fever = alerts_by_kind(temperature=38.9)["fever"]
    assert fever.message == "Temperature 38.9 °C (limit 38.0 °C)"
    assert (fever.value, fever.limit, fever.unit, fever.priority) == (38.9, 38.0, "°C", "low")
    hypoxia = alerts_by_kind(spo2=90)["hypoxia"]
    assert hypoxia.message == "SpO2 90 % (limit 92 %)"
    assert alerts_by_kind(pain_score=9)["pain"].message == "Pain score 9/10 (limit 8/10)"


def test_normal_sample_warrants_no_alert():
    assert evaluate_alerts(sample()) == ()


def test_news2_bands_set_the_news2_alert_priority():
    assert "news2" not in alerts_by_kind(heart_rate=111, respiratory_rate=21)  # 4, low
    medium = alerts_by_kind(heart_rate=111, respiratory_rate=21, spo2=95)["news2"]  # 5
    assert (medium.priority, medium.value, medium.limit) == ("medium", 5, 4)
    assert "NEWS2 score 5" in medium.message and "medium risk" in medium.message
    assert alerts_by_kind(heart_rate=111, respiratory_rate=21, spo2=93)["news2"].priority == "medium"  # 6
    high = alerts_by_kind(heart_rate=111, respiratory_rate=21, spo2=93, temperature=38.1)["news2"]  # 7
    assert (high.priority, high.value) == ("high", 7)


def test_single_parameter_three_is_a_medium_news2_alert_naming_the_parameter():
    alert = alerts_by_kind(respiratory_rate=7)["news2"]
    assert alert.priority == "medium"
    assert "Respiratory rate 7/min" in alert.message
    confused = alerts_by_kind(consciousness="V")["news2"]
    assert confused.priority == "medium" and "new confusion" in confused.message


def test_each_kind_yields_one_alert_at_its_highest_priority():
    alerts = evaluate_alerts(sample(heart_rate=140, spo2=88, systolic_bp=85, respiratory_rate=28,
                                    temperature=39.5, pain_score=10))
    kinds = [a.kind for a in alerts]
    assert sorted(kinds) == sorted(ALERT_KINDS)
    by_kind = {a.kind: a.priority for a in alerts}
    assert by_kind == {"news2": "high", "fever": "medium", "tachycardia": "high", "hypoxia": "high",
                       "hypotension": "high", "tachypnoea": "high", "pain": "medium"}


def test_missing_parameter_raises_no_alert_of_its_kind():
    assert "fever" not in alerts_by_kind(temperature=None)
    assert "pain" not in alerts_by_kind(pain_score=None)


def test_assess_reports_raised_escalated_and_resolved_kinds():
    first = assess(sample(temperature=38.5))
    assert [a.kind for a in first.raised] == ["fever"]
    same = assess(sample(temperature=38.7), first)
    assert same.raised == () and same.resolved == ()
    worse = assess(sample(temperature=39.4, heart_rate=115), same)
    assert {(a.kind, a.priority) for a in worse.raised} == {("fever", "medium"), ("tachycardia", "medium")}
    easing = assess(sample(temperature=38.4, heart_rate=100), worse)
    assert easing.raised == ()  # a lower priority is not raised again
    assert easing.resolved == ("tachycardia",)
    well = assess(sample(), easing)
    assert well.resolved == ("fever",) and well.alerts == ()


def test_a_missing_measurement_never_resolves_an_alert():
    fever = assess(sample(temperature=39.5))
    unmeasured = assess(sample(temperature=None), fever)
    assert unmeasured.resolved == ()
    assert unmeasured.alert("fever") is not None
    measured_again = assess(sample(temperature=36.9), unmeasured)
    assert measured_again.resolved == ("fever",)


def test_assess_accepts_the_alerts_still_open_as_previous():
    open_alerts = assess(sample(heart_rate=135, temperature=38.5)).alerts
    judged = assess(sample(heart_rate=120, temperature=36.9), open_alerts)
    assert judged.raised == ()  # tachycardia is open at high already
    assert set(judged.resolved) == {"fever", "news2"}  # HR 135 had scored 3 on its own


def test_kinds_these_rules_do_not_raise_are_never_resolved_by_them():
    wound = VitalAlert(kind="wound", priority="medium", message="Wound redness", value=1, limit=0, unit="")
    assert assess(sample(), [wound]).resolved == ()


def test_news2_alert_is_not_resolved_by_an_incomplete_set():
    high = assess(sample(heart_rate=135, respiratory_rate=26, spo2=90))
    assert high.alert("news2").priority == "high"
    partial = assess(sample(heart_rate=80, respiratory_rate=16, spo2=None), high)
    assert "news2" not in partial.resolved


def test_status_follows_the_risk_band():
    assert patient_status(score_news2(sample())) == "stable"
    assert patient_status(score_news2(sample(respiratory_rate=25))) == "watch"
    assert patient_status(score_news2(sample(heart_rate=111, respiratory_rate=21, spo2=95))) == "deteriorating"
    assert patient_status(score_news2(sample(heart_rate=135, respiratory_rate=26, spo2=90))) == "critical"
    pain = sample(pain_score=8)
    assert patient_status(score_news2(pain), evaluate_alerts(pain)) == "watch"


def test_rule_table_is_the_single_source_of_thresholds():
    assert {r.kind for r in ALERT_RULES} == set(ALERT_KINDS)
    for kind in ALERT_KINDS:
        priorities = [r.priority for r in ALERT_RULES if r.kind == kind]
        assert priorities, kind


@pytest.mark.parametrize("module", [news2_module, vitals_module])
def test_domain_modules_import_only_the_standard_library(module):
    tree = ast.parse(Path(module.__file__).read_text())
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add(node.module.split(".")[0])
    assert roots <= {"__future__", "math", "collections", "dataclasses", "datetime", "typing"}, roots
