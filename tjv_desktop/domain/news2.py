"""NEWS2 (RCP 2017, SpO2 scale 1) and the vital-sign alert rules the product uses. Pure, stdlib only.

Scoring bands are written as inclusive upper bounds, so every value falls in exactly one band
(temperature is scored at the 0.1 °C resolution it is recorded with).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from .alerts import Priority, priority_rank
from .vitals import VitalAlert, VitalSample

Risk = Literal["low", "low-medium", "medium", "high"]

_INF = math.inf

# (inclusive upper bound, score), ascending. RCP 2017 chart, SpO2 scale 1.
NEWS2_BANDS: Mapping[str, tuple[tuple[float, int], ...]] = {
    "respiratory_rate": ((8, 3), (11, 1), (20, 0), (24, 2), (_INF, 3)),
    "spo2": ((91, 3), (93, 2), (95, 1), (_INF, 0)),
    "systolic_bp": ((90, 3), (100, 2), (110, 1), (219, 0), (_INF, 3)),
    "heart_rate": ((40, 3), (50, 1), (90, 0), (110, 1), (130, 2), (_INF, 3)),
    "temperature": ((35.0, 3), (36.0, 1), (38.0, 0), (39.0, 1), (_INF, 2)),
}
OXYGEN_SCORE = 2  # supplemental oxygen; air scores 0
NEW_CONFUSION_SCORE = 3  # C, V, P or U on ACVPU; A scores 0

# The parameters NEWS2 is built from, in chart order.
NEWS2_PARAMETERS = ("respiratory_rate", "spo2", "on_oxygen", "systolic_bp", "heart_rate", "consciousness",
                    "temperature")


@dataclass(frozen=True, slots=True)
class News2Result:
    """Sub-scores of the parameters present, their aggregate, the risk band and what was not measured."""

    scores: Mapping[str, int]
    aggregate: int
    risk: Risk
    missing: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def red_parameters(self) -> tuple[str, ...]:
        """Parameters scoring 3 on their own (the single-parameter trigger)."""
        return tuple(name for name, score in self.scores.items() if score == 3)


def band_score(parameter: str, value: float) -> int:
    """NEWS2 sub-score of one numeric parameter."""
    if parameter == "temperature":
        value = round(value, 1)
    for upper, score in NEWS2_BANDS[parameter]:
        if value <= upper:
            return score
    raise AssertionError("the last band is unbounded")


def risk_band(aggregate: int, max_single: int) -> Risk:
    if aggregate >= 7:
        return "high"
    if aggregate >= 5:
        return "medium"
    if max_single >= 3:
        return "low-medium"
    return "low"


def score_news2(sample: VitalSample) -> News2Result:
    """Scores the parameters present in ``sample``; absent ones are listed in ``missing``, not guessed."""
    scores: dict[str, int] = {}
    missing: list[str] = []
    for name in NEWS2_PARAMETERS:
        value = getattr(sample, name)
        if name == "on_oxygen":
            scores[name] = OXYGEN_SCORE if value else 0
        elif value is None:
            missing.append(name)
        elif name == "consciousness":
            scores[name] = 0 if str(value).upper() == "A" else NEW_CONFUSION_SCORE
        else:
            scores[name] = band_score(name, value)
    aggregate = sum(scores.values())
    return News2Result(scores=scores, aggregate=aggregate, risk=risk_band(aggregate, max(scores.values())),
                       missing=tuple(missing))


# ---------------------------------------------------------------------------------------------------------
# Alert rules


@dataclass(frozen=True, slots=True)
class AlertRule:
    """Fires when the measured value is beyond ``limit``, the edge of the acceptable range.

    ``direction`` "above": value > limit; "below": value < limit. Of the rules of one kind that fire,
    the highest priority wins (one alert per kind)."""

    kind: str
    measure: str
    direction: Literal["above", "below"]
    limit: float
    priority: Priority

    def fires(self, value: float) -> bool:
        return value > self.limit if self.direction == "above" else value < self.limit


# measure: a VitalSample field, or "news2" (aggregate) / "news2_single" (highest single sub-score).
ALERT_RULES: tuple[AlertRule, ...] = (
    #          kind            measure             fires      limit   priority     i.e.
    AlertRule("news2",        "news2",            "above",     6,    "high"),    # aggregate >= 7
    AlertRule("news2",        "news2",            "above",     4,    "medium"),  # aggregate 5-6
    AlertRule("news2",        "news2_single",     "above",     2,    "medium"),  # any parameter scores 3
    AlertRule("fever",        "temperature",      "above",  38.0,    "low"),     # >= 38.1 °C
    AlertRule("fever",        "temperature",      "above",  39.0,    "medium"),  # >= 39.1 °C
    AlertRule("tachycardia",  "heart_rate",       "above",   110,    "medium"),  # >= 111 bpm
    AlertRule("tachycardia",  "heart_rate",       "above",   130,    "high"),    # >= 131 bpm
    AlertRule("hypoxia",      "spo2",             "below",    94,    "medium"),  # <= 93 %
    AlertRule("hypoxia",      "spo2",             "below",    92,    "high"),    # <= 91 %
    AlertRule("hypotension",  "systolic_bp",      "below",   101,    "medium"),  # <= 100 mmHg
    AlertRule("hypotension",  "systolic_bp",      "below",    91,    "high"),    # <= 90 mmHg
    AlertRule("tachypnoea",   "respiratory_rate", "above",    20,    "low"),     # >= 21 /min
    AlertRule("tachypnoea",   "respiratory_rate", "above",    24,    "high"),    # >= 25 /min
    AlertRule("pain",         "pain_score",       "above",     6,    "low"),     # >= 7 /10
    AlertRule("pain",         "pain_score",       "above",     8,    "medium"),  # >= 9 /10
)

# How each measure is named and shown in a message.
MEASURES: Mapping[str, tuple[str, str]] = {
    "news2": ("NEWS2 score", "points"),
    "news2_single": ("NEWS2 single-parameter score", "points"),
    "temperature": ("Temperature", "°C"),
    "heart_rate": ("Heart rate", "bpm"),
    "spo2": ("SpO2", "%"),
    "systolic_bp": ("Systolic BP", "mmHg"),
    "respiratory_rate": ("Respiratory rate", "/min"),
    "pain_score": ("Pain score", "/10"),
}

ALERT_KINDS: tuple[str, ...] = tuple(dict.fromkeys(rule.kind for rule in ALERT_RULES))


def _fmt(measure: str, value: float, unit: str) -> str:
    number = f"{value:.1f}" if measure == "temperature" else f"{value:g}"
    return f"{number}{unit}" if unit.startswith("/") else f"{number} {unit}"


def _describe(rule: AlertRule, value: float, sample: VitalSample, result: News2Result) -> str:
    label, unit = MEASURES[rule.measure]
    text = f"{label} {_fmt(rule.measure, value, unit)} (limit {_fmt(rule.measure, rule.limit, unit)})"
    if rule.measure == "news2_single":
        culprits = []
        for name in result.red_parameters:
            if name in MEASURES:
                culprits.append(f"{MEASURES[name][0]} {_fmt(name, getattr(sample, name), MEASURES[name][1])}")
            else:
                culprits.append("new confusion" if name == "consciousness" else name.replace("_", " "))
        text += ": " + ", ".join(culprits)
    elif rule.measure == "news2":
        text += f", {result.risk} risk"
        if result.missing:
            text += f" ({len(result.missing)} not measured)"
    return text


def _measures(sample: VitalSample, result: News2Result) -> dict[str, float | None]:
    values: dict[str, float | None] = {name: getattr(sample, name) for name in MEASURES if hasattr(sample, name)}
    values["news2"] = result.aggregate
    values["news2_single"] = max(result.scores.values())
    return values


def evaluate_alerts(sample: VitalSample, news2: News2Result | None = None) -> tuple[VitalAlert, ...]:
    """The alerts ``sample`` warrants, at most one per kind (the highest priority that fires)."""
    result = news2 or score_news2(sample)
    values = _measures(sample, result)
    chosen: dict[str, tuple[AlertRule, float]] = {}
    for rule in ALERT_RULES:
        value = values[rule.measure]
        if value is None or not rule.fires(value):
            continue
        held = chosen.get(rule.kind)
        if held is None or priority_rank(rule.priority) > priority_rank(held[0].priority):
            chosen[rule.kind] = (rule, value)
    return tuple(
        VitalAlert(kind=rule.kind, priority=rule.priority, message=_describe(rule, value, sample, result),
                   value=value, limit=rule.limit, unit=MEASURES[rule.measure][1])
        for rule, value in chosen.values()
    )


@dataclass(frozen=True, slots=True)
class Assessment:
    """One sample judged: its NEWS2, the alerts it warrants, and how that differs from the previous one."""

    news2: News2Result
    alerts: tuple[VitalAlert, ...]
    raised: tuple[VitalAlert, ...] = ()  # new kinds, or a kind whose priority went up
    resolved: tuple[str, ...] = ()  # kinds no longer warranted
    _by_kind: Mapping[str, VitalAlert] = field(default_factory=dict, repr=False, compare=False)

    def alert(self, kind: str) -> VitalAlert | None:
        return self._by_kind.get(kind)


def _can_judge(kind: str, sample: VitalSample, result: News2Result) -> bool:
    """Whether the measures a kind reads were all taken, so its absence means recovery, not missing data."""
    if kind == "news2":
        return result.complete
    rules = [r for r in ALERT_RULES if r.kind == kind]  # a kind these rules do not raise is not theirs to clear
    return bool(rules) and all(getattr(sample, r.measure) is not None for r in rules)


def assess(sample: VitalSample, previous: Assessment | Iterable[VitalAlert] | None = None) -> Assessment:
    """Scores ``sample`` and compares its alerts with ``previous``: the patient's last assessment, or the
    alerts still open for the patient (one per kind).

    A kind is resolved only when the parameters it reads were measured and no longer warrant it; a
    missing measurement never clears an alert."""
    result = score_news2(sample)
    alerts = evaluate_alerts(sample, result)
    by_kind = {a.kind: a for a in alerts}
    if previous is None:
        before: Mapping[str, VitalAlert] = {}
    elif isinstance(previous, Assessment):
        before = previous._by_kind
    else:
        before = {a.kind: a for a in previous}
    raised = tuple(
        a for a in alerts
        if a.kind not in before or priority_rank(a.priority) > priority_rank(before[a.kind].priority)
    )
    resolved = tuple(k for k in before if k not in by_kind and _can_judge(k, sample, result))
    # A kind that could not be judged stays active: carry it so the next sample can still resolve it.
    carried = {k: a for k, a in before.items() if k not in by_kind and k not in resolved}
    return Assessment(news2=result, alerts=alerts, raised=raised, resolved=resolved,
                      _by_kind={**carried, **by_kind})


STATUS_BY_RISK: Mapping[str, str] = {
    "low": "stable", "low-medium": "watch", "medium": "deteriorating", "high": "critical",
}


def patient_status(result: News2Result, alerts: tuple[VitalAlert, ...] = ()) -> str:
    """The patient_status.status a NEWS2 result implies; a low score with active alerts is still 'watch'."""
    status = STATUS_BY_RISK[result.risk]
    if status == "stable" and alerts:
        return "watch"
    return status
