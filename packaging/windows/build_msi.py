"""Builds the per-machine MSI from ``packaging/windows/tjv-desktop.wxs`` with wixl (``make msi``).

The payload is the one-folder build made on a Windows host (``dist/tjv-desktop`` there, holding
``tjv-desktop.exe``), copied here: ``--payload DIR``. PyInstaller cannot cross-compile, so on Linux
``--linux-payload-for-checks`` packs this machine's Linux build under the Windows file names instead:
the MSI tables (per-machine, properties, registry, upgrade) are the release ones, the programs are not
Windows programs, and the file says so (``…-tablecheck.msi``).

After wixl, two things wixl cannot express are written into the tables with msibuild: the component
conditions of the machine-default registry values (read from the .wxs itself) and
SecureCustomProperties (wixl ignores ``Secure="yes"``). The ADMX/ADML policy templates are copied beside
the MSI. The result: ``dist/windows/tjv-desktop-<version>-x64.msi`` and ``dist/windows/PolicyDefinitions/``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
WXS = HERE / "tjv-desktop.wxs"
WIX_NS = {"wix": "http://schemas.microsoft.com/wix/2006/wi"}
EXE = "tjv-desktop.exe"


def component_conditions(wxs: Path = WXS) -> dict[str, str]:
    """Component id → condition, as written in the .wxs (for WiX v3 inside ``<?if Toolset = wix3?>``)."""
    root = ET.parse(wxs).getroot()
    return {c.get("Id"): c.find("wix:Condition", WIX_NS).text.strip()
            for c in root.iter(f"{{{WIX_NS['wix']}}}Component") if c.find("wix:Condition", WIX_NS) is not None}


def secure_properties(wxs: Path = WXS) -> list[str]:
    root = ET.parse(wxs).getroot()
    return [p.get("Id") for p in root.iter(f"{{{WIX_NS['wix']}}}Property") if p.get("Secure") == "yes"]


def _build_frozen_module():
    """packaging/build_frozen.py, loaded by path: this folder is not the PyPI package ``packaging``."""
    spec = importlib.util.spec_from_file_location("tjv_build_frozen", REPO / "packaging" / "build_frozen.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stage_payload(source: Path, stage: Path, linux_for_checks: bool) -> None:
    """Hard-links (or copies) the payload into the staging folder: wixl wants relative source paths."""
    if stage.exists():
        shutil.rmtree(stage)

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, stage, symlinks=False, copy_function=link)
    if (stage / EXE).is_file():
        return
    if linux_for_checks and (stage / "tjv-desktop").is_file():
        (stage / "tjv-desktop").rename(stage / EXE)
        return
    raise SystemExit(f"build_msi: {source} has no {EXE}: give the Windows build (packaging/README.md), "
                     "or --linux-payload-for-checks to check the MSI tables with this machine's build")


def _msi_query(msi: Path, *queries: str) -> None:
    for query in queries:
        subprocess.run(["msibuild", str(msi), "-q", query], check=True)


def _property(msi: Path, name: str) -> str:
    out = subprocess.run(["msiinfo", "export", str(msi), "Property"], capture_output=True, text=True, check=True)
    for line in out.stdout.splitlines()[3:]:
        key, _, value = line.partition("\t")
        if key == name:
            return value
    return ""


def build(payload: Path, out_dir: Path, work: Path, linux_for_checks: bool) -> Path:
    started = time.monotonic()
    sys.path.insert(0, str(REPO))
    from tjv_desktop import __version__

    build_frozen = _build_frozen_module()
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    stage_payload(payload, work / "payload", linux_for_checks)
    build_frozen.render_icons(work / "icons")
    shutil.copy2(work / "icons" / "tjv-desktop.ico", work / "tjv-desktop.ico")
    main_exe = work / "payload" / EXE  # declared in the .wxs with its shortcut
    files = sorted(p.relative_to(work).as_posix() for p in (work / "payload").rglob("*")
                   if p.is_file() and p != main_exe)
    heat = subprocess.run(["wixl-heat", "-p", "payload/", "--component-group", "AppFiles", "--var", "var.SourceDir",
                           "--directory-ref", "INSTALLDIR"], input="\n".join(files) + "\n", capture_output=True,
                          text=True, check=True, cwd=work)
    (work / "files.wxs").write_text(heat.stdout, encoding="utf-8")
    suffix = "-tablecheck" if linux_for_checks and not (payload / EXE).is_file() else ""
    msi = work / f"tjv-desktop-{__version__}-x64{suffix}.msi"
    commit = build_frozen.commit_of(REPO)
    subprocess.run(["wixl", "-a", "x64", "-D", "Toolset=wixl", "-D", f"Version={__version__}", "-D", f"Commit={commit}",
                    "-D", "SourceDir=payload", "-o", msi.name, str(WXS), "files.wxs"],
                   check=True, cwd=work, stderr=subprocess.DEVNULL if os.environ.get("TJV_QUIET_WIXL") else None)
    _msi_query(msi, *(f"UPDATE `Component` SET `Condition` = '{cond}' WHERE `Component` = '{cid}'"
                      for cid, cond in component_conditions().items()))
    existing = [p for p in _property(msi, "SecureCustomProperties").split(";") if p]
    secure = ";".join(dict.fromkeys(existing + secure_properties()))
    _msi_query(msi, f"UPDATE `Property` SET `Value` = '{secure}' WHERE `Property` = 'SecureCustomProperties'")
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / msi.name
    shutil.copy2(msi, final)
    policies = out_dir / "PolicyDefinitions"
    if policies.exists():
        shutil.rmtree(policies)
    (policies / "en-US").mkdir(parents=True)
    shutil.copy2(HERE / "policy" / "tjv-desktop.admx", policies / "tjv-desktop.admx")
    shutil.copy2(HERE / "policy" / "en-US" / "tjv-desktop.adml", policies / "en-US" / "tjv-desktop.adml")
    print(f"build_msi: {final} ({final.stat().st_size / 1e6:.0f} MB, {len(files) + 1} files) and "
          f"{policies} built in {time.monotonic() - started:.0f} s")
    return final


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--payload", type=Path, default=REPO / "dist" / "tjv-desktop",
                   help="the one-folder build to pack (default: dist/tjv-desktop)")
    p.add_argument("--linux-payload-for-checks", action="store_true",
                   help="accept this machine's Linux build, to check the MSI tables (the MSI is named -tablecheck)")
    p.add_argument("--out", type=Path, default=REPO / "dist" / "windows", help="output folder (default: dist/windows)")
    p.add_argument("--work", type=Path, default=REPO / "build" / "msi", help="staging folder, cleaned first")
    args = p.parse_args(argv)
    build(args.payload.resolve(), args.out.resolve(), args.work.resolve(), args.linux_payload_for_checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
