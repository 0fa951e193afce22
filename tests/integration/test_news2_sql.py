"""The database's NEWS2 (private.news2, which raises the alerts) and the client's (domain/news2.py, which
displays scores) agree on every sub-score, the aggregate and the risk band, and both follow the RCP chart.

Scale 2 exists only in SQL (the client shows the score the database stored); its bands are checked
against the RCP chart directly."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from decimal import Decimal

import asyncpg
import pytest

from tjv_desktop.domain.news2 import NEWS2_PARAMETERS, score_news2
from tjv_desktop.domain.vitals import VitalSample

T0 = datetime(2026, 3, 1, tzinfo=UTC)
# Every band edge of the RCP chart, one either side, and the physiological extremes.
EDGES = {
    "respiratory_rate": [0, 7, 8, 9, 11, 12, 20, 21, 24, 25, 60],
    "spo2": [50, 83, 84, 85, 86, 87, 88, 91, 92, 93, 94, 95, 96, 97, 100],
    "systolic_bp": [40, 89, 90, 91, 100, 101, 110, 111, 219, 220, 300],
    "heart_rate": [20, 39, 40, 41, 50, 51, 90, 91, 110, 111, 130, 131, 250],
    "temperature": [Decimal(x) for x in ("30.0", "34.9", "35.0", "35.1", "36.0", "36.1", "38.0", "38.1",
                                          "39.0", "39.1", "42.5")],
}
SQL = """
select s.* from unnest($1::int[], $2::int[], $3::bool[], $4::int[], $5::int[], $6::text[], $7::numeric[])
  with ordinality as v(rr, spo2, o2, sbp, hr, acvpu, temp, n)
  cross join lateral private.news2(v.rr, v.spo2, v.o2, v.sbp, v.hr, v.acvpu, v.temp, $8) s
 order by v.n
"""


def random_sets(count: int, seed: int = 20261206) -> list[dict]:
    rng = random.Random(seed)
    sets = []
    for i in range(count):
        edge = i % 2 == 0  # half drawn from the edges, half anywhere in range
        values: dict = {}
        for name, edges in EDGES.items():
            if rng.random() < 0.08:
                values[name] = None  # not measured
            elif edge:
                values[name] = rng.choice(edges)
            elif name == "temperature":
                values[name] = Decimal(rng.randint(300, 425)) / 10
            else:
                values[name] = rng.randint(int(edges[0]), int(edges[-1]))
        values["on_oxygen"] = rng.random() < 0.3
        values["consciousness"] = rng.choice("AAAAACVPU")
        sets.append(values)
    return sets


async def score_in_sql(dsn: str, sets: list[dict], scale: int = 1) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        column = lambda name: [s[name] for s in sets]  # noqa: E731
        return await conn.fetch(SQL, column("respiratory_rate"), column("spo2"), column("on_oxygen"),
                                column("systolic_bp"), column("heart_rate"), column("consciousness"),
                                column("temperature"), scale)
    finally:
        await conn.close()


def test_sql_and_python_news2_agree_on_ten_thousand_random_and_edge_sets(pg_cluster):
    sets = random_sets(12_000)
    rows = asyncio.run(score_in_sql(pg_cluster.dsn(), sets))
    assert len(rows) == len(sets)
    disagreements = []
    for values, row in zip(sets, rows, strict=True):
        sample = VitalSample(patient_id="p", measured_at=T0, **{
            k: (float(v) if isinstance(v, Decimal) else v) for k, v in values.items()})
        py = score_news2(sample)
        sql_scores = {name: row[name] for name in NEWS2_PARAMETERS if row[name] is not None}
        if (sql_scores != dict(py.scores) or row["aggregate"] != py.aggregate or row["risk"] != py.risk
                or row["missing"] != len(py.missing)):
            disagreements.append((values, dict(row), py))
    assert not disagreements, f"{len(disagreements)} disagree, first: {disagreements[0]}"
    # The draw really covers the chart: every band of every parameter, every risk band, missing values.
    assert {r["risk"] for r in rows} == {"low", "low-medium", "medium", "high"}
    for name in ("respiratory_rate", "spo2", "systolic_bp", "heart_rate", "temperature"):
        assert {r[name] for r in rows} >= {0, 1, 2, 3}
    assert any(r["missing"] for r in rows)


# RCP NEWS2 chart, SpO2 scale 2: (spo2, on oxygen) -> sub-score.
SCALE_2 = [
    (83, False, 3), (84, False, 2), (85, True, 2), (86, False, 1), (87, True, 1), (88, False, 0),
    (92, True, 0), (93, False, 0), (97, False, 0), (100, False, 0), (93, True, 1), (94, True, 1),
    (95, True, 2), (96, True, 2), (97, True, 3), (100, True, 3),
]


@pytest.mark.parametrize("scale", [1, 2])
def test_spo2_bands_follow_the_rcp_chart_on_either_scale(pg_cluster, scale):
    sets = [{"respiratory_rate": 16, "spo2": spo2, "on_oxygen": o2, "systolic_bp": 120, "heart_rate": 70,
             "consciousness": "A", "temperature": Decimal("37.0")} for spo2, o2, _ in SCALE_2]
    rows = asyncio.run(score_in_sql(pg_cluster.dsn(), sets, scale))
    scale_1 = lambda spo2: 3 if spo2 <= 91 else 2 if spo2 <= 93 else 1 if spo2 <= 95 else 0  # noqa: E731
    expected = [score if scale == 2 else scale_1(spo2) for spo2, _, score in SCALE_2]
    assert [r["spo2"] for r in rows] == expected
    assert [r["aggregate"] for r in rows] == [e + (2 if o2 else 0) for e, (_, o2, _) in zip(expected, SCALE_2, strict=True)]
