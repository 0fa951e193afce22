"""Logging for every entry point: to stderr, and never a patient identifier from library chatter.

httpx logs each request URL at INFO, and resync URLs carry patient ids, so it only speaks from WARNING.
A windowed Windows build has no stderr: it logs to ``%LOCALAPPDATA%\\TJV Desktop\\logs\\tjv-desktop.log``
instead (rotated at 5 MB, three kept), never into the install folder.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys

_QUIET_LIBRARIES = ("httpx", "httpcore", "hpack")


def configure(level: str = "INFO") -> None:
    fmt = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    if sys.stderr is None:  # a windowed (no console) frozen build
        from .settings import user_data_dir

        folder = user_data_dir() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            folder / "tjv-desktop.log", maxBytes=5_000_000, backupCount=3, encoding="utf-8")
        handler.setFormatter(logging.Formatter(fmt))
        logging.basicConfig(level=level.upper(), handlers=[handler])
    else:
        logging.basicConfig(level=level.upper(), stream=sys.stderr, format=fmt)
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
