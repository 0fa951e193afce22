"""Monitoring-window benchmark: frame time and input latency with 200 patients streaming vitals at 1 Hz
and a burst of alerts (offscreen Qt, the real MainWindow on an in-memory store fed by change-sets).

Figures:
- repaint: a full synchronous repaint of the 1920×1080 window (what one frame costs), p50/p95/p99;
- loop lag: lateness of a 60 Hz timer (how long the event loop was busy), p50/p95/p99 and implied fps;
- input latency: a posted key press (Down in the census) until the selection has moved, p50/p95/p99.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/ui_frame_time.py [--seconds 20] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEvent, Qt, QTimer  # noqa: E402
from PySide6.QtGui import QKeyEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402
from report import report  # noqa: E402 - benchmarks/report.py, beside this script

from tests.support.gui import offline_window, populate, run_qt  # noqa: E402
from tjv_desktop.backend.health import percentile  # noqa: E402
from tjv_desktop.domain.events import LinkState  # noqa: E402
from tjv_desktop.store import LocalStore  # noqa: E402
from tjv_desktop.sync.worker import StoreWorker  # noqa: E402
from tjv_desktop.ui.tables import apply_dark_palette  # noqa: E402

PATIENTS = 200


def stats(values_ms: list[float]) -> dict:
    return {"p50_ms": round(percentile(values_ms, 50) or 0, 2), "p95_ms": round(percentile(values_ms, 95) or 0, 2),
            "p99_ms": round(percentile(values_ms, 99) or 0, 2), "max_ms": round(max(values_ms, default=0), 2),
            "samples": len(values_ms)}


async def scenario(app: QApplication, seconds: float) -> dict:
    worker = StoreWorker(None, None)
    await worker.open()
    start = datetime.now(UTC)
    batch = populate(start, PATIENTS)
    await worker.call(LocalStore.apply_batch, batch)
    patient_ids = [p["id"] for p in batch["patients"]]
    apply_dark_palette(app)
    window = offline_window(worker, user_label="bench")
    await window.start()
    window.set_link_state(LinkState.CONNECTED)
    window.resize(1920, 1080)
    window.show()
    window.select_patient(window.census_proxy.key_at(0))
    window.census_view.setFocus()

    repaint_ms: list[float] = []
    lag_ms: list[float] = []
    input_ms: list[float] = []
    last_tick = [time.perf_counter()]

    def on_frame() -> None:
        now = time.perf_counter()
        lag_ms.append(max(0.0, (now - last_tick[0]) * 1000 - 1000 / 60))
        last_tick[0] = now

    frame_timer = QTimer()
    frame_timer.setTimerType(Qt.TimerType.PreciseTimer)
    frame_timer.timeout.connect(on_frame)
    frame_timer.start(int(1000 / 60))

    next_vital = max(v["id"] for v in batch["vitals"]) + 1
    ended = time.monotonic() + seconds
    second = 0
    while time.monotonic() < ended:
        # 1 Hz: one vitals row per patient, applied and announced as the sync engine does.
        now = datetime.now(UTC).isoformat()
        rows = [{"id": next_vital + n, "patient_id": pid, "measured_at": now, "updated_at": now, "heart_rate": 80 + n % 9,
                 "spo2": 97, "respiratory_rate": 15, "temperature": 36.9, "systolic_bp": 124, "diastolic_bp": 78,
                 "pain_score": 3} for n, pid in enumerate(patient_ids)]
        next_vital += len(rows)
        update = {"vitals": rows}
        if second == int(seconds / 2):  # the burst: 50 new alerts at once
            update["alerts"] = [{"id": str(uuid.uuid4()), "patient_id": patient_ids[n], "provider_id": "prov-1",
                                 "priority": ("high", "medium", "low")[n % 3], "kind": f"burst-{n}",
                                 "message": f"Heart rate {131 + n % 9} /min (limit 130 /min)", "state": "active",
                                 "raised_at": now, "updated_at": now} for n in range(50)]
        window.handle_changes(await worker.call(LocalStore.apply_batch, update))
        # Within the second: a few frames and a few key presses, measured.
        for _ in range(4):
            started = time.perf_counter()
            window.repaint()
            repaint_ms.append((time.perf_counter() - started) * 1000)
            before = window.census_view.currentIndex().row()
            moved = asyncio.get_running_loop().create_future()
            sent = time.perf_counter()
            selection = window.census_view.selectionModel()

            def on_move(current, _previous, fut=moved, t0=sent) -> None:
                if not fut.done():
                    fut.set_result((time.perf_counter() - t0) * 1000)

            selection.currentChanged.connect(on_move)
            key = Qt.Key.Key_Down if before < PATIENTS - 2 else Qt.Key.Key_Home
            QApplication.postEvent(window.census_view, QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier))
            try:
                input_ms.append(await asyncio.wait_for(moved, 2.0))
            except TimeoutError:
                input_ms.append(2000.0)
            finally:
                selection.currentChanged.disconnect(on_move)
            await asyncio.sleep(0.2)  # the load's pace
        second += 1
    frame_timer.stop()
    census_rows = window.census_model.rowCount()
    await window.stop()
    window.close()
    await worker.close()
    lag = stats(lag_ms)
    return {"patients": census_rows, "seconds": seconds, "vitals_per_s": PATIENTS, "alert_burst": 50,
            "repaint": stats(repaint_ms), "loop_lag": lag,
            "implied_fps_p95": round(1000 / (1000 / 60 + lag["p95_ms"]), 1),
            "input_latency": stats(input_ms)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=20)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    app = QApplication.instance() or QApplication([])
    report(run_qt(app, lambda: scenario(app, args.seconds), timeout=args.seconds + 120), args.json)


if __name__ == "__main__":
    main()
