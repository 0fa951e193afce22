"""The simulator's pure part: deterministic patients and deterioration episodes under a seed.

No I/O and no wall clock: the same seed gives the same readings, tick after tick, so tests and demos
can rely on what happens when.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

DEMO_TENANTS = ("riverside", "lakeside")

VITAL_FIELDS = ("heart_rate", "spo2", "respiratory_rate", "temperature", "systolic_bp", "diastolic_bp",
                "pain_score")

# Post-operative baseline drawn per patient (uniform), and per-tick noise: AR(1) with this innovation sd.
BASELINE_RANGES = {
    "heart_rate": (65, 95), "spo2": (95, 99), "respiratory_rate": (12, 18), "temperature": (36.4, 37.4),
    "systolic_bp": (110, 140), "diastolic_bp": (65, 85), "pain_score": (2, 5),
}
NOISE_SD = {
    "heart_rate": 1.5, "spo2": 0.35, "respiratory_rate": 0.5, "temperature": 0.04, "systolic_bp": 2.0,
    "diastolic_bp": 1.5, "pain_score": 0.12,
}
NOISE_PERSISTENCE = 0.7
PHYSIOLOGICAL_RANGE = {
    "heart_rate": (30, 200), "spo2": (70, 100), "respiratory_rate": (6, 45), "temperature": (34.0, 42.0),
    "systolic_bp": (60, 230), "diastolic_bp": (35, 130), "pain_score": (0, 10),
}

# Deterioration patterns watched after joint replacement: (field, target when mild, target when severe).
# A target only ever moves a value away from the patient's baseline.
EPISODE_EFFECTS: dict[str, tuple[tuple[str, float, float], ...]] = {
    "infection": (("temperature", 38.4, 39.8), ("heart_rate", 102, 126), ("respiratory_rate", 19, 24)),
    "embolism": (("spo2", 93, 87), ("respiratory_rate", 22, 30), ("heart_rate", 100, 124)),
    "bleeding": (("heart_rate", 108, 142), ("systolic_bp", 102, 78), ("diastolic_bp", 62, 45),
                 ("respiratory_rate", 19, 23)),
    "pain": (("pain_score", 7.5, 9.6), ("heart_rate", 92, 106), ("systolic_bp", 138, 156)),
}
# Started in the first ticks so every priority shows within a minute: bleeding at full severity is HIGH
# (HR > 130, SBP < 91), severe pain is MEDIUM (pain >= 9), mild pain is LOW (pain 7-8).
OPENING_EPISODES = (("bleeding", 1.0), ("pain", 1.0), ("pain", 0.0), ("embolism", 0.7), ("infection", 0.6))

FIRST_NAMES = ("Alice", "Arthur", "Beatrice", "Bernard", "Catherine", "Clifford", "Diane", "Edward", "Frances",
               "Gerald", "Irene", "Harold", "Joyce", "Leonard", "Maureen", "Norman", "Pauline", "Raymond",
               "Sylvia", "Vincent", "Wendy", "Stanley", "Gloria", "Howard")
LAST_NAMES = ("Abbott", "Bauer", "Castillo", "Dunn", "Ellis", "Fitzgerald", "Gallagher", "Hoffman", "Ito",
              "Jansen", "Keller", "Lindgren", "Mendes", "Novak", "Olsen", "Petrov", "Quinn", "Rossi",
              "Sato", "Tanaka", "Underwood", "Vargas", "Weiss", "Young")


@dataclass(frozen=True, slots=True)
class Episode:
    """One deterioration: ramps over ``ramp`` ticks, holds for ``plateau``, recovers over ``recovery``."""

    patient: int
    kind: str
    severity: float
    start: int
    ramp: int
    plateau: int
    recovery: int

    @property
    def end(self) -> int:
        """First tick at which the episode no longer changes the patient's values."""
        return self.start + self.ramp + self.plateau + self.recovery

    def intensity(self, tick: int) -> float:
        t = tick - self.start
        if t < 0 or tick >= self.end:
            return 0.0
        if t < self.ramp:
            return (t + 1) / self.ramp
        if t < self.ramp + self.plateau:
            return 1.0
        return 1.0 - (t - self.ramp - self.plateau + 1) / (self.recovery + 1)


@dataclass(frozen=True, slots=True)
class PatientProfile:
    index: int
    mrn: str
    full_name: str
    date_of_birth: date
    procedure: str
    side: str
    days_since_surgery: int
    length_of_stay: int


