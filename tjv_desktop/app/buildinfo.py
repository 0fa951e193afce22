"""What build this is: the version and the commit it was built from, for ``--version`` and support calls.

A frozen build carries a generated module ``_tjv_build_info`` (written by ``packaging/build_frozen.py``
into the build folder, never into the source tree, so a checkout never reports a stale build). Run from
source, the commit comes from ``git describe`` on the checkout, else "unknown". There is no update
check anywhere: hospital IT deploys every version.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .. import __version__


@dataclass(frozen=True, slots=True)
class BuildInfo:
    version: str
    commit: str
    built_at: str  # ISO date-time of the build, "" from source

    def describe(self) -> str:
        built = f", built {self.built_at}" if self.built_at else ""
        return f"tjv-desktop {self.version} (commit {self.commit}{built})"


def frozen() -> bool:
    """True inside the PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False))


def _git_commit(checkout: Path) -> str:
    if not (checkout / ".git").exists():
        return "unknown"
    try:
        out = subprocess.run(["git", "-C", str(checkout), "describe", "--always", "--dirty", "--abbrev=12"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"


def build_info() -> BuildInfo:
    try:
        import _tjv_build_info as generated  # type: ignore[import-not-found]  # only in a frozen build
    except ImportError:
        return BuildInfo(__version__, _git_commit(Path(__file__).resolve().parents[2]), "")
    return BuildInfo(generated.VERSION, generated.COMMIT, generated.BUILT_AT)
