"""Vital-sign records: one set of observations and the alerts it warrants. Pure data, stdlib only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .alerts import Priority

# Consciousness on the ACVPU scale; anything but "A" (alert) scores 3 in NEWS2.
CONSCIOUSNESS_LEVELS = ("A", "C", "V", "P", "U")


@dataclass(frozen=True, slots=True)
class VitalSample:
    """One set of observations for a patient. A numeric field left as None was not measured."""

    patient_id: str
    measured_at: datetime
    heart_rate: int | None = None
    spo2: int | None = None
    respiratory_rate: int | None = None
    temperature: float | None = None
    systolic_bp: int | None = None
    diastolic_bp: int | None = None
    pain_score: int | None = None
    consciousness: str | None = "A"
    on_oxygen: bool = False


@dataclass(frozen=True, slots=True)
class VitalAlert:
    """An alert a sample warrants. ``kind`` is the dedupe key per patient (one active alert per kind)."""

    kind: str
    priority: Priority
    message: str
    value: float
    limit: float
    unit: str
