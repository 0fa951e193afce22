"""Settings: declared once, validated, with machine policy > user > machine defaults > built-in."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tjv_desktop.app.settings import SETTINGS, Settings, SettingsError


@pytest.fixture
def files(tmp_path: Path):
    class Files:
        policy = tmp_path / "etc" / "policy.json"
        defaults = tmp_path / "etc" / "defaults.json"
        user = tmp_path / "home" / "settings.json"

        def write(self, path: Path, data) -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(data) if not isinstance(data, str) else data)

        def load(self) -> Settings:
            return Settings.load(policy_file=self.policy, user_file=self.user, defaults_file=self.defaults,
                                 env={"HOME": str(tmp_path / "home")})

    return Files()


def test_every_setting_is_declared_with_a_valid_default_and_a_description():
    for setting in SETTINGS.values():
        assert setting.description
        assert setting.validate(setting.default) is None, setting.name
        assert isinstance(setting.default, setting.type)
    assert SETTINGS["idle_lock_minutes"].default == 10
    assert SETTINGS["audio_pause_seconds"].default == 120
    assert SETTINGS["alarm_pause_seconds"].default == 120
    assert SETTINGS["probe_deadline_seconds"].default == 10
    assert SETTINGS["language"].default == "system"


def test_built_in_defaults_apply_when_no_file_exists(files):
    settings = files.load()
    assert settings.value("idle_lock_minutes") == 10
    assert settings.source("idle_lock_minutes") == "default"
    assert not settings.is_locked("idle_lock_minutes")
    assert settings.value("store_path").endswith("tjv-desktop/store")


def test_precedence_is_policy_then_user_then_machine_defaults_then_built_in(files):
    files.write(files.defaults, {"idle_lock_minutes": 20, "audio_pause_seconds": 60, "language": "es"})
    files.write(files.user, {"idle_lock_minutes": 15, "audio_pause_seconds": 90})
    files.write(files.policy, {"idle_lock_minutes": 5})
    settings = files.load()
    assert (settings.value("idle_lock_minutes"), settings.source("idle_lock_minutes")) == (5, "policy")
    assert (settings.value("audio_pause_seconds"), settings.source("audio_pause_seconds")) == (90, "user")
    assert (settings.value("language"), settings.source("language")) == ("es", "machine-default")
    assert (settings.value("probe_deadline_seconds"), settings.source("probe_deadline_seconds")) == (10, "default")
    assert settings.is_locked("idle_lock_minutes") and not settings.is_locked("audio_pause_seconds")


def test_policy_file_location_comes_from_the_environment(files, tmp_path):
    files.write(files.policy, {"language": "en"})
    settings = Settings.load(env={"TJV_POLICY_FILE": str(files.policy), "TJV_DEFAULTS_FILE": str(files.defaults),
                                  "TJV_USER_SETTINGS_FILE": str(files.user), "HOME": str(tmp_path)})
    assert settings.source("language") == "policy"


def test_invalid_policy_value_names_the_setting_the_value_and_the_file(files):
    files.write(files.policy, {"idle_lock_minutes": -5})
    with pytest.raises(SettingsError) as error:
        files.load()
    assert str(error.value) == (f"idle_lock_minutes = -5 from machine policy {files.policy}: "
                                "must be a whole number of minutes ≥ 1 and ≤ 240")


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("server_url", "not a url", "must be an http(s) URL"),
    ("server_url", "ftp://host", "must be an http(s) URL"),
    ("idle_lock_minutes", 2.5, "whole number of minutes"),
    ("idle_lock_minutes", True, "whole number of minutes"),
    ("audio_pause_seconds", 0, "whole number of seconds ≥ 10"),
    ("language", "fr", "one of 'system', 'en', 'es'"),
    ("tenant_id", "acme", "tenant UUID"),
    ("store_path", "relative/dir", "absolute path"),
])
def test_invalid_values_are_refused_from_any_layer(files, name, value, expected):
    files.write(files.user, {name: value})
    with pytest.raises(SettingsError, match=f"^{name} = .* from user settings {re.escape(str(files.user))}: .*{re.escape(expected)}"):
        files.load()


def test_unknown_keys_and_broken_files_are_refused(files):
    files.write(files.defaults, {"idle_lock_minute": 5})
    with pytest.raises(SettingsError, match=r"unknown setting 'idle_lock_minute' in machine defaults"):
        files.load()
    files.write(files.defaults, "{not json")
    with pytest.raises(SettingsError, match=r"machine defaults .* is not valid JSON"):
        files.load()
    files.write(files.defaults, "[1, 2]")
    with pytest.raises(SettingsError, match=r"must hold a JSON object"):
        files.load()


def test_set_user_persists_and_is_refused_for_locked_or_invalid_values(files):
    files.write(files.policy, {"alarm_pause_seconds": 60})
    settings = files.load()
    settings.set_user("language", "es")
    assert settings.value("language") == "es" and settings.source("language") == "user"
    assert files.load().value("language") == "es"
    with pytest.raises(SettingsError, match=r"alarm_pause_seconds is locked by machine policy"):
        settings.set_user("alarm_pause_seconds", 300)
    with pytest.raises(SettingsError, match=r"idle_lock_minutes = 0 from user settings"):
        settings.set_user("idle_lock_minutes", 0)
    with pytest.raises(SettingsError, match=r"unknown setting"):
        settings.set_user("colour", "red")
    assert json.loads(files.user.read_text()) == {"language": "es"}


def test_required_connection_settings_must_be_present_before_start(files):
    settings = files.load()
    assert settings.missing() == ["server_url", "anon_key"]
    with pytest.raises(SettingsError, match="not configured: server_url, anon_key"):
        settings.require_complete()
    files.write(files.defaults, {"server_url": "https://tjv.example.org", "anon_key": "eyJhbGciOi"})
    files.load().require_complete()
