"""Folders that hold patient data (the local store): created readable by their owner only."""

from __future__ import annotations

from pathlib import Path


def private_folder(path: Path) -> None:
    """Creates ``path`` and each missing parent with mode 0700 (``mkdir(parents=True)`` would make the
    parents world-readable); a folder that already exists is left as it is: it may be shared, such as
    the home folder above a ``--store`` file."""
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir(mode=0o700, exist_ok=True)
