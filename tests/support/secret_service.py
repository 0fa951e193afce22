"""A real Secret Service keyring of its own: gnome-keyring on a private D-Bus session, in a throw-away
home. The tests' ``secret_service`` fixture and the cold-start benchmark (whose app process reaches it
through ``env``) use it; the user's own keyring is never touched."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass
class PrivateKeyring:
    backend: object  # keyring's SecretService backend bound to the private bus
    env: dict[str, str]  # HOME, XDG_* folders and DBUS_SESSION_BUS_ADDRESS of the throw-away home
    home: Path


@contextlib.contextmanager
def private_secret_service(prefix: str = "tjv-keyring-") -> Iterator[PrivateKeyring]:
    """Yields the keyring; this process's DBUS_SESSION_BUS_ADDRESS points at it until the end."""
    from keyring.backends import SecretService

    root = Path(tempfile.mkdtemp(prefix=prefix))
    env = {"HOME": str(root), "XDG_DATA_HOME": str(root / "data"), "XDG_CONFIG_HOME": str(root / "config"),
           "XDG_RUNTIME_DIR": str(root / "run"), "XDG_CACHE_HOME": str(root / "cache")}
    (root / "run").mkdir(mode=0o700)
    full = {**os.environ, **env}
    bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                           stdout=subprocess.PIPE, text=True, env=full)
    address = bus.stdout.readline().strip()
    env["DBUS_SESSION_BUS_ADDRESS"] = full["DBUS_SESSION_BUS_ADDRESS"] = address
    unlock = subprocess.run(["gnome-keyring-daemon", "--unlock", "--components=secrets", "--daemonize"],
                            input="tjv-test-keyring", capture_output=True, text=True, env=full, timeout=30)
    assert unlock.returncode == 0, unlock.stderr
    previous = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
    try:
        backend = SecretService.Keyring()
        backend.set_password("tjv-desktop-test", "probe", "ok")
        assert backend.get_password("tjv-desktop-test", "probe") == "ok"
        yield PrivateKeyring(backend, env, root)
    finally:
        if previous is None:
            os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SESSION_BUS_ADDRESS"] = previous
        subprocess.run(["pkill", "-f", f"gnome-keyring-daemon.*{root}"], check=False)
        for line in unlock.stdout.splitlines():
            if line.startswith("GNOME_KEYRING_PID="):
                subprocess.run(["kill", line.split("=", 1)[1]], check=False)
        bus.terminate()
        bus.wait(10)
        shutil.rmtree(root, ignore_errors=True)
