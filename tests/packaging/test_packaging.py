"""The installers, built and used as hospital IT would: the frozen one-folder app, the Debian package
installed into a throw-away root with ``dpkg --root`` (self-test there, remove, purge), and the MSI's
tables read back with ``msiinfo``. Slow (about three minutes): one frozen build per session, shared.

The MSI is built here from this machine's Linux build (``--linux-payload-for-checks``): its tables are
the release ones, its programs are not Windows programs (PyInstaller cannot cross-compile).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.packaging, pytest.mark.timeout(900)]


def load_script(relative: str):
    """A build script of packaging/ by path (the folder is not the PyPI package ``packaging``)."""
    spec = importlib.util.spec_from_file_location(Path(relative).stem, REPO / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def clean_env(tmp: Path, **extra: str) -> dict[str, str]:
    """What a freshly logged-in user has: no virtualenv, no PYTHONPATH, a home of their own."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(tmp), "LANG": "C.UTF-8",
            "TJV_DEFAULTS_FILE": str(tmp / "no-defaults.json"), "TJV_POLICY_FILE": str(tmp / "no-policy.json"),
            **extra}


def run(cmd: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout, cwd="/")


@pytest.fixture(scope="session")
def frozen_app(tmp_path_factory) -> Path:
    build_frozen = load_script("packaging/build_frozen.py")
    base = tmp_path_factory.mktemp("frozen")
    app = build_frozen.build(base / "dist", base / "work")
    assert (app / "tjv-desktop").is_file()
    return app


def test_the_frozen_build_is_one_folder_and_carries_its_version_and_commit(frozen_app, tmp_path):
    exe = frozen_app / "tjv-desktop"
    total = sum(p.stat().st_size for p in frozen_app.rglob("*") if p.is_file() and not p.is_symlink())
    # One-folder: the executable holds only the bootloader and the compressed Python modules; the
    # interpreter and the Qt libraries are files beside it (a one-file build packs them all inside).
    assert exe.stat().st_size < total * 0.1, (exe.stat().st_size, total)
    assert (frozen_app / "_internal" / "libpython3.11.so.1.0").is_file()
    assert (frozen_app / "_internal" / "PySide6" / "Qt" / "lib" / "libQt6Core.so.6").is_file()  # replaceable Qt
    assert not list(frozen_app.rglob("libgtk-3.so*")), "the GTK theme's stack is left out (prune.py)"
    assert (frozen_app / "_internal" / "PySide6" / "Qt" / "plugins" / "platforms" / "libqxcb.so").is_file()
    generated = (frozen_app.parents[1] / "work" / "generated" / "_tjv_build_info.py").read_text()
    commit = re.search(r"^COMMIT = '(.+)'$", generated, re.M).group(1)
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short=12", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    assert head in commit  # the commit checked out when the build ran (git describe form, "-dirty" if edited)
    from tjv_desktop import __version__

    out = run([str(exe), "--version"], clean_env(tmp_path))
    assert out.returncode == 0, out.stderr
    assert re.fullmatch(rf"tjv-desktop {re.escape(__version__)} \(commit {re.escape(commit)}, built "
                        r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)\n", out.stdout), out.stdout
    demo = run([str(exe), "--demo"], clean_env(tmp_path))  # the sandbox is a development tool, not bundled
    assert demo.returncode == 2 and "the demo sandbox is not part of the installed build" in demo.stderr


def test_the_frozen_self_test_renders_the_window_with_plugins_and_translations_from_the_bundle(
        frozen_app, tmp_path, artifacts_dir):
    png = artifacts_dir / "frozen_selftest.png"
    png.unlink(missing_ok=True)
    out = run([str(frozen_app / "tjv-desktop"), "--self-test", "--screenshot", str(png)], clean_env(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Qt platform plugins: " in out.stdout and f"in {frozen_app}/_internal/PySide6/Qt/plugins/platforms" in out.stdout
    assert "libqoffscreen.so" in out.stdout and "libqxcb.so" in out.stdout
    assert "translations: tjv_desktop_es.qm loads ('Patient census' → 'Censo de pacientes')" in out.stdout
    assert out.stdout.rstrip().endswith("self-test: passed")
    from PySide6.QtGui import QImage

    from tjv_desktop.app.selftest import image_problems

    image = QImage(str(png))
    assert image_problems(image, (image.width(), image.height())) is None
    assert image.width() >= 1280


def test_the_frozen_build_ships_licence_notices_for_what_it_bundles(frozen_app):
    notices = (frozen_app / "licenses" / "THIRD-PARTY-NOTICES.txt").read_text()
    assert "GNU Lesser General Public License version 3" in notices
    for component in ("PySide6_Essentials 6.", "shiboken6 6.", "qasync ", "supabase 2.34.1", "CPython 3."):
        assert component in notices, component
    assert "aiohttp" not in notices and "asyncpg" not in notices  # the demo sandbox is not bundled
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in (frozen_app / "licenses" / "LGPL-3.0.txt").read_text()
    assert (frozen_app / "licenses" / "Python" / "LICENSE.txt").is_file()


def test_the_frozen_build_refuses_to_start_on_an_invalid_policy_naming_it(frozen_app, tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"server_url": "tjv.example.org"}))
    env = clean_env(tmp_path, TJV_POLICY_FILE=str(policy), QT_QPA_PLATFORM="offscreen")
    expected = (f'server_url = "tjv.example.org" from machine policy {policy}: '
                "must be an http(s) URL such as https://example.supabase.co")
    start = run([str(frozen_app / "tjv-desktop")], env)
    assert start.returncode == 2 and f"refusing to start: {expected}" in start.stderr
    check = run([str(frozen_app / "tjv-desktop"), "--self-test"], env)
    assert check.returncode == 1 and f"self-test: FAILED settings: {expected}" in check.stderr


