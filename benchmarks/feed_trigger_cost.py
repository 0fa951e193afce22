"""Cost of the live feed's vital_signs trigger (migration 20261206002020): rows/s inserted with and without
it, for three shapes of write, on a private PostgreSQL with the schema and seed (24 patients, each on the
panels of 2–3 providers):

- single: one row per statement and transaction (one device per commit);
- panel: 24 rows per statement (a gateway committing every patient's reading at once);
- bulk: 10,000 rows per statement (an import or backfill).

    .venv/bin/python benchmarks/feed_trigger_cost.py [--seconds 5] [--json artifacts/bench-feed-trigger.json]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import time
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from report import report  # noqa: E402 - benchmarks/report.py, beside this script

from tests.support.sandbox import make_data_root  # noqa: E402
from tjv_sandbox.database import prepare_database  # noqa: E402
from tjv_sandbox.postgres import PostgresCluster  # noqa: E402

INSERT = """
insert into vital_signs (tenant_id, patient_id, measured_at, heart_rate, spo2, respiratory_rate, temperature,
                         systolic_bp, diastolic_bp, source)
select p.tenant_id, p.id, now() - make_interval(secs => g), 70, 97, 15, 36.8, 120, 75, 'device'
from (select * from patients order by id limit $1) p, generate_series(1, $2) g
"""
SHAPES = {"single": (1, 1), "panel": (24, 1), "bulk": (24, 417)}  # (patients, rows per patient)


async def measure(conn: asyncpg.Connection, shape: str, seconds: float) -> dict:
    patients, per_patient = SHAPES[shape]
    rows = statements = 0
    messages_before = await conn.fetchval("select count(*) from realtime.messages")
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        await conn.execute(INSERT, patients, per_patient)
        rows += patients * per_patient
        statements += 1
    elapsed = time.perf_counter() - started
    messages = await conn.fetchval("select count(*) from realtime.messages") - messages_before
    return {"rows_per_s": round(rows / elapsed), "statements_per_s": round(statements / elapsed, 1),
            "rows": rows, "messages": messages}


async def run(dsn: str, seconds: float) -> dict:
    await prepare_database(dsn)
    conn = await asyncpg.connect(dsn)
    results: dict = {}
    try:
        for shape in SHAPES:
            await conn.execute("alter table vital_signs disable trigger feed_insert")
            without = await measure(conn, shape, seconds)
            await conn.execute("alter table vital_signs enable trigger feed_insert")
            with_feed = await measure(conn, shape, seconds)
            results[shape] = {"without_feed": without, "with_feed": with_feed,
                              "cost": f"{1 - with_feed['rows_per_s'] / without['rows_per_s']:.0%}"}
    finally:
        await conn.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="per shape and setting")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    root = make_data_root("tjv-bench-feed-")
    cluster = PostgresCluster(root / "db")
    info = cluster.start()
    try:
        report(asyncio.run(run(info.dsn(), args.seconds)), args.json)
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
