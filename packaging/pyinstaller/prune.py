"""Leaves a Qt plugin out of the bundle, with the shared libraries that only it needed.

Qt's GTK 3 platform theme (``platformthemes/libqgtk3.so``) makes PyInstaller copy the build machine's
whole GTK stack (GTK, GDK, ATK, Pango, Cairo, HarfBuzz: about 25 MB) into the bundle, and a bundled GTK
loading the desktop's own GTK modules and themes is a known source of crashes on other distributions.
The app sets its own style and palette, so it does not need the theme. A library is dropped only when no
remaining binary needs it (``objdump -p`` NEEDED entries), so nothing another part uses can go missing;
libraries loaded with dlopen are never candidates.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path, PurePosixPath


def _needed(path: str) -> set[str]:
    out = subprocess.run(["objdump", "-p", path], capture_output=True, text=True)
    return set(re.findall(r"^\s+NEEDED\s+(\S+)$", out.stdout, re.M)) if out.returncode == 0 else set()


def without_plugins(binaries: list[tuple], plugin_names: tuple[str, ...]) -> tuple[list[tuple], list[str]]:
    """``binaries`` (PyInstaller's TOC: dest, source, kind) minus the plugins named and the libraries
    only they needed; returns the new list and the dropped destination names."""
    by_dest = {dest.replace("\\", "/"): entry for entry in binaries for dest in [entry[0]]}
    name_to_dest: dict[str, list[str]] = {}
    for dest in by_dest:
        name_to_dest.setdefault(PurePosixPath(dest).name, []).append(dest)
    plugins = {d for d in by_dest if PurePosixPath(d).name in plugin_names and "/plugins/" in d}
    needs = {d: _needed(str(Path(e[1]))) for d, e in by_dest.items()}

    reach: set[str] = set()  # everything the plugins pull in
    todo = list(plugins)
    while todo:
        for name in needs.get(todo.pop(), ()):
            for dest in name_to_dest.get(name, ()):
                if dest not in reach and dest not in plugins:
                    reach.add(dest)
                    todo.append(dest)
    drop = set(reach)
    changed = True
    while changed:  # keep whatever any binary that stays still needs
        changed = False
        for dest in by_dest:
            if dest in plugins or dest in drop:
                continue
            for name in needs[dest]:
                for needed_dest in name_to_dest.get(name, ()):
                    if needed_dest in drop:
                        drop.discard(needed_dest)
                        changed = True
    dropped = plugins | drop
    return [e for d, e in by_dest.items() if d not in dropped], sorted(dropped)