def _dpkg(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["dpkg", f"--root={root}", "--force-depends", "--force-script-chrootless", *args],
                          capture_output=True, text=True, timeout=300)


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(folder).as_posix(): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.rglob("*")}


def test_the_debian_package_installs_runs_its_self_test_and_keeps_its_conffile_until_purge(frozen_app, tmp_path):
    build_deb = load_script("packaging/debian/build_deb.py")
    deb = build_deb.build(frozen_app, tmp_path / "out", tmp_path / "work", "zstd")
    fields = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True, check=True).stdout
    depends = re.search(r"^Depends: (.*)$", fields, re.M).group(1).split(", ")
    assert any(re.fullmatch(r"libc6 \(>= 2\.\d+\)", d) for d in depends), depends
    assert "libgl1" in depends and "libegl1" in depends  # never bundled: they come with the GPU driver
    for package in depends:  # each one real, and installed here where the bundle's self-test passed
        name = package.split(" ")[0]
        assert subprocess.run(["dpkg-query", "-W", name], capture_output=True).returncode == 0, name
    assert subprocess.run(["dpkg-deb", "-I", str(deb), "conffiles"], capture_output=True, text=True,
                          check=True).stdout.split() == ["/etc/tjv-desktop/policy.json"]

    root = tmp_path / "root"
    (root / "var/lib/dpkg/info").mkdir(parents=True)
    (root / "var/lib/dpkg/updates").mkdir()
    (root / "var/lib/dpkg/status").touch()
    installed = _dpkg(root, "-i", str(deb))
    assert installed.returncode == 0, installed.stderr
    app = root / "opt" / "tjv-desktop"
    conffile = root / "etc" / "tjv-desktop" / "policy.json"
    assert json.loads(conffile.read_text()) == {}
    assert (root / "usr/bin/tjv-desktop").read_text().endswith('exec /opt/tjv-desktop/tjv-desktop "$@"\n')
    assert os.access(root / "usr/bin/tjv-desktop", os.X_OK)
    desktop = (root / "usr/share/applications/tjv-desktop.desktop").read_text()
    assert "Exec=tjv-desktop\n" in desktop and "Icon=tjv-desktop\n" in desktop
    assert (root / "usr/share/icons/hicolor/scalable/apps/tjv-desktop.svg").is_file()
    assert (root / "usr/share/icons/hicolor/256x256/apps/tjv-desktop.png").is_file()

    # The installed build, reading the installed policy file, with IT's edit in it.
    conffile.write_text(json.dumps({"idle_lock_minutes": 5}))
    before = _snapshot(app)
    env = clean_env(tmp_path, TJV_POLICY_FILE=str(conffile))
    selftest = run([str(app / "tjv-desktop"), "--self-test"], env)
    assert selftest.returncode == 0, selftest.stdout + selftest.stderr
    assert f"in {app}/_internal/PySide6/Qt/plugins/platforms" in selftest.stdout
    assert _snapshot(app) == before, "the app wrote into its install folder"

    removed = _dpkg(root, "-r", "tjv-desktop")
    assert removed.returncode == 0, removed.stderr
    assert not app.exists() and not (root / "usr/bin/tjv-desktop").exists()
    assert json.loads(conffile.read_text()) == {"idle_lock_minutes": 5}, "remove must keep IT's policy"
    purged = _dpkg(root, "-P", "tjv-desktop")
    assert purged.returncode == 0, purged.stderr
    assert not conffile.exists() and not conffile.parent.exists()
    left = [p for p in root.rglob("*") if not p.is_dir() and not p.relative_to(root).as_posix().startswith("var/")]
    assert left == [], "purge must leave nothing behind"


