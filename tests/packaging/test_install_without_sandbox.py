"""``pip install -e .`` (no extra) gives a station without the sandbox's server libraries, and the station
runs without them: its dependencies name none, and the self-test passes with those modules made
unimportable."""

from __future__ import annotations

import os
import subprocess
import sys
from importlib.metadata import requires

SERVER_LIBRARIES = ("aiohttp", "asyncpg", "psycopg2", "psycopg2-binary", "pyjwt")


def _name(requirement: str) -> str:
    return requirement.split(";")[0].split("[")[0].strip().split(" ")[0].split("<")[0].split(">")[0].split("=")[0].lower()


def test_the_app_itself_depends_on_no_server_library():
    base = [r for r in requires("tjv-desktop") if "extra ==" not in r]
    sandbox = [r for r in requires("tjv-desktop") if 'extra == "sandbox"' in r]
    assert base, "the metadata lists the app's dependencies"
    assert not {_name(r) for r in base} & set(SERVER_LIBRARIES)
    assert {_name(r) for r in sandbox} >= {"aiohttp", "asyncpg", "pyjwt"}, "they come with the [sandbox] extra"


def test_the_station_passes_its_self_test_with_the_server_libraries_unimportable(tmp_path):
    # pyjwt is not blocked: the official supabase client needs it (supabase_auth), not only the sandbox.
    blocked = ("aiohttp", "asyncpg", "psycopg2", "pgserver", "tjv_sandbox")
    code = ("import sys\n"
            f"for name in {blocked!r}:\n"
            "    sys.modules[name] = None  # import of it raises ImportError\n"
            "from tjv_desktop.app.cli import main\n"
            "sys.exit(main(['--self-test']))\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "TJV_POLICY_FILE": str(tmp_path / "none.json")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "self-test: ok    window" in out.stdout
