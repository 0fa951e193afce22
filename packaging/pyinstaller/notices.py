"""Licence notices for exactly what the frozen build bundles.

Called from the spec with the Analysis' module and binary lists, so the notices follow the bundle,
not a hand-kept list. PySide6 ships its Qt libraries under the LGPL-3.0 and its wheels carry no
licence text, so the LGPL and GPL texts come from ``packaging/licenses/``. On Linux, the system
libraries PyInstaller copied from the build host get their Debian copyright files.
"""

from __future__ import annotations

import importlib.metadata as md
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
LICENSE_TEXTS = HERE.parent / "licenses"

QT_NOTICE = """\
Qt and PySide6 (Qt for Python) are used under the GNU Lesser General Public License version 3
(LGPL-3.0, text in LGPL-3.0.txt, which incorporates GPL-3.0.txt). This build is a one-folder build: the
Qt libraries are separate shared libraries inside this folder (_internal/PySide6/Qt/lib on Linux,
_internal/PySide6 on Windows), loaded at run time, never linked into the application, so a user can
replace them with a compatible Qt {qt} build. The Qt sources are published by The Qt Company
(code.qt.io, download.qt.io); PySide6 {pyside} sources at code.qt.io/pyside/pyside-setup.
"""


def _license_of(dist: md.Distribution) -> str:
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return expression
    text = (meta.get("License") or "").strip()
    if text and len(text) < 80 and "\n" not in text:
        return text
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    return "; ".join(classifiers) or "see the licence files"


def _license_files(dist: md.Distribution) -> list[Path]:
    names = ("LICENSE", "LICENCE", "COPYING", "NOTICE", "AUTHORS")
    found = []
    for f in dist.files or []:
        parts = [p.upper() for p in f.parts]
        in_metadata = parts and parts[0].endswith((".DIST-INFO", ".EGG-INFO"))
        if in_metadata and (("LICENSES" in parts) or parts[-1].startswith(names)):
            found.append(Path(dist.locate_file(f)))
    return [p for p in found if p.is_file()]


def bundled_distributions(modules: Iterable[str]) -> list[md.Distribution]:
    """The installed distributions that provide any of the bundled top-level modules."""
    owners = md.packages_distributions()
    names = {dist for m in modules for dist in owners.get(m.split(".")[0], ())}
    names.discard("tjv-desktop")
    return sorted((md.distribution(n) for n in names), key=lambda d: d.metadata["Name"].lower())


def _debian_packages(binaries: Iterable[str]) -> dict[str, list[str]]:
    """Debian package → bundled system libraries, for libraries copied from outside Python's tree."""
    packages: dict[str, list[str]] = {}
    python_roots = tuple(str(Path(p).resolve()) for p in {sys.prefix, sys.base_prefix})
    for source in binaries:
        path = str(Path(source).resolve())
        if path.startswith(python_roots) or not shutil.which("dpkg-query"):
            continue
        out = subprocess.run(["dpkg-query", "-S", path], capture_output=True, text=True)
        if out.returncode != 0:  # a merged-/usr alias: ask for the /lib spelling
            alt = path.replace("/usr/lib/", "/lib/", 1)
            out = subprocess.run(["dpkg-query", "-S", alt], capture_output=True, text=True)
        if out.returncode == 0:
            package = out.stdout.split(":", 1)[0].strip()
            packages.setdefault(package, []).append(Path(path).name)
    return packages


def write(out: Path, modules: Iterable[str], binaries: Iterable[str]) -> Path:
    """Writes ``out/THIRD-PARTY-NOTICES.txt`` and ``out/<component>/`` licence files; returns ``out``."""
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for text in ("LGPL-3.0.txt", "GPL-3.0.txt"):
        shutil.copy2(LICENSE_TEXTS / text, out / text)
    lines = ["TJV Desktop: third-party components in this build", "=" * 50, "",
             QT_NOTICE.format(qt=qVersion(), pyside=pyside_version), "Python packages", "-" * 15]
    for dist in bundled_distributions(modules):
        name, version = dist.metadata["Name"], dist.version
        files = _license_files(dist)
        folder = out / f"{name}-{version}"
        for f in files:
            folder.mkdir(exist_ok=True)
            shutil.copy2(f, folder / f.name)
        where = f"licence files in licenses/{folder.name}/" if files else "no licence file in its distribution"
        lines.append(f"{name} {version}: {_license_of(dist)} ({where})")
    python_license = next((p for p in (Path(sys.base_prefix) / "LICENSE.txt",
                                       Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}."
                                       f"{sys.version_info.minor}" / "LICENSE.txt") if p.is_file()), None)
    lines += ["", "Python", "-" * 6, f"CPython {sys.version.split()[0]}: PSF-2.0"
              + (" (licenses/Python/LICENSE.txt)" if python_license else "")]
    if python_license:
        (out / "Python").mkdir()
        shutil.copy2(python_license, out / "Python" / "LICENSE.txt")
    debian = _debian_packages(binaries)
    if debian:
        lines += ["", "System libraries copied from the build machine (Debian packages)", "-" * 64]
        for package, libs in sorted(debian.items()):
            copyright_file = Path("/usr/share/doc") / package / "copyright"
            if copyright_file.is_file():
                (out / "debian" / package).mkdir(parents=True, exist_ok=True)
                shutil.copy2(copyright_file, out / "debian" / package / "copyright")
            lines.append(f"{package}: {', '.join(sorted(libs))} (licenses/debian/{package}/copyright)")
    (out / "THIRD-PARTY-NOTICES.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out
