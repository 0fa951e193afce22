"""Windows machine policy and MSI machine defaults from the registry, read through a fake registry (the
real ``winreg`` exists only on Windows; the conversion and validation are what is tested here)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tjv_desktop.app import winregistry
from tjv_desktop.app.settings import Settings, SettingsError, _user_config_dir, _user_data_dir
from tjv_desktop.app.winregistry import DEFAULTS_KEY, POLICY_KEY, REG_DWORD, REG_EXPAND_SZ, REG_SZ

POLICY = r"machine policy HKLM\Software\Policies\TJV\TJV Desktop"
DEFAULTS = r"machine defaults HKLM\Software\TJV\TJV Desktop"


class FakeRegistry:
    """HKLM as a dict of key → {value name: (data, type)}; a key mapped to an OSError cannot be read."""

    def __init__(self, keys: dict):
        self.keys = keys
        self.asked: list[str] = []

    def values(self, key: str):
        self.asked.append(key)
        found = self.keys.get(key)
        if isinstance(found, OSError):
            raise found
        return found


@pytest.fixture
def load(tmp_path: Path):
    def load(keys: dict, *, user: dict | None = None, policy_file: dict | None = None) -> Settings:
        user_file = tmp_path / "user.json"
        if user is not None:
            user_file.write_text(json.dumps(user))
        policy_path = tmp_path / "policy.json"
        if policy_file is not None:
            policy_path.write_text(json.dumps(policy_file))
        return Settings.load(policy_file=policy_path, user_file=user_file, defaults_file=tmp_path / "defaults.json",
                             env={"HOME": str(tmp_path)}, registry=FakeRegistry(keys))
    return load


def test_the_keys_read_are_the_documented_ones():
    assert POLICY_KEY == r"Software\Policies\TJV\TJV Desktop"
    assert DEFAULTS_KEY == r"Software\TJV\TJV Desktop"
    registry = FakeRegistry({})
    Settings.load(policy_file=Path("/nonexistent/p.json"), user_file=Path("/nonexistent/u.json"),
                  defaults_file=Path("/nonexistent/d.json"), env={}, registry=registry)
    assert registry.asked == [POLICY_KEY, DEFAULTS_KEY]


def test_registry_policy_is_locked_above_user_settings_and_the_policy_file(load):
    settings = load({POLICY_KEY: {"idle_lock_minutes": (5, REG_DWORD), "server_url": ("https://tjv.example.org", REG_SZ)}},
                    user={"idle_lock_minutes": 30, "audio_pause_seconds": 60}, policy_file={"idle_lock_minutes": 7})
    assert (settings.value("idle_lock_minutes"), settings.source("idle_lock_minutes")) == (5, "policy")
    assert settings.is_locked("idle_lock_minutes") and settings.is_locked("server_url")
    assert (settings.value("audio_pause_seconds"), settings.source("audio_pause_seconds")) == (60, "user")
    with pytest.raises(SettingsError, match=r"^idle_lock_minutes is locked by machine policy HKLM\\Software\\Policies"):
        settings.set_user("idle_lock_minutes", 15)


def test_msi_machine_defaults_are_strings_converted_to_the_settings_types_and_yield_to_the_user(load):
    settings = load({DEFAULTS_KEY: {"server_url": ("https://tjv.example.org", REG_SZ), "anon_key": ("eyJhbGciOi", REG_SZ),
                                    "tenant_id": ("", REG_SZ), "idle_lock_minutes": ("20", REG_SZ),
                                    "audio_pause_seconds": ("90", REG_SZ), "": ("", REG_SZ)}},
                    user={"audio_pause_seconds": 60})
    assert (settings.value("idle_lock_minutes"), settings.source("idle_lock_minutes")) == (20, "machine-default")
    assert (settings.value("audio_pause_seconds"), settings.source("audio_pause_seconds")) == (60, "user")
    assert settings.source("tenant_id") == "default"  # an MSI property left empty is "not set"
    assert not settings.is_locked("server_url")
    settings.require_complete()


def test_expandable_strings_are_expanded(load, monkeypatch, tmp_path):
    monkeypatch.setenv("TJV_TEST_DATA", str(tmp_path))
    settings = load({POLICY_KEY: {"store_path": (r"$TJV_TEST_DATA/store", REG_EXPAND_SZ)}})
    assert settings.value("store_path") == f"{tmp_path}/store"


@pytest.mark.parametrize(("keys", "message"), [
    ({DEFAULTS_KEY: {"idle_lock_minutes": ("-5", REG_SZ)}},
     f"idle_lock_minutes = -5 from {DEFAULTS}: must be a whole number of minutes ≥ 1 and ≤ 240"),
    ({DEFAULTS_KEY: {"idle_lock_minutes": (0xFFFFFFFB, REG_DWORD)}},  # what "#-5" writes
     f"idle_lock_minutes = -5 from {DEFAULTS}: must be a whole number of minutes ≥ 1 and ≤ 240"),
    ({DEFAULTS_KEY: {"audio_pause_seconds": ("two minutes", REG_SZ)}},
     f'audio_pause_seconds = "two minutes" from {DEFAULTS}: must be a whole number of seconds ≥ 10 and ≤ 900'),
    ({POLICY_KEY: {"server_url": ("tjv.example.org", REG_SZ)}},
     f'server_url = "tjv.example.org" from {POLICY}: must be an http(s) URL such as https://example.supabase.co'),
    ({POLICY_KEY: {"anon_key": (7, REG_DWORD)}}, f"anon_key = 7 from {POLICY}: must be text without surrounding spaces"),
    ({POLICY_KEY: {"tenant_id": ("riverside", REG_SZ)}},
     f'tenant_id = "riverside" from {POLICY}: must be a tenant UUID such as 3f2b8c1e-0000-4000-8000-000000000000'),
])
def test_invalid_registry_values_name_the_setting_the_value_and_the_key(load, keys, message):
    with pytest.raises(SettingsError) as error:
        load(keys)
    assert str(error.value) == message


def test_unknown_values_and_unreadable_keys_are_refused(load):
    with pytest.raises(SettingsError, match=r"unknown setting 'ServerUrl' in machine policy HKLM\\Software\\Policies"):
        load({POLICY_KEY: {"ServerUrl": ("https://tjv.example.org", REG_SZ)}})
    with pytest.raises(SettingsError, match=r"^cannot read machine defaults HKLM\\Software\\TJV\\TJV Desktop: Access is denied"):
        load({DEFAULTS_KEY: PermissionError(5, "Access is denied")})


def test_dword_values_for_text_settings_are_not_coerced():
    assert winregistry.to_setting_value(str, 3, REG_DWORD) == 3
    assert winregistry.to_setting_value(int, " 15 ", REG_SZ) == 15
    assert winregistry.to_setting_value(int, "", REG_SZ) is winregistry.ABSENT


def test_windows_user_files_live_in_appdata_never_the_install_folder():
    env = {"APPDATA": r"C:\Users\nurse\AppData\Roaming", "LOCALAPPDATA": r"C:\Users\nurse\AppData\Local"}
    assert _user_config_dir(env, "win32") == Path(env["APPDATA"]) / "TJV Desktop"
    assert _user_data_dir(env, "win32") == Path(env["LOCALAPPDATA"]) / "TJV Desktop"
    assert _user_config_dir({"HOME": "/home/nurse"}, "linux") == Path("/home/nurse/.config/tjv-desktop")


def test_the_app_refuses_to_start_on_an_invalid_policy_naming_setting_and_source(tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"idle_lock_minutes": -5}))
    env = {"TJV_POLICY_FILE": str(policy), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
           "TJV_DEFAULTS_FILE": str(tmp_path / "none.json"), "QT_QPA_PLATFORM": "offscreen"}
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "tjv_desktop.app.cli", "--demo"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 2
    assert (f"refusing to start: idle_lock_minutes = -5 from machine policy {policy}: "
            "must be a whole number of minutes ≥ 1 and ≤ 240") in out.stderr
    assert "sandbox" not in out.stderr.lower()  # refused before the demo server was started
    assert time.monotonic() - started < 30


def test_a_windowed_build_without_stderr_logs_to_the_user_data_folder(tmp_path):
    code = ("import sys, logging; sys.stderr = None; from tjv_desktop.app import logs; logs.configure(); "
            "logging.getLogger('tjv_desktop').error('refusing to start: example')")
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env, timeout=60)
    log = tmp_path / "data" / "tjv-desktop" / "logs" / "tjv-desktop.log"
    assert "ERROR tjv_desktop: refusing to start: example" in log.read_text()
