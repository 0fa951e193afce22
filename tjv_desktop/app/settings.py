r"""Every setting declared once, typed and validated, read through one layer that applies machine policy.

Precedence, highest first: machine policy (IT-managed) > user settings > machine defaults (written by
the installer) > built-in defaults. A policy-set value is locked: the user cannot override it. Any
invalid value, in any layer, raises ``SettingsError`` naming the setting and where it came from, so
the app refuses to start half-configured. No Qt here.

On Linux machine policy and defaults are JSON files under ``/etc/tjv-desktop/``. On Windows the
registry comes first within each rank (``winregistry``): ``HKLM\Software\Policies\TJV\TJV Desktop``
above the policy file, ``HKLM\Software\TJV\TJV Desktop`` (the MSI's properties) above the defaults
file; user settings live in ``%APPDATA%\TJV Desktop`` and data in ``%LOCALAPPDATA%\TJV Desktop``.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from . import winregistry

Source = Literal["policy", "user", "machine-default", "default"]

POLICY_FILE = Path("/etc/tjv-desktop/policy.json")
DEFAULTS_FILE = Path("/etc/tjv-desktop/defaults.json")


class SettingsError(ValueError):
    """A setting is invalid, unknown, locked, or a settings file cannot be read."""


def _user_config_dir(env: Mapping[str, str], platform: str | None = None) -> Path:
    if (platform or sys.platform) == "win32" and env.get("APPDATA"):
        return Path(env["APPDATA"]) / winregistry.PRODUCT
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".config")
    return Path(base) / "tjv-desktop"


def _user_data_dir(env: Mapping[str, str], platform: str | None = None) -> Path:
    if (platform or sys.platform) == "win32" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"]) / winregistry.PRODUCT
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".local" / "share")
    return Path(base) / "tjv-desktop"


def user_data_dir(env: Mapping[str, str] | None = None) -> Path:
    """The per-user data folder (local store, logs): never the install folder."""
    return _user_data_dir(os.environ if env is None else env)


def settings_files(env: Mapping[str, str] | None = None) -> dict[str, Path]:
    """Where each settings file is read from on this machine, by title (the registry keys come first on
    Windows): the built-in locations unless ``TJV_POLICY_FILE``, ``TJV_USER_SETTINGS_FILE`` or
    ``TJV_DEFAULTS_FILE`` name others."""
    env = os.environ if env is None else env
    return {"machine policy": Path(env.get("TJV_POLICY_FILE") or POLICY_FILE),
            "user settings": Path(env.get("TJV_USER_SETTINGS_FILE") or _user_config_dir(env) / "settings.json"),
            "machine defaults": Path(env.get("TJV_DEFAULTS_FILE") or DEFAULTS_FILE)}


# A validator returns None when the value is fine, else what the value must be.
Validator = Callable[[Any], str | None]


def _whole(lo: int, hi: int, unit: str) -> Validator:
    def check(v: Any) -> str | None:
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            return f"must be a whole number of {unit} ≥ {lo}" + (f" and ≤ {hi}" if hi < 10**9 else "")
        return None
    check.bounds = (lo, hi)  # type: ignore[attr-defined]  # for the ADMX templates' ranges
    return check


def _url(v: Any) -> str | None:
    if v == "":
        return None  # not configured yet; see Settings.missing()
    if not isinstance(v, str):
        return "must be an http(s) URL such as https://example.supabase.co"
    parts = urlsplit(v)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "must be an http(s) URL such as https://example.supabase.co"
    return None


# Plain http:// is refused except to this machine (the sandbox, a local proxy): anywhere else the
# session tokens and patient data would cross the network in clear.
_LOOPBACK_NAMES = {"localhost"}


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or ``localhost``: traffic that never leaves the machine."""
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def insecure_http(url: str) -> bool:
    """True for a plain http:// URL to a host other than this machine."""
    parts = urlsplit(url)
    return parts.scheme == "http" and not is_loopback(parts.hostname or "")


INSECURE_HTTP_PROBLEM = ("plain http:// is refused outside loopback (127.0.0.0/8, ::1, localhost): use "
                         "https://, or allow it explicitly with the machine policy allow_insecure_http")


def _text(v: Any) -> str | None:
    return None if isinstance(v, str) and v == v.strip() else "must be text without surrounding spaces"


def _tenant(v: Any) -> str | None:
    if v == "":
        return None
    try:
        uuid.UUID(v)
    except (ValueError, TypeError, AttributeError):
        return "must be a tenant UUID such as 3f2b8c1e-0000-4000-8000-000000000000"
    return None


