"""Builds the Debian package of the frozen app: ``dist/tjv-desktop_<version>_<arch>.deb`` (``make deb``).

The one-folder build goes to ``/opt/tjv-desktop``, with ``/usr/bin/tjv-desktop`` (a launcher), a desktop
entry and icons, and ``/etc/tjv-desktop/policy.json`` as a conffile (dpkg keeps it on remove, deletes it
on purge). Depends lists the Debian packages of the shared libraries the bundle needs but does not
carry, found from the ELF files themselves (``objdump -p``), with the glibc version they require. No
maintainer scripts: dpkg's own conffile handling is all the package needs.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
NAME = "tjv-desktop"
MAINTAINER = "TJV Desktop maintainers <tjv-desktop@example.org>"
CONFFILE = "/etc/tjv-desktop/policy.json"

DESCRIPTION = """\
Provider monitoring for patients recovering at home after joint replacement
 TJV Desktop shows clinicians every assigned patient recovering at home after
 a hip or knee replacement, raises clinical alarms and keeps working offline,
 on a Supabase backend. Machine policy: /etc/tjv-desktop/policy.json."""


def is_elf(path: Path) -> bool:
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as f:
        return f.read(4) == b"\x7fELF"


def elf_requirements(path: Path) -> tuple[set[str], tuple[int, ...]]:
    """The sonames ``path`` needs, and the highest GLIBC_x.y symbol version it references."""
    out = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True, check=True).stdout
    needed = set(re.findall(r"^\s+NEEDED\s+(\S+)$", out, re.M))
    glibc = [tuple(int(n) for n in v.split(".")) for v in re.findall(r"\sGLIBC_(\d+(?:\.\d+)+)\b", out)]
    return needed, max(glibc, default=())


def _system_libraries() -> dict[str, str]:
    """soname → path of the 64-bit libraries the dynamic loader knows (``ldconfig -p``)."""
    out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    found: dict[str, str] = {}
    for soname, flags, path in re.findall(r"^\s+(\S+) \(([^)]*)\) => (\S+)$", out, re.M):
        if "," in flags:  # "(libc6,x86-64)": the native 64-bit library, not a 32-bit "(libc6)" one
            found.setdefault(soname, path)
    return found


def _package_of(path: str) -> str:
    for candidate in (path, str(Path(path).resolve()), path.replace("/usr/lib/", "/lib/", 1),
                      path.replace("/lib/", "/usr/lib/", 1)):
        out = subprocess.run(["dpkg-query", "-S", candidate], capture_output=True, text=True)
        if out.returncode == 0:
            return out.stdout.split(":", 1)[0].strip()
    raise SystemExit(f"build_deb: no Debian package owns {path}")


def external_dependencies(app: Path) -> tuple[dict[str, str], tuple[int, ...]]:
    """soname → Debian package for every library some bundled ELF needs and the bundle lacks; and the
    highest glibc symbol version any of them references."""
    bundled = {p.name for p in app.rglob("*")}
    external: set[str] = set()
    glibc: tuple[int, ...] = ()
    for elf in filter(is_elf, app.rglob("*")):
        needed, version = elf_requirements(elf)
        external |= needed - bundled
        glibc = max(glibc, version)
    system = _system_libraries()
    missing = sorted(s for s in external if s not in system)
    if missing:
        raise SystemExit(f"build_deb: the bundle needs libraries this machine lacks: {', '.join(missing)}")
    return {soname: _package_of(system[soname]) for soname in sorted(external)}, glibc


def depends_field(packages: set[str], glibc: tuple[int, ...]) -> str:
    parts = []
    for package in sorted(packages):
        if package == "libc6" and glibc:
            parts.append(f"libc6 (>= {'.'.join(map(str, glibc))})")
        else:
            parts.append(package)
    return ", ".join(parts)


def _md5sums(root: Path) -> str:
    lines = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("DEBIAN/"):
            continue
        lines.append(f"{hashlib.md5(path.read_bytes()).hexdigest()}  {rel}")  # noqa: S324 - dpkg's format
    return "\n".join(lines) + "\n"


def stage(app: Path, root: Path, version: str) -> dict[str, str]:
    """Lays out the package tree in ``root``; returns the control fields."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(app, root / "opt" / NAME, symlinks=True)
    for folder, files in {
        "usr/bin": [(HERE / "tjv-desktop.sh", NAME, 0o755)],
        "usr/share/applications": [(HERE / "tjv-desktop.desktop", f"{NAME}.desktop", 0o644)],
        "usr/share/icons/hicolor/scalable/apps": [(REPO / "resources/icons/tjv-desktop.svg", f"{NAME}.svg", 0o644)],
        "usr/share/icons/hicolor/256x256/apps": [(app / f"{NAME}.png", f"{NAME}.png", 0o644)],
        "etc/tjv-desktop": [(HERE / "policy.json", "policy.json", 0o644)],
        "usr/share/doc/tjv-desktop": [(HERE / "copyright", "copyright", 0o644),
                                      (REPO / "packaging/README.md", "README.md", 0o644)],
    }.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for source, name, mode in files:
            shutil.copyfile(source, root / folder / name)
            (root / folder / name).chmod(mode)
    for path in root.rglob("*"):  # whatever the build machine's umask was
        if path.is_dir():
            path.chmod(0o755)
    libraries, glibc = external_dependencies(root / "opt" / NAME)
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()
    size_kb = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink()) // 1024
    fields = {"Package": NAME, "Version": version, "Architecture": arch, "Maintainer": MAINTAINER,
              "Installed-Size": str(size_kb), "Depends": depends_field(set(libraries.values()), glibc),
              "Section": "misc", "Priority": "optional", "Description": DESCRIPTION}
    debian = root / "DEBIAN"
    debian.mkdir(mode=0o755)
    (debian / "control").write_text("".join(f"{k}: {v}\n" for k, v in fields.items()), encoding="utf-8")
    (debian / "conffiles").write_text(CONFFILE + "\n")
    (debian / "md5sums").write_text(_md5sums(root))
    return fields


def build(app: Path, out_dir: Path, work: Path, compression: str) -> Path:
    if not (app / NAME).is_file():
        raise SystemExit(f"build_deb: no frozen build at {app}; run make frozen first")
    started = time.monotonic()
    sys.path.insert(0, str(REPO))
    from tjv_desktop import __version__

    fields = stage(app, work / "root", __version__)
    out_dir.mkdir(parents=True, exist_ok=True)
    deb = out_dir / f"{NAME}_{fields['Version']}_{fields['Architecture']}.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", f"-Z{compression}", "--build", str(work / "root"), str(deb)],
                   check=True, stdout=subprocess.DEVNULL)
    print(f"build_deb: {deb} ({deb.stat().st_size / 1e6:.0f} MB, {compression}) built in "
          f"{time.monotonic() - started:.0f} s; Depends: {fields['Depends']}")
    return deb


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--app", type=Path, default=REPO / "dist" / NAME, help="the frozen build (default: dist/tjv-desktop)")
    p.add_argument("--out", type=Path, default=REPO / "dist", help="where the .deb goes (default: dist/)")
    p.add_argument("--work", type=Path, default=REPO / "build" / "deb", help="staging folder, cleaned first")
    p.add_argument("--compression", choices=("xz", "gzip", "zstd"), default="xz",
                   help="xz (default) makes the smallest package; gzip builds fastest")
    args = p.parse_args(argv)
    build(args.app.resolve(), args.out.resolve(), args.work.resolve(), args.compression)
    return 0


if __name__ == "__main__":
    sys.exit(main())
