"""Logging for every entry point: to stderr, and never a patient identifier from library chatter.

httpx logs each request URL at INFO, and resync URLs carry patient ids, so it only speaks from WARNING.
"""

from __future__ import annotations

import logging
import sys

_QUIET_LIBRARIES = ("httpx", "httpcore", "hpack")


def configure(level: str = "INFO") -> None:
    logging.basicConfig(level=level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in _QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLogger().level))