def _choice(*options: str) -> Validator:
    def check(v: Any) -> str | None:
        return None if v in options else "must be one of " + ", ".join(repr(o) for o in options)
    check.options = options  # type: ignore[attr-defined]  # for the ADMX templates' lists
    return check


def _flag(v: Any) -> str | None:
    return None if isinstance(v, bool) else "must be true or false"


def _path(v: Any) -> str | None:
    if v == "":
        return None  # the built-in per-user location
    return None if isinstance(v, str) and Path(v).is_absolute() else "must be an absolute path"


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    type: type
    default: Any
    validate: Validator
    description: str
    required: bool = False
    policy_only: bool = False  # only machine policy may set it (IT's decision, never the user's)


SETTINGS: Mapping[str, Setting] = {s.name: s for s in (
    Setting("server_url", str, "", _url, "Base URL of the TJV backend (Supabase project).", required=True),
    Setting("anon_key", str, "", _text, "Public (anon) API key of the backend.", required=True),
    Setting("tenant_id", str, "", _tenant, "Tenant (organisation) this workstation belongs to; empty: ask at sign-in."),
    Setting("idle_lock_minutes", int, 10, _whole(1, 240, "minutes"),
            "Lock the screen after this much inactivity (active alarms stay visible)."),
    Setting("audio_pause_seconds", int, 120, _whole(10, 900, "seconds"),
            "How long AUDIO PAUSED lasts before alarm sounds resume."),
    Setting("alarm_pause_seconds", int, 120, _whole(10, 900, "seconds"),
            "How long ALARM PAUSED lasts before alarm signals resume."),
    Setting("technical_alarm_high_after_seconds", int, 300, _whole(10, 3600, "seconds"),
            "A communication-loss or stale-data technical alarm becomes high priority after this long."),
    Setting("stale_data_seconds", int, 120, _whole(10, 3600, "seconds"),
            "Data older than this raises a stale-data technical alarm."),
    Setting("probe_deadline_seconds", int, 10, _whole(1, 120, "seconds"),
            "Deadline for one connection health probe."),
    Setting("language", str, "system", _choice("system", "en", "es"), "User-interface language."),
    Setting("theme", str, "standard", _choice("standard", "night"),
            "Look of the window: standard, or night (dimmed for a ward at night; alarm colours stay at full "
            "strength). Set by policy, the user cannot switch it."),
    Setting("handoff_identifiers", str, "full", _choice("full", "initials"),
            "Patient identifiers in the printed handoff report: full (name and MRN) or initials (initials and "
            "the last MRN digits). Set by policy, the user cannot choose more."),
    Setting("store_path", str, "", _path, "Folder of the local encrypted store; empty: the per-user data folder."),
    Setting("allow_insecure_http", bool, False, _flag,
            "Allow a plain http:// server URL to a host other than this machine (sessions and patient data "
            "then cross the network unencrypted). Machine policy only.", policy_only=True),
)}


@dataclass(frozen=True, slots=True)
class _Layer:
    source: Source
    label: str  # for messages: "machine policy /etc/tjv-desktop/policy.json"
    path: Path | None  # None: not a file (the Windows registry)
    values: Mapping[str, Any]


def _read_registry_layer(reader: winregistry.RegistryReader, source: Source, title: str, key: str) -> _Layer:
    label = f"{title} {winregistry.describe_key(key)}"
    try:
        raw = reader.values(key) or {}
    except OSError as e:
        raise SettingsError(f"cannot read {label}: {e.strerror or e}") from e
    values: dict[str, Any] = {}
    for name, (data, kind) in raw.items():
        if name == "":  # the key's unnamed default value: not a setting
            continue
        setting = SETTINGS.get(name)
        value = data if setting is None else winregistry.to_setting_value(setting.type, data, kind)
        if value is winregistry.ABSENT:
            continue
        _check(name, value, label, source)
        values[name] = value
    return _Layer(source, label, None, values)


def _read_layer(source: Source, title: str, path: Path) -> _Layer:
    label = f"{title} {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _Layer(source, label, path, {})
    except OSError as e:
        raise SettingsError(f"cannot read {label}: {e.strerror or e}") from e
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as e:
        raise SettingsError(f"{label} is not valid JSON: {e.msg} at line {e.lineno}") from e
    if not isinstance(data, dict):
        raise SettingsError(f"{label} must hold a JSON object of setting names to values")
    for name, value in data.items():
        _check(name, value, label, source)
    return _Layer(source, label, path, data)


