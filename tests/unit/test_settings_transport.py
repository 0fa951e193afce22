"""A plain http:// server is refused outside loopback unless machine policy allows it (security review,
item 7): the refusal names ``server_url`` and where its value came from, and only machine policy can
allow it (``allow_insecure_http``), from the policy file or the registry."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tjv_desktop.app.settings import Settings, SettingsError, insecure_http
from tjv_desktop.app.winregistry import POLICY_KEY, REG_DWORD

LOOPBACK = ["http://127.0.0.1:54321", "http://127.8.9.10", "http://[::1]:8000/", "http://localhost:3000",
            "http://LOCALHOST"]
REMOTE = ["http://tjv.example.org", "http://10.0.0.5:8000", "http://[fe80::1]", "http://localhost.example.org",
          "http://128.0.0.1"]


class Registry:
    def __init__(self, policy: dict):
        self.policy = policy

    def values(self, key: str):
        return self.policy if key == POLICY_KEY else None


def load(tmp_path: Path, *, policy: dict | None = None, user: dict | None = None, defaults: dict | None = None,
         registry: Registry | None = None) -> Settings:
    files = {}
    for name, values in (("policy", policy), ("user", user), ("defaults", defaults)):
        files[name] = tmp_path / f"{name}.json"
        files[name].write_text(json.dumps(values or {}))
    return Settings.load(policy_file=files["policy"], user_file=files["user"], defaults_file=files["defaults"],
                         env={"HOME": str(tmp_path)}, registry=registry)


@pytest.mark.parametrize("url", LOOPBACK)
def test_http_to_this_machine_is_accepted(tmp_path, url):
    assert not insecure_http(url)
    assert load(tmp_path, user={"server_url": url}).value("server_url") == url


@pytest.mark.parametrize("url", REMOTE)
def test_http_to_another_host_is_refused_naming_the_setting_and_its_source(tmp_path, url):
    assert insecure_http(url)
    with pytest.raises(SettingsError) as error:
        load(tmp_path, defaults={"server_url": url})
    message = str(error.value)
    assert message.startswith(f'server_url = "{url}" from machine defaults {tmp_path / "defaults.json"}: ')
    assert "plain http:// is refused outside loopback" in message and "allow_insecure_http" in message


def test_https_anywhere_is_accepted(tmp_path):
    assert load(tmp_path, policy={"server_url": "https://tjv.example.org"}).value("server_url") == \
        "https://tjv.example.org"


def test_machine_policy_can_allow_http_explicitly(tmp_path):
    settings = load(tmp_path, policy={"allow_insecure_http": True}, user={"server_url": "http://tjv.example.org"})
    assert settings.value("server_url") == "http://tjv.example.org" and settings.is_locked("allow_insecure_http")
    with pytest.raises(SettingsError, match="plain http://"):
        load(tmp_path, policy={"allow_insecure_http": False}, user={"server_url": "http://tjv.example.org"})


def test_group_policy_allows_it_with_the_dword_the_admx_writes(tmp_path):
    allowed = load(tmp_path, user={"server_url": "http://tjv.example.org"},
                   registry=Registry({"allow_insecure_http": (1, REG_DWORD)}))
    assert allowed.value("allow_insecure_http") is True
    with pytest.raises(SettingsError, match="plain http://"):
        load(tmp_path, user={"server_url": "http://tjv.example.org"},
             registry=Registry({"allow_insecure_http": (0, REG_DWORD)}))
    with pytest.raises(SettingsError, match="allow_insecure_http = 2 from machine policy HKLM.*true or false"):
        load(tmp_path, registry=Registry({"allow_insecure_http": (2, REG_DWORD)}))


@pytest.mark.parametrize("layer", ["user", "defaults"])
def test_only_machine_policy_may_allow_it(tmp_path, layer):
    with pytest.raises(SettingsError, match=r"^allow_insecure_http = true from .*: only machine policy may set it"):
        load(tmp_path, **{layer: {"allow_insecure_http": True}})


def test_the_user_cannot_switch_to_http_nor_allow_it(tmp_path):
    settings = load(tmp_path, user={"server_url": "https://tjv.example.org"})
    with pytest.raises(SettingsError, match=re.escape('server_url = "http://tjv.example.org" from user settings')):
        settings.set_user("server_url", "http://tjv.example.org")
    with pytest.raises(SettingsError, match="only machine policy may set it"):
        settings.set_user("allow_insecure_http", True)
    assert json.loads((tmp_path / "user.json").read_text()) == {"server_url": "https://tjv.example.org"}
    settings.set_user("server_url", "http://127.0.0.1:8000")
    assert json.loads((tmp_path / "user.json").read_text()) == {"server_url": "http://127.0.0.1:8000"}
