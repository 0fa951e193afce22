"""Inserts per second into vital_signs with and without the database's clinical rules (the statement-level
trigger of migration 20261206001000), single rows and batches, in the same run so the overhead is a ratio.

    .venv/bin/python benchmarks/vitals_rules.py [--patients 100] [--rows 2000] [--batch 100] [--json PATH]

A private PostgreSQL cluster (as the sandbox starts it) with the migrations and seed; a tenant of
``--patients`` patients, each assigned to two clinicians and the coordinator. Samples are mostly
normal with deteriorations now and then (about one in twelve abnormal), so the rules raise, raise the
priority of and resolve alerts as on a ward. "Without" disables the trigger; each phase writes
``--rows`` rows as separate single-row statements (autocommit, as a patient's app writes) and as
INSERTs of ``--batch`` rows (as a gateway uploads).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from report import report  # noqa: E402 - benchmarks/report.py, beside this script

from tjv_sandbox.database import prepare_database  # noqa: E402
from tjv_sandbox.postgres import PostgresCluster  # noqa: E402

INSERT = """
insert into public.vital_signs (patient_id, measured_at, heart_rate, spo2, respiratory_rate, temperature,
                                systolic_bp, source)
select * , 'device' from unnest($1::uuid[], $2::timestamptz[], $3::int[], $4::int[], $5::int[], $6::numeric[],
                                $7::int[])
"""


def samples(patients: list, count: int, start: datetime, rng: random.Random) -> list[tuple]:
    rows = []
    for i in range(count):
        abnormal = rng.random() < 1 / 12
        rows.append((patients[i % len(patients)], start + timedelta(seconds=i),
                     rng.randint(112, 140) if abnormal else rng.randint(60, 95),
                     rng.randint(86, 93) if abnormal else rng.randint(95, 99),
                     rng.randint(12, 20), round(rng.uniform(36.2, 37.6), 1), rng.randint(105, 140)))
    return rows


def columns(rows: list[tuple]) -> list[list]:
    return [list(c) for c in zip(*rows, strict=True)]


async def make_ward(conn: asyncpg.Connection, count: int) -> list:
    tenant = await conn.fetchval("insert into tenants (name, slug) values ('Bench', 'bench') returning id")
    staff = [await conn.fetchval("insert into providers (tenant_id, full_name, role) values ($1, $2, $3) returning id",
                                 tenant, name, role)
             for name, role in [("a", "clinician"), ("b", "clinician"), ("c", "coordinator")]]
    patients = [await conn.fetchval("insert into patients (tenant_id, full_name) values ($1, 'P') returning id",
                                    tenant) for _ in range(count)]
    await conn.executemany("insert into provider_assignments (tenant_id, provider_id, patient_id) values ($1, $2, $3)",
                           [(tenant, s, p) for p in patients for s in staff])
    return patients


async def phase(conn: asyncpg.Connection, rows: list[tuple], batch: int) -> float:
    """Rows per second writing ``rows`` in statements of ``batch`` rows."""
    await conn.execute("checkpoint")
    started = time.perf_counter()
    for i in range(0, len(rows), batch):
        await conn.execute(INSERT, *columns(rows[i:i + batch]))
    return len(rows) / (time.perf_counter() - started)


async def run(dsn: str, patients_count: int, count: int, batch: int) -> dict:
    conn = await asyncpg.connect(dsn)
    try:
        patients = await make_ward(conn, patients_count)
        rng = random.Random(7)
        start = datetime.now(UTC) - timedelta(days=1)
        results: dict = {}
        for rules in (True, False, True, False):  # interleaved, so drift hits both alike
            await conn.execute(f"alter table vital_signs {'enable' if rules else 'disable'} trigger apply_vital_rules")
            for size in (1, batch):
                rate = await phase(conn, samples(patients, count, start, rng), size)
                start += timedelta(seconds=count)
                key = f"{'with' if rules else 'without'}_rules_batch_{size}_rows_per_s"
                results[key] = max(results.get(key, 0.0), round(rate, 1))
        await conn.execute("alter table vital_signs enable trigger apply_vital_rules")
        results["alert_events"] = await conn.fetchval("select count(distinct event_id) from patient_alerts "
                                                      "where patient_id = any($1::uuid[])", patients)
        for size in (1, batch):
            results[f"overhead_batch_{size}"] = round(
                results[f"without_rules_batch_{size}_rows_per_s"] / results[f"with_rules_batch_{size}_rows_per_s"], 2)
        results["server_version"] = await conn.fetchval("show server_version")
        return results
    finally:
        await conn.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--patients", type=int, default=100)
    p.add_argument("--rows", type=int, default=2000, help="rows per phase")
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    root = Path(tempfile.mkdtemp(prefix="tjv-bench-rules-", dir="/tmp"))
    root.chmod(0o711)
    cluster = PostgresCluster(root / "db")
    try:
        info = cluster.start()
        asyncio.run(prepare_database(info.dsn()))
        results = asyncio.run(run(info.dsn(), args.patients, args.rows, args.batch))
    finally:
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    report({"benchmark": "vitals_rules", "patients": args.patients, "rows_per_phase": args.rows,
            "batch": args.batch, "best_of": 2, **results, "python": platform.python_version(),
            "machine": platform.machine()}, args.json)


if __name__ == "__main__":
    main()