def _check(name: str, value: Any, label: str, source: Source) -> None:
    setting = SETTINGS.get(name)
    if setting is None:
        raise SettingsError(f"unknown setting {name!r} in {label}; known settings: {', '.join(SETTINGS)}")
    problem = setting.validate(value)
    if not problem and setting.policy_only and source != "policy":
        problem = "only machine policy may set it"
    if problem:
        raise SettingsError(f"{name} = {json.dumps(value, ensure_ascii=False)} from {label}: {problem}")


class Settings:
    """The effective settings: ``value``, ``source``, ``is_locked``, ``set_user``."""

    def __init__(self, policy: _Layer | Sequence[_Layer], user: _Layer,
                 machine_defaults: _Layer | Sequence[_Layer], env: Mapping[str, str]):
        self._policy = (policy,) if isinstance(policy, _Layer) else tuple(policy)
        self._defaults = (machine_defaults,) if isinstance(machine_defaults, _Layer) else tuple(machine_defaults)
        self._user = user
        self._env = env
        self._check_server_transport()

    @property
    def _layers(self) -> tuple[_Layer, ...]:
        return (*self._policy, self._user, *self._defaults)

    @classmethod
    def load(cls, policy_file: Path | None = None, user_file: Path | None = None,
             defaults_file: Path | None = None, env: Mapping[str, str] | None = None,
             registry: winregistry.RegistryReader | None = None) -> Settings:
        """Read all layers. Paths default to the Linux locations, overridable by ``TJV_POLICY_FILE``,
        ``TJV_USER_SETTINGS_FILE`` and ``TJV_DEFAULTS_FILE``. On Windows the registry keys are read too
        (``registry`` defaults to the real one there; tests pass a fake)."""
        env = os.environ if env is None else env
        if registry is None and sys.platform == "win32":
            registry = winregistry.WinregReader()
        files = settings_files(env)
        policy_file = Path(policy_file or files["machine policy"])
        defaults_file = Path(defaults_file or files["machine defaults"])
        user_file = Path(user_file or files["user settings"])
        policy = [_read_layer("policy", "machine policy", policy_file)]
        defaults = [_read_layer("machine-default", "machine defaults", defaults_file)]
        if registry is not None:
            policy.insert(0, _read_registry_layer(registry, "policy", "machine policy", winregistry.POLICY_KEY))
            defaults.insert(0, _read_registry_layer(registry, "machine-default", "machine defaults",
                                                    winregistry.DEFAULTS_KEY))
        return cls(policy, _read_layer("user", "user settings", user_file), defaults, env)

    def _layer_of(self, name: str) -> _Layer | None:
        if name not in SETTINGS:
            raise SettingsError(f"unknown setting {name!r}")
        return next((layer for layer in self._layers if name in layer.values), None)

    def value(self, name: str) -> Any:
        layer = self._layer_of(name)
        if layer is not None:
            return layer.values[name]
        if name == "store_path":
            return str(_user_data_dir(self._env) / "store")
        return SETTINGS[name].default

    def source(self, name: str) -> Source:
        layer = self._layer_of(name)
        return "default" if layer is None else layer.source

    def is_locked(self, name: str) -> bool:
        return self.source(name) == "policy"

    def _check_server_transport(self) -> None:
        """The server URL in effect may be plain http:// only to loopback, unless policy allows it."""
        url = self.value("server_url")
        if insecure_http(url) and not self.value("allow_insecure_http"):
            layer = self._layer_of("server_url")
            where = layer.label if layer is not None else "built-in defaults"
            raise SettingsError(f"server_url = {json.dumps(url)} from {where}: {INSECURE_HTTP_PROBLEM}")

    def missing(self) -> list[str]:
        """Required settings that no layer provides (e.g. the server URL on a fresh install)."""
        return [name for name, s in SETTINGS.items() if s.required and self.value(name) == ""]

    def require_complete(self) -> None:
        missing = self.missing()
        if missing:
            places = "; ".join(layer.label for layer in self._layers)
            raise SettingsError("not configured: " + ", ".join(missing) + f" (set them in one of: {places})")

    def set_user(self, name: str, value: Any) -> None:
        """Validate and store a user setting; refused when machine policy locks it."""
        layer = self._layer_of(name)
        if layer is not None and layer.source == "policy":
            raise SettingsError(f"{name} is locked by {layer.label}")
        _check(name, value, self._user.label, "user")
        values = {**self._user.values, name: value}
        Settings(self._policy, _Layer("user", self._user.label, self._user.path, values), self._defaults,
                 self._env)  # refuses what the new value would make of the whole (an http:// server)
        path = self._user.path
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(values, f, indent=2, ensure_ascii=False)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self._user = _Layer("user", self._user.label, path, values)
