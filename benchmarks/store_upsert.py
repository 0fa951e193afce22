"""Encrypted, versioned upserts of vital signs into the local store: rows per second.

    .venv/bin/python benchmarks/store_upsert.py [--rows 100000] [--batch 1000] [--json PATH]

Each phase applies ``--rows`` vitals in ``apply`` calls of ``--batch`` rows (one transaction each):
new rows, newer versions of them (each row re-encrypted and rewritten), and a replay of the same
versions (the idempotent no-op a resync overlap produces).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import platform
import secrets
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from report import report  # noqa: E402 - benchmarks/report.py, beside this script

from tjv_desktop.store import LocalStore  # noqa: E402

START = datetime(2026, 11, 24, tzinfo=UTC)


def make_rows(count: int, version: datetime) -> list[dict]:
    rows = []
    for i in range(count):
        measured = START + timedelta(seconds=i)
        rows.append(
            {
                "id": i + 1,
                "patient_id": f"00000000-0000-4000-8000-{i % 200:012d}",
                "measured_at": measured.isoformat(),
                "updated_at": version.isoformat(),
                "heart_rate": 60 + i % 50,
                "spo2": 90 + i % 10,
                "systolic_bp": 110 + i % 40,
                "respiratory_rate": 12 + i % 10,
                "temperature_c": 36.5 + (i % 20) / 10,
                "source": "wearable",
            }
        )
    return rows


def timed(store: LocalStore, rows: list[dict], batch: int) -> tuple[float, int]:
    changed = 0
    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        changes = store.apply("vitals", rows[start : start + batch])
        changed += len(changes.keys("vitals"))
    return time.perf_counter() - started, changed


def run(path: Path | None, rows: int, batch: int) -> dict:
    store = LocalStore.open(path, secrets.token_bytes(32))
    first = make_rows(rows, START + timedelta(days=3))
    newer = make_rows(rows, START + timedelta(days=3, seconds=1))
    results = {}
    for phase, data in (("insert", first), ("update", newer), ("replay", newer)):
        seconds, changed = timed(store, data, batch)
        results[phase] = {
            "seconds": round(seconds, 3),
            "rows_per_s": round(rows / seconds),
            "changed": changed,
        }
    store.close()
    if path is not None:
        results["file_bytes"] = path.stat().st_size
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--json", type=Path, help="write the figures here as JSON")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tjv-bench-") as folder:
        figures = {
            "benchmark": "store_upsert",
            "rows": args.rows,
            "batch": args.batch,
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "sqlite_utils": importlib.metadata.version("sqlite-utils"),
            "cryptography": importlib.metadata.version("cryptography"),
            "file": run(Path(folder) / "bench.db", args.rows, args.batch),
            "memory": run(None, args.rows, args.batch),
        }
    for mode in ("file", "memory"):
        for phase in ("insert", "update", "replay"):
            r = figures[mode][phase]
            print(
                f"{mode:6} {phase:6} {r['rows_per_s']:>9,} rows/s  ({r['seconds']} s, {r['changed']} changed)"
            )
    report(figures, args.json, echo=False)  # the table above is the printed form


if __name__ == "__main__":
    main()
