"""How every benchmark ends: print its figures, and write them as JSON where asked."""

from __future__ import annotations

import json
from pathlib import Path


def report(results: dict, json_path: Path | None, *, echo: bool = True) -> None:
    text = json.dumps(results, indent=2)
    if echo:
        print(text)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(text + "\n")
