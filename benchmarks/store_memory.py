"""A station's memory with 72 h of vitals for 200 patients in its store, and its cold start from that store.

    .venv/bin/python benchmarks/store_memory.py [--patients 200] [--hours 72] [--json PATH]

Builds an encrypted store file holding ``--patients`` patients with a vital-signs row a minute for
``--hours`` hours (200 × 72 h ≈ 864k rows, as the server sends them), then starts a fresh process that
does what the station does when it starts offline: opens the store on its worker thread, builds the real
window on the real engine (no server), shows it at 1920×1080 and waits until the census lists every
patient. That process reports its peak and final resident memory and how long each step took from its
own start (interpreter and imports included; the frozen build is measured by frozen_app.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STARTED = time.perf_counter()


def rss_mb() -> dict:
    """Resident memory now and at its peak, from /proc (Linux)."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mb": fields.get("VmRSS"), "peak_rss_mb": fields.get("VmHWM")}


def build(path: Path, key: bytes, patients: int, hours: int) -> dict:
    from tjv_desktop.store import LocalStore

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    ids = [str(uuid.UUID(int=n + 1)) for n in range(patients)]
    started = time.perf_counter()
    store = LocalStore.open(path, key)
    try:
        store.apply_batch({
            "patients": [{"id": pid, "full_name": f"Patient {n}", "procedure": "TKA", "side": "left",
                          "surgery_date": (now - timedelta(days=3)).date().isoformat(),
                          "updated_at": now.isoformat()} for n, pid in enumerate(ids)],
            "patient_status": [{"patient_id": pid, "status": "stable", "news2_score": 1,
                                "updated_at": now.isoformat()} for pid in ids]})
        vid, rows = 0, []
        for minute in range(hours * 60, 0, -1):
            at = (now - timedelta(minutes=minute)).isoformat()
            for pid in ids:
                vid += 1
                rows.append({"id": vid, "patient_id": pid, "measured_at": at, "heart_rate": 70 + vid % 20,
                             "spo2": 95 + vid % 4, "respiratory_rate": 14 + vid % 5, "temperature": 36.8,
                             "systolic_bp": 120 + vid % 15, "diastolic_bp": 78, "pain_score": vid % 6,
                             "created_at": at, "updated_at": at})
            if len(rows) >= 20_000:
                store.apply_batch({"vitals": rows})
                rows = []
        if rows:
            store.apply_batch({"vitals": rows})
        store.checkpoint()
    finally:
        store.close()
    return {"vitals_rows": vid, "build_s": round(time.perf_counter() - started, 1),
            "file_mb": round(path.stat().st_size / 2**20, 1)}


async def start_station(path: Path, key: bytes, patients: int) -> dict:
    """The station's offline start on the store: worker, real engine and window, census populated."""

    from tests.support.gui import offline_window, until
    from tjv_desktop.sync.worker import StoreWorker

    steps = {"imports_s": round(time.perf_counter() - STARTED, 3)}
    worker = StoreWorker(path, key)
    await worker.open()
    steps["store_open_s"] = round(time.perf_counter() - STARTED, 3)
    window = offline_window(worker, provider_id="prov-1")
    try:
        await window.start()
        window.resize(1920, 1080)
        window.show()
        await until(lambda: window.census_model.rowCount() == patients, 60, "the census lists every patient")
        await asyncio.sleep(0.05)  # the census paints once
        steps["census_populated_s"] = round(time.perf_counter() - STARTED, 3)
        return {**steps, **rss_mb()}
    finally:
        await window.stop()
        window.close()
        await worker.close()


def child(path: Path, key_hex: str, patients: int) -> None:
    from PySide6.QtWidgets import QApplication

    from tests.support.gui import run_qt

    app = QApplication.instance() or QApplication(["store-memory"])
    result = run_qt(app, lambda: start_station(path, bytes.fromhex(key_hex), patients), timeout=300)
    print(json.dumps(result), flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--patients", type=int, default=200)
    p.add_argument("--hours", type=int, default=72)
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--child", nargs=2, metavar=("STORE", "KEY"), help=argparse.SUPPRESS)
    args = p.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.child:
        child(Path(args.child[0]), args.child[1], args.patients)
        return
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from report import report

    key = secrets.token_bytes(32)
    with tempfile.TemporaryDirectory(prefix="tjv-store-memory-") as folder:
        path = Path(folder) / "station.sqlite"
        results = {"patients": args.patients, "hours": args.hours, **build(path, key, args.patients, args.hours)}
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        done = subprocess.run([sys.executable, __file__, "--patients", str(args.patients), "--child", str(path),
                               key.hex()], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise SystemExit(f"the station did not start on the store:\n{done.stderr[-3000:]}")
        results["station_on_the_store"] = json.loads(done.stdout.strip().splitlines()[-1])
    results["builder_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    report(results, args.json)


if __name__ == "__main__":
    main()
