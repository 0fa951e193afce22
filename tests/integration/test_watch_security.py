"""``tjv-desktop watch`` and the security review (items 7 and 8): a plain http:// ``--url`` to another
machine is refused unless machine policy allows it, and the ``--store`` folders it creates are readable
by their owner only."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.test_watch import WatchProcess
from tjv_desktop.app.watch import refused_url


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def test_the_store_folders_watch_creates_are_owner_only(sandbox, secret_service, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    store = shared / "stations" / "ward-4" / "station.tjvstore"
    watch = await WatchProcess.start(sandbox, "--store", str(store))
    try:
        await watch.wait_for(lambda line: line["type"] == "resync")
    finally:
        assert await watch.terminate() == 0
    assert store.is_file(), "the store is a file (the keyring gave a key), so its folders were needed"
    assert not [line for line in watch.lines if line["type"] == "store"]
    assert mode(shared / "stations") == 0o700 and mode(shared / "stations" / "ward-4") == 0o700
    assert mode(shared) == 0o755, "a folder that was already there is left as it was"
    assert mode(store) == 0o600


def test_watch_refuses_plain_http_to_another_machine_naming_the_option(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "TJV_POLICY_FILE": str(tmp_path / "none.json"),
           "TJV_DEFAULTS_FILE": str(tmp_path / "none.json"), "TJV_PASSWORD": "unused"}
    out = subprocess.run([sys.executable, "-m", "tjv_desktop.app.cli", "watch", "--url", "http://tjv.example.org",
                          "--anon-key", "k", "--email", "nurse@example.org"], capture_output=True, text=True,
                         env=env, timeout=60)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("tjv-desktop watch: --url http://tjv.example.org: plain http:// is refused "
                                 "outside loopback"), out.stderr
    assert "allow_insecure_http" in out.stderr


@pytest.mark.parametrize(("policy", "url", "refused"), [
    ({}, "http://127.0.0.1:8000", False),
    ({}, "http://[::1]:8000", False),
    ({}, "https://tjv.example.org", False),
    ({}, "http://tjv.example.org", True),
    ({"allow_insecure_http": False}, "http://tjv.example.org", True),
    ({"allow_insecure_http": True}, "http://tjv.example.org", False),
])
def test_only_machine_policy_lets_watch_use_plain_http_to_another_machine(tmp_path, monkeypatch, policy, url,
                                                                           refused):
    (tmp_path / "policy.json").write_text(json.dumps(policy))
    monkeypatch.setenv("TJV_POLICY_FILE", str(tmp_path / "policy.json"))
    monkeypatch.setenv("TJV_DEFAULTS_FILE", str(tmp_path / "none.json"))
    monkeypatch.setenv("TJV_USER_SETTINGS_FILE", str(tmp_path / "none.json"))
    assert (refused_url(url) is not None) is refused