def _table(msi: Path, table: str) -> list[list[str]]:
    out = subprocess.run(["msiinfo", "export", str(msi), table], capture_output=True, text=True, check=True)
    return [line.split("\t") for line in out.stdout.splitlines()[3:]]


def test_the_msi_is_per_machine_with_preset_properties_registry_defaults_and_major_upgrades(frozen_app, tmp_path):
    build_msi = load_script("packaging/windows/build_msi.py")
    msi = build_msi.build(frozen_app, tmp_path / "out", tmp_path / "work", linux_for_checks=True)
    assert msi.name.endswith("-tablecheck.msi")
    properties = dict(row[:2] for row in _table(msi, "Property"))
    assert properties["ALLUSERS"] == "1" and "MSIINSTALLPERUSER" not in properties
    assert properties["UpgradeCode"] == "{953A2450-B0C2-4AFB-A337-7734774C72A3}"
    assert re.fullmatch(r"\{[0-9A-F-]{36}\}", properties["ProductCode"])
    assert properties["REBOOT"] == "ReallySuppress" and properties["ARPNOMODIFY"] == "1"
    for arp in ("ARPPRODUCTICON", "ARPCOMMENTS", "ARPCONTACT", "ARPHELPLINK", "ARPURLINFOABOUT"):
        assert properties[arp], arp
    preset = {"SERVERURL": "server_url", "ANONKEY": "anon_key", "TENANTID": "tenant_id",
              "IDLELOCKMINUTES": "idle_lock_minutes", "AUDIOPAUSESECONDS": "audio_pause_seconds"}
    assert set(preset) <= set(properties["SecureCustomProperties"].split(";"))
    summary = subprocess.run(["msiinfo", "suminfo", str(msi)], capture_output=True, text=True, check=True).stdout
    assert "Template: x64;1033" in summary

    # Machine defaults: one HKLM value per property, written only when the property is set.
    registry = {row[3]: row for row in _table(msi, "Registry")}
    components = {row[0]: row for row in _table(msi, "Component")}
    for prop, name in preset.items():
        _, root, key, _, value, component = registry[name]
        assert (root, key, value) == ("2", r"Software\TJV\TJV Desktop", f"[{prop}]")  # 2: HKLM
        assert components[component][4] == prop  # the component's condition
    # Remembered across upgrades: read back by AppSearch, the command line's value restored after it.
    assert {row[0] for row in _table(msi, "AppSearch")} == set(preset)
    sequence = {row[0]: (row[1], int(row[2])) for row in _table(msi, "InstallExecuteSequence")}
    for prop in preset:
        save = next(r[0] for r in _table(msi, "CustomAction") if r[3] == f"[{prop}]")
        restore = next(r[0] for r in _table(msi, "CustomAction") if r[3] == f"[CMDLINE_{prop}]")
        assert sequence[save][1] < sequence["AppSearch"][1] < sequence[restore][1]
        assert sequence[restore][0] == f"CMDLINE_{prop}"

    upgrades = _table(msi, "Upgrade")
    assert sorted((r[1], r[2], r[4], r[6]) for r in upgrades) == sorted([
        ("", properties["ProductVersion"], "1", "WIX_UPGRADE_DETECTED"),  # older: migrated and removed
        (properties["ProductVersion"], "", "2", "WIX_DOWNGRADE_DETECTED")])  # newer: only detected
    assert [r[0] for r in _table(msi, "LaunchCondition")] == ["NOT WIX_DOWNGRADE_DETECTED"]
    assert "RemoveExistingProducts" in sequence
    assert any(r[0] == "StartMenuShortcut" and r[1] == "ProgramMenuFolder" for r in _table(msi, "Shortcut"))

    listed = subprocess.run(["msiextract", "-l", str(msi)], capture_output=True, text=True, check=True).stdout.split("\n")
    payload = {p.relative_to(frozen_app).as_posix() for p in frozen_app.rglob("*") if p.is_file()}  # links become files
    payload = {"tjv-desktop.exe" if p == "tjv-desktop" else p for p in payload}
    assert {line.removeprefix("TJV/TJV Desktop/") for line in listed if line} == payload
    assert (msi.parent / "PolicyDefinitions" / "tjv-desktop.admx").is_file()
    assert (msi.parent / "PolicyDefinitions" / "en-US" / "tjv-desktop.adml").is_file()
