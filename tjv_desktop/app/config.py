"""The station's configuration: read once from the settings (policy, user, machine defaults, built-in
defaults; ``settings.py``) when the app starts, then frozen and handed down. Nothing below ``app/``
reads settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..domain.alarms import AlarmSystem, TechnicalPolicy
from .settings import Settings


@dataclass(frozen=True, slots=True)
class StationConfig:
    server_url: str
    anon_key: str
    server_locked: bool  # IT set the server by policy: the sign-in window shows it locked
    language: str
    theme: str  # "standard" or "night"
    theme_locked: bool  # machine policy chose the theme: the window's night toggle is disabled
    handoff_identifiers: str  # "full" or "initials" in the handoff report
    handoff_identifiers_locked: bool  # machine policy chose them: the report offers nothing else
    store_folder: Path
    idle_lock_seconds: float
    probe_deadline_seconds: float
    audio_pause_seconds: float
    alarm_pause_seconds: float
    stale_data_seconds: float
    technical_alarm_high_after_seconds: float

    @classmethod
    def from_settings(cls, settings: Settings) -> StationConfig:
        value = settings.value
        return cls(
            server_url=value("server_url") or "", anon_key=value("anon_key") or "",
            server_locked=settings.is_locked("server_url"), language=value("language"),
            theme=value("theme"), theme_locked=settings.is_locked("theme"),
            handoff_identifiers=value("handoff_identifiers"),
            handoff_identifiers_locked=settings.is_locked("handoff_identifiers"),
            store_folder=Path(value("store_path")), idle_lock_seconds=value("idle_lock_minutes") * 60.0,
            probe_deadline_seconds=float(value("probe_deadline_seconds")),
            audio_pause_seconds=float(value("audio_pause_seconds")),
            alarm_pause_seconds=float(value("alarm_pause_seconds")),
            stale_data_seconds=float(value("stale_data_seconds")),
            technical_alarm_high_after_seconds=float(value("technical_alarm_high_after_seconds")))

    def alarm_system(self) -> AlarmSystem:
        """The alarm system with the configured pause lengths and technical-alarm thresholds."""
        return AlarmSystem(self.audio_pause_seconds, self.alarm_pause_seconds,
                           TechnicalPolicy(stale_after_seconds=self.stale_data_seconds,
                                           high_after_seconds=self.technical_alarm_high_after_seconds))
