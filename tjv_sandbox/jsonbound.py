"""JSON from clients with a bound on nesting depth.

``json.loads`` recurses once per level and raises RecursionError near Python's recursion limit; a value
just under that limit then breaks whatever walks it later (encoding it again, comparing it). Every body
and frame the sandbox decodes goes through ``loads`` here, which refuses both with a ValueError.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 128  # far beyond any real payload, far below Python's recursion limit


class TooDeep(ValueError):
    """The JSON nests deeper than MAX_DEPTH (or than the decoder could follow)."""


def loads(data: str | bytes | bytearray, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` that raises ValueError (never RecursionError) for invalid or too-deep JSON."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise TooDeep(f"JSON nested deeper than {max_depth} levels") from None
    if _openings(data) > max_depth and depth(value) > max_depth:
        raise TooDeep(f"JSON nested deeper than {max_depth} levels")
    return value


def _openings(data: str | bytes | bytearray) -> int:
    """An upper bound of the nesting depth, counted at C speed (most payloads stop the check here)."""
    if isinstance(data, str):
        return data.count("[") + data.count("{")
    return data.count(b"[") + data.count(b"{")


def depth(value: Any) -> int:
    """Nesting depth of a decoded JSON value, without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest
