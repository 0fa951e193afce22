"""Chart benchmark: a patient's 72 h chart loaded and drawn, with 200 patients × 72 h of vitals at 1/min
(≈864k rows) in the store (offscreen Qt, the real PatientDetail pane on the real read side).

Figures, for several patients in turn:
- load: the read side's detail query on the store's thread (vitals since 72 h, alerts, messages);
- draw: from the detail view to a painted pane (show_patient at 72 h, then a synchronous repaint of the
  charts' viewport), the "72 h chart drawn" figure; with ``--profile``, cProfile's top entries of it.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/chart_draw.py [--patients 200] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtWidgets import QApplication  # noqa: E402
from report import report  # noqa: E402 - benchmarks/report.py, beside this script

from tests.support.gui import run_qt  # noqa: E402
from tjv_desktop.backend.health import percentile  # noqa: E402
from tjv_desktop.store import LocalStore  # noqa: E402
from tjv_desktop.sync import read_side  # noqa: E402
from tjv_desktop.sync.worker import StoreWorker  # noqa: E402
from tjv_desktop.ui.patient_detail import PatientDetail  # noqa: E402
from tjv_desktop.ui.tables import apply_dark_palette  # noqa: E402

HOURS = 72
MEASURED = 5  # patients whose chart is loaded and drawn


def history(now: datetime, patients: int, chunk_minutes: int = 360):
    """Batches of 72 h of vitals at 1/min for ``patients`` patients, ``chunk_minutes`` of history each."""
    ids = [str(uuid.UUID(int=i + 1)) for i in range(patients)]
    yield {"patients": [{"id": pid, "full_name": f"Patient {n}", "procedure": "TKA", "side": "left",
                         "updated_at": now.isoformat()} for n, pid in enumerate(ids)]}
    vid = 0
    for start in range(HOURS * 60, 0, -chunk_minutes):
        rows = []
        for minute in range(start, max(start - chunk_minutes, 0), -1):
            at = (now - timedelta(minutes=minute)).isoformat()
            for n, pid in enumerate(ids):
                vid += 1
                rows.append({"id": vid, "patient_id": pid, "measured_at": at, "updated_at": at,
                             "heart_rate": 70 + (minute + n) % 25, "spo2": 93 + minute % 6,
                             "respiratory_rate": 14 + minute % 5, "temperature": 36.6 + (minute % 9) / 10,
                             "systolic_bp": 115 + minute % 20, "diastolic_bp": 72 + minute % 9,
                             "pain_score": minute % 7})
        yield {"vitals": rows}


def stats(values: list[float]) -> dict:
    return {"p50_ms": round(percentile(values, 50) or 0, 1), "max_ms": round(max(values, default=0), 1),
            "samples": len(values)}


async def scenario(app: QApplication, patients: int, profile: bool) -> dict:
    worker = StoreWorker(None, None)
    await worker.open()
    now = datetime.now(UTC)
    started = time.perf_counter()
    rows = 0
    for batch in history(now, patients):
        await worker.call(LocalStore.apply_batch, batch)
        rows += len(batch.get("vitals", ()))
    fill_s = time.perf_counter() - started
    apply_dark_palette(app)
    detail = PatientDetail(now=lambda: now)
    detail.resize(760, 900)  # the detail pane of a 1920×1080 window
    detail.show()
    detail.set_hours(HOURS)
    app.processEvents()
    load_ms, draw_ms, points = [], [], []
    profiler = cProfile.Profile() if profile else None
    for n in range(MEASURED):
        pid = str(uuid.UUID(int=n + 1))
        t0 = time.perf_counter()
        view = await worker.call(read_side.patient_detail, pid, now - timedelta(hours=HOURS), "prov-1")
        t1 = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        detail.show_patient(view)
        detail.charts.viewport().repaint()  # synchronous: the charts painted, not just scheduled
        if profiler is not None:
            profiler.disable()
        t2 = time.perf_counter()
        load_ms.append((t1 - t0) * 1000)
        draw_ms.append((t2 - t1) * 1000)
        points.append(len(view.vitals))
        await asyncio.sleep(0)
    detail.close()
    await worker.close()
    result = {"patients": patients, "vitals_in_store": rows, "store_fill_s": round(fill_s, 1),
              "points_per_chart": points[0], "load": stats(load_ms), "draw": stats(draw_ms)}
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
        result["profile_top"] = out.getvalue().splitlines()[:40]
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--patients", type=int, default=200)
    p.add_argument("--profile", action="store_true")
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    app = QApplication.instance() or QApplication([])
    report(run_qt(app, lambda: scenario(app, args.patients, args.profile), timeout=1800), args.json)


if __name__ == "__main__":
    main()