@dataclass(frozen=True, slots=True)
class Reading:
    """One simulated set of observations for patient ``index``: what a device sends, nothing judged."""

    index: int
    heart_rate: int
    spo2: int
    respiratory_rate: int
    temperature: float
    systolic_bp: int
    diastolic_bp: int
    pain_score: int


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


class _SimulatedPatient:
    def __init__(self, seed: int, index: int):
        self.rng = random.Random(f"{seed}:vitals:{index}")
        self.baseline = {name: self.rng.uniform(lo, hi) for name, (lo, hi) in BASELINE_RANGES.items()}
        self.noise = dict.fromkeys(VITAL_FIELDS, 0.0)
        self.episode: Episode | None = None
        self.quiet_until = 0

    def read(self, index: int, tick: int) -> Reading:
        values = dict(self.baseline)
        if self.episode is not None:
            f = self.episode.intensity(tick)
            for name, mild, severe in EPISODE_EFFECTS[self.episode.kind]:
                target = mild + self.episode.severity * (severe - mild)
                base = values[name]
                target = max(base, target) if severe > mild else min(base, target)
                values[name] = base + f * (target - base)
        for name in VITAL_FIELDS:
            self.noise[name] = NOISE_PERSISTENCE * self.noise[name] + self.rng.gauss(0.0, NOISE_SD[name])
            lo, hi = PHYSIOLOGICAL_RANGE[name]
            values[name] = min(hi, max(lo, values[name] + self.noise[name]))
        return Reading(
            index=index, temperature=round(values["temperature"], 1),
            **{name: _round_half_up(values[name]) for name in VITAL_FIELDS if name != "temperature"},
        )


class ScenarioPlan:
    """Deterministic patients, values and deterioration episodes for ``patients`` simulated patients.

    ``advance()`` returns the next tick's readings. Episodes start in the first ticks (see
    OPENING_EPISODES) and then at random with ``episode_rate`` per patient per tick, one at a time
    per patient, each followed by a quiet spell."""

    def __init__(self, seed: int, patients: int, *, episode_rate: float = 0.0015, mrn_prefix: str = "SIM-"):
        self.seed = seed
        self.episode_rate = episode_rate
        self.tick = 0
        self.episodes: list[Episode] = []
        self._scheduler = random.Random(f"{seed}:scenario")
        self._patients = [_SimulatedPatient(seed, i) for i in range(patients)]
        self.profiles = tuple(self._profile(seed, i, mrn_prefix) for i in range(patients))
        order = list(range(patients))
        self._scheduler.shuffle(order)
        for slot, (patient, (kind, severity)) in enumerate(zip(order, OPENING_EPISODES, strict=False)):
            self._begin(Episode(patient=patient, kind=kind, severity=severity, start=slot // 2, ramp=3,
                                plateau=self._scheduler.randint(45, 60), recovery=6))

    @staticmethod
    def _profile(seed: int, index: int, prefix: str) -> PatientProfile:
        rng = random.Random(f"{seed}:profile:{index}")
        age_days = rng.randint(50 * 365, 85 * 365)
        return PatientProfile(
            index=index, mrn=f"{prefix}{index + 1:04d}",
            full_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            date_of_birth=date(2025, 1, 1) - timedelta(days=age_days),
            procedure=rng.choice(("THA", "TKA")),
            side=rng.choices(("left", "right", "bilateral"), weights=(45, 45, 10))[0],
            days_since_surgery=rng.randint(1, 10), length_of_stay=rng.randint(0, 3),
        )

    def _begin(self, episode: Episode) -> None:
        self._patients[episode.patient].episode = episode
        self.episodes.append(episode)

    def _schedule(self) -> None:
        rng = self._scheduler
        for index, patient in enumerate(self._patients):
            episode = patient.episode
            if episode is not None and self.tick >= episode.end:
                patient.episode = None
                patient.quiet_until = self.tick + rng.randint(20, 60)
            if patient.episode is None and self.tick >= patient.quiet_until and rng.random() < self.episode_rate:
                self._begin(Episode(patient=index, kind=rng.choice(tuple(EPISODE_EFFECTS)),
                                    severity=rng.random(), start=self.tick, ramp=rng.randint(3, 8),
                                    plateau=rng.randint(15, 60), recovery=rng.randint(5, 12)))

    def advance(self) -> tuple[Reading, ...]:
        self._schedule()
        readings = tuple(p.read(i, self.tick) for i, p in enumerate(self._patients))
        self.tick += 1
        return readings
