"""Hospital scale: the station's former plan (postgres_changes) next to database broadcasts, in one run.

One sandbox, 2,000 patients at home and 200 workstations.

The hospital (``hospital_model.py``): 200 clinicians with 30 patients each; 10 % of patients on 1 Hz
wearables (committed each second in one statement by the vendor's cloud), the rest measured once a
minute and committed by home gateways in batches; the database's rules turn samples into status and
alerts. The workstations (``hospital_workstations.py``): one process with one raw Realtime websocket per
clinician, joined with that clinician's JWT; plus one full TJV client (``tests/support/station.py``'s
``Station``: store, sync engine, realtime link) for the first clinician in the broadcast phases.

Phases, each under the same device load:
  1. postgres_changes  the feed triggers disabled (as before the feed existed); the workstations subscribe
                       as the station used to;
  2. broadcast         the feed triggers on; the workstations and the Station listen to database
                       broadcasts on private ``provider:<id>``;
  3. broadcast+drops   as 2, with the sandbox dropping a fraction of database broadcasts on purpose (for
                       ``--drop-seconds``, longer until 3 drops hit the Station's topic), then a tail
                       without drops in which every hole shows.
For each: commit → client latency, billed messages per second next to the plan quotas, authorization
queries per committed change, the sandbox's CPU, lost and duplicated messages, injected versus detected
gaps. Latency: from the time a device's commit returned to the time a workstation parsed the frame, or
the Station's engine wrote the row to its store.

    .venv/bin/python benchmarks/hospital_scale.py [--quick] [--json artifacts/bench-hospital.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from hospital_clients import Project, Watched, Workstations, sign_in_all  # noqa: E402 - beside this script
from hospital_model import Commits, Devices, Hospital, populate  # noqa: E402
from hospital_workstations import percentiles  # noqa: E402
from report import report  # noqa: E402 - benchmarks/report.py

from tests.support.sandbox import make_data_root, start_sandbox, stop_sandbox  # noqa: E402

QUOTAS = {"free": 100, "pro": 500, "team": 2500}  # messages per second per project (limits.mdx)
# postgres_changes falls behind at this load on the sandbox: wait for its backlog to drain (and say how long)
BACKLOG_SECONDS = 300.0
MIN_STATION_DROPS = 3  # the drops go on until at least this many hit the Station's own topic


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- phases --------------------------------------------------------------------------------------------------

@dataclass
class Window:
    """Counters at the start of a phase."""

    metrics: dict
    sandbox_cpu: float
    workstations_cpu: float
    own_cpu: float
    wall: float
    db_now: object


async def open_window(project: Project, ws: Workstations) -> Window:
    return Window(await project.metrics(), project.cpu(), ws.cpu(), time.process_time(), time.monotonic(),
                  await project.conn.fetchval("select now()"))


def cpu_figures(project: Project, ws: Workstations, start: Window) -> dict:
    wall = time.monotonic() - start.wall
    return {"sandbox_cores": round((project.cpu() - start.sandbox_cpu) / wall, 2),
            "workstations_process_cores": round((ws.cpu() - start.workstations_cpu) / wall, 2),
            "station_and_devices_cores": round((time.process_time() - start.own_cpu) / wall, 2)}


async def meter_figures(project: Project, start: Window, commits: Commits) -> dict:
    end = await project.metrics()
    kinds = {k: v - start.metrics["messages_by_kind"].get(k, 0) for k, v in end["messages_by_kind"].items()}
    kinds = {k: v for k, v in kinds.items() if v}
    billed = end["messages"] - start.metrics["messages"]
    changes = 2 * commits.rows + await project.alert_changes(start.db_now)  # vitals, status, alerts
    auth0, auth1 = start.metrics["authorization"], end["authorization"]
    checks = auth1["delivery_checks"] - auth0["delivery_checks"]
    per_s = billed / commits.seconds
    return {
        "billed_messages": billed, "billed_by_kind": kinds, "billed_per_s": round(per_s, 1),
        "quota_share": {plan: round(per_s / quota, 2) for plan, quota in QUOTAS.items()},
        "committed_changes": changes,
        "delivery_authorization_checks": checks,
        "delivery_authorization_queries_sandbox": auth1["delivery_queries"] - auth0["delivery_queries"],
        "authorization_checks_per_change": round(checks / max(changes, 1), 2),
        "authorization_checks_per_delivery": round(checks / max(kinds.get("postgres_changes", 0)
                                                            + kinds.get("delivered", 0), 1), 2),
        "rate_limit_tripped": end["rate"]["triggered"],
    }


def load_figures(commits: Commits) -> dict:
    return {"seconds": round(commits.seconds, 1), "statements": commits.statements, "vital_rows": commits.rows,
            "vitals_per_s": round(commits.rows / commits.seconds, 1)}


async def phase_postgres_changes(project: Project, devices: Devices, hospital: Hospital, specs: list[dict],
                                 seconds: float) -> dict:
    progress("phase 1: postgres_changes (feed triggers off)")
    await project.feed_triggers(False)
    joins = (await project.metrics())["authorization"]["join_checks"]
    ws = await Workstations.start(project.sandbox, "postgres_changes", specs)
    joins = (await project.metrics())["authorization"]["join_checks"] - joins
    try:
        start = await open_window(project, ws)
        commits = await devices.run(seconds)
        cpu = cpu_figures(project, ws, start)
        got = await ws.report(commits, {"panels": {p["provider_id"]: p["patients"] for p in hospital.providers},
                                        "vitals": commits.per_patient}, BACKLOG_SECONDS)
        meter = await meter_figures(project, start, commits)
    finally:
        await ws.quit()
        await project.feed_triggers(True)
    return {"load": load_figures(commits), "workstations": got, "meter": {**meter, "join_checks_when_joining": joins},
            "cpu": cpu}


def expected_topics(before: dict[str, int], after: dict[str, int], topics: set[str],
                    dropped: dict[str, set[int]]) -> dict[str, list[int]]:
    """topic -> [seq before, highest seq sent and not dropped], for topics that moved."""
    out = {}
    for topic in topics:
        first, last = before.get(topic, 0), after.get(topic, 0)
        while last > first and last in dropped.get(topic, ()):
            last -= 1
        if last > first:
            out[topic] = [first, last]
    return out


def station_figures(watched: Watched, commits: Commits, settled: bool, panel: set[str], position: int,
                    duplicates_before: int) -> dict:
    ids = [i for i, p in commits.vital_patient.items() if p in panel]
    feed = watched.feed()
    return {"commit_to_store_ms": percentiles([watched.applied[i] - commits.vital_commit[i]
                                               for i in ids if i in watched.applied]),
            "vital_rows": len(ids), "lost_rows": sum(i not in watched.applied for i in ids),
            "rows_applied_twice": watched.applied_twice,
            "messages_received_twice": (feed.duplicates if feed else 0) - duplicates_before,
            "feed_seq": feed.last_seq if feed else None, "server_seq": position, "settled": settled,
            "resyncs": watched.station.resyncs}


async def phase_broadcast(project: Project, devices: Devices, hospital: Hospital, ws: Workstations,
                          watched: Watched, seconds: float) -> dict:
    progress("phase 2: database broadcasts")
    topics = {f"provider:{p['provider_id']}" for p in hospital.providers}
    panel = set(next(p["patients"] for p in hospital.providers if f"provider:{p['provider_id']}" == watched.topic))
    before = await project.positions()
    dup0, applied_twice0 = (watched.feed().duplicates if watched.feed() else 0), watched.applied_twice
    start = await open_window(project, ws)
    commits = await devices.run(seconds)
    cpu = cpu_figures(project, ws, start)
    after = await project.positions()
    got = await ws.report(commits, {"topics": expected_topics(before, after, topics, {})})
    ids = [i for i, p in commits.vital_patient.items() if p in panel]
    settled = await watched.settle(ids, after.get(watched.topic, 0))
    meter = await meter_figures(project, start, commits)
    station = station_figures(watched, commits, settled, panel, after.get(watched.topic, 0), dup0)
    station["rows_applied_twice"] -= applied_twice0
    sent = {t: after.get(t, 0) - before.get(t, 0) for t in topics}
    rows_by_topic = got.pop("rows_by_topic")
    rows = sum(rows_by_topic.values())
    # One message per row instead of per statement and topic: each row sent once and delivered to the
    # topic's light workstation, and to the Station on its topic.
    unbatched = (2 * rows + rows_by_topic.get(watched.topic, 0)) / commits.seconds
    return {"load": load_figures(commits), "workstations": got, "station": station, "meter": meter, "cpu": cpu,
            "messages_sent": sum(sent.values()), "rows_delivered_to_workstations": rows,
            "unbatched_billed_per_s_estimate": round(unbatched, 1)}


async def read_drops(project: Project, seen: dict[str, dict]) -> None:
    for drop in (await project.metrics())["dropped_db_broadcasts"]:
        if drop["reason"] == "fault":
            seen.setdefault(drop["id"], drop)


async def collect_drops(project: Project, seen: dict[str, dict], stop: asyncio.Event) -> None:
    """The metrics keep the newest 1,000 drops: read them often enough to keep every one."""
    while not stop.is_set():
        await read_drops(project, seen)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1.0):
                await stop.wait()


async def phase_drops(project: Project, devices: Devices, hospital: Hospital, ws: Workstations,
                      watched: Watched, fraction: float, seconds: float, tail: float) -> dict:
    progress(f"phase 3: database broadcasts, {fraction:.0%} dropped for {seconds:.0f} s or more, then {tail:.0f} s "
             "clean")
    topics = {f"provider:{p['provider_id']}" for p in hospital.providers}
    panel = set(next(p["patients"] for p in hospital.providers if f"provider:{p['provider_id']}" == watched.topic))
    before = await project.positions()
    mark, dup0, twice0 = watched.mark(), (watched.feed().duplicates if watched.feed() else 0), watched.applied_twice
    resyncs0 = watched.station.resyncs
    drops: dict[str, dict] = {}
    stop = asyncio.Event()
    collector = asyncio.create_task(collect_drops(project, drops, stop))
    start = await open_window(project, ws)

    load_done = asyncio.Event()
    fault_seconds = 0.0

    async def faults() -> None:
        """Drops for ``seconds``, longer (up to 4x) until enough of them hit the Station's topic."""
        nonlocal fault_seconds
        await project.drop_broadcasts(fraction)
        began = time.monotonic()
        while time.monotonic() - began < seconds or (
                sum(d["topic"] == watched.topic for d in drops.values()) < MIN_STATION_DROPS
                and time.monotonic() - began < 4 * seconds):
            await asyncio.sleep(1.0)  # the fault's duration
        await project.drop_broadcasts(0.0)
        fault_seconds = time.monotonic() - began
        await asyncio.sleep(tail)  # clean load after the drops, in which every hole shows
        load_done.set()

    try:
        commits, _ = await asyncio.gather(devices.run(stop=load_done), faults())
    finally:
        await project.drop_broadcasts(0.0)
        stop.set()
        await collector
    await read_drops(project, drops)  # once more: the last drops
    cpu = cpu_figures(project, ws, start)
    after = await project.positions()
    dropped: dict[str, set[int]] = {}
    for d in drops.values():
        dropped.setdefault(d["topic"], set()).add(d["seq"])
    got = await ws.report(commits, {"topics": expected_topics(before, after, topics, dropped)})
    got.pop("rows_by_topic")
    ids = [i for i, p in commits.vital_patient.items() if p in panel]
    settled = await watched.settle(ids, after.get(watched.topic, 0))
    meter = await meter_figures(project, start, commits)
    station = station_figures(watched, commits, settled, panel, after.get(watched.topic, 0), dup0)
    station["rows_applied_twice"] = watched.applied_twice - twice0
    station["resyncs"] = watched.station.resyncs - resyncs0
    injected_station = sorted(dropped.get(watched.topic, ()))
    detected = watched.lost_seqs(mark)
    covered = watched.covered(sorted(set(injected_station) - set(detected)), mark)
    missing = {t: set(s) for t, s in got.pop("missing").items()}
    return {
        "load": load_figures(commits), "drop_fraction": fraction, "drop_seconds": round(fault_seconds, 1),
        "tail_seconds": tail,
        "injected_drops": len(drops),
        "workstations": {**got, "holes_seen": sum(len(s) for s in missing.values()),
                         "holes_equal_drops": missing == {t: s for t, s in dropped.items() if t in topics},
                         "holes_not_dropped": sum(len(s - dropped.get(t, set())) for t, s in missing.items())},
        "station": {**station, "injected_on_its_topic": injected_station, "detected_lost_seqs": detected,
                    "detected_equals_injected": detected == injected_station,
                    "undetected_but_covered_by_a_resync": covered,
                    "gap_reasons": sorted({re.sub(r"\[.*\]", "[…]", r) for r, t, _ in watched.gaps[mark[0]:]
                                           if t == watched.topic})},
        "meter": meter, "cpu": cpu}


# -- the run -------------------------------------------------------------------------------------------------

async def run(args) -> dict:
    root = make_data_root("tjv-hospital-")
    progress("starting the sandbox")
    sandbox = start_sandbox(root / "data", "--simulate", "0", "--backfill-hours", "0",
                            "--max-events-per-second", str(args.max_events_per_second), timeout=180)
    conn = await asyncpg.connect(sandbox.db_url)
    project = Project(sandbox, conn)
    ws: Workstations | None = None
    watched: Watched | None = None
    try:
        progress(f"creating {args.patients} patients and {args.workstations} clinicians")
        hospital = await populate(conn, args.patients, args.workstations, args.gateways, args.seed)
        specs = await sign_in_all(sandbox, hospital)
        devices = Devices(sandbox.db_url, hospital, args.seed, args.wearable_batches)
        results: dict = {"config": {
            "patients": args.patients, "workstations": args.workstations,
            "panel_size": len(hospital.providers[0]["patients"]), "wearables_1hz": len(hospital.wearables),
            "gateways": args.gateways, "wearable_statements_per_s": args.wearable_batches,
            "phase_seconds": args.seconds, "cpus": os.cpu_count(),
            "max_events_per_second": args.max_events_per_second,
            "latency": "device commit returned -> frame parsed by a light workstation, or row written to the "
                       "Station's store; vital_signs rows"}}
        results["postgres_changes"] = await phase_postgres_changes(project, devices, hospital, specs, args.seconds)
        progress("starting the Station and the broadcast workstations")
        watched = Watched(sandbox, hospital.providers[0]["email"])
        await watched.start()
        joins = (await project.metrics())["authorization"]["join_checks"]
        ws = await Workstations.start(sandbox, "broadcast", specs)
        joins = (await project.metrics())["authorization"]["join_checks"] - joins
        results["broadcast"] = await phase_broadcast(project, devices, hospital, ws, watched, args.seconds)
        results["broadcast"]["meter"]["join_checks_when_joining"] = joins
        results["broadcast_drops"] = await phase_drops(project, devices, hospital, ws, watched, args.drop_fraction,
                                                       args.drop_seconds, args.tail_seconds)
    finally:
        progress("closing")
        if ws is not None:
            await ws.quit()
        if watched is not None:
            async with asyncio.timeout(30):
                await watched.station.stop()
        await project.close()
        await conn.close()
        stop_sandbox(sandbox)
        shutil.rmtree(root, ignore_errors=True)
    return results


def targets(results: dict) -> dict:
    """The tracker's targets, each with the measured value and whether it was met."""
    pc, bc, dr = results["postgres_changes"], results["broadcast"], results["broadcast_drops"]
    team = QUOTAS["team"]
    station_p99 = bc["station"]["commit_to_store_ms"].get("p99")
    pc_p99 = pc["workstations"]["latency_ms"].get("vital_signs", {}).get("p99")
    injected = dr["station"]["injected_on_its_topic"]
    clean = (sum(pc["workstations"]["lost"].values()) == pc["workstations"]["duplicates"] == 0
             and not bc["workstations"]["missing"] and bc["workstations"]["duplicates"] == 0
             and bc["station"]["lost_rows"] == bc["station"]["rows_applied_twice"] == 0
             and dr["workstations"]["duplicates"] == 0 and dr["workstations"]["holes_not_dropped"] == 0
             and dr["station"]["lost_rows"] == dr["station"]["rows_applied_twice"] == 0)
    return {
        "broadcast_within_team_quota_with_2x_headroom": {
            "billed_per_s": bc["meter"]["billed_per_s"], "headroom": round(team / max(bc["meter"]["billed_per_s"], 1), 2),
            "met": bc["meter"]["billed_per_s"] * 2 <= team},
        "no_authorization_per_change_for_broadcasts": {
            "broadcast_checks_per_change": bc["meter"]["authorization_checks_per_change"],
            "postgres_changes_checks_per_delivery": pc["meter"]["authorization_checks_per_delivery"],
            "met": bc["meter"]["delivery_authorization_checks"] == 0},
        "station_p99_within_150ms_and_not_worse_than_postgres_changes": {
            "station_p99_ms": station_p99, "postgres_changes_p99_ms": pc_p99,
            "met": station_p99 is not None and pc_p99 is not None and station_p99 <= min(150.0, pc_p99)},
        "nothing_lost_or_duplicated": {"met": clean},
        # A drop is recovered when the Station found it (a hole or a position check, then a resync) or
        # when a resync already under way had read a feed position at or past it before fetching: that
        # fetch holds the dropped message's rows, so the hole closes before it is old enough to call
        # lost. Either way its rows must be in the store (lost_rows 0), and the workstations, which never
        # resync, must have seen exactly the injected holes.
        "every_injected_drop_detected_and_recovered": {
            "injected_on_station_topic": len(injected), "detected": len(dr["station"]["detected_lost_seqs"]),
            "covered_by_a_resync": len(dr["station"]["undetected_but_covered_by_a_resync"]),
            "every_one_found_by_the_station_itself": dr["station"]["detected_equals_injected"],
            "workstation_holes_equal_drops": dr["workstations"]["holes_equal_drops"],
            "met": bool(injected) and dr["station"]["lost_rows"] == 0
            and dr["workstations"]["holes_equal_drops"]
            and sorted(dr["station"]["detected_lost_seqs"] + dr["station"]["undetected_but_covered_by_a_resync"])
            == injected},
    }


def table(results: dict) -> str:
    """The figures side by side, for people."""
    pc, bc, dr = results["postgres_changes"], results["broadcast"], results["broadcast_drops"]

    def lat(d: dict) -> str:
        return f"{d.get('p50')} / {d.get('p95')} / {d.get('p99')} ms (n={d.get('count')})" if d.get("count") else "-"

    def row(name: str, a: str, b: str) -> str:
        return f"{name:<44} {a:<38} {b}"

    pcw, bcw = pc["workstations"], bc["workstations"]
    lines = [
        row("", "postgres_changes (old plan)", "database broadcasts (new plan)"),
        row("vital rows committed / s", str(pc["load"]["vitals_per_s"]), str(bc["load"]["vitals_per_s"])),
        row("commit -> light workstation, vitals p50/95/99", lat(pcw["latency_ms"].get("vital_signs", {})),
            lat(bcw["latency_ms"].get("vital_signs", {}))),
        row("  per commit: first / last frame, p50", f"{pcw['statement_first_arrival_ms'].get('p50')} / "
            f"{pcw['statement_last_arrival_ms'].get('p50')} ms", f"{bcw['statement_first_arrival_ms'].get('p50')} / "
            f"{bcw['statement_last_arrival_ms'].get('p50')} ms"),
        row("  everything delivered, after the load ended", f"{pcw['waited_after_load_s']} s (all: {pcw['complete']})",
            f"{bcw['waited_after_load_s']} s (all: {bcw['complete']})"),
        row("commit -> TJV store (Station), vitals", "- (Station speaks broadcasts only)",
            lat(bc["station"]["commit_to_store_ms"])),
        row("billed messages / s", str(pc["meter"]["billed_per_s"]), str(bc["meter"]["billed_per_s"])),
        row("  share of Free / Pro / Team quota", " / ".join(f"{v:.0%}" for v in pc["meter"]["quota_share"].values()),
            " / ".join(f"{v:.0%}" for v in bc["meter"]["quota_share"].values())),
        row("  same load, one message per row", "-", str(bc["unbatched_billed_per_s_estimate"])),
        row("delivery authorization checks / change", str(pc["meter"]["authorization_checks_per_change"]),
            str(bc["meter"]["authorization_checks_per_change"])),
        row("authorization checks when the workstations joined", str(pc["meter"]["join_checks_when_joining"]),
            str(bc["meter"]["join_checks_when_joining"])),
        row("sandbox CPU (cores of 2)", str(pc["cpu"]["sandbox_cores"]), str(bc["cpu"]["sandbox_cores"])),
        row("lost / duplicated at workstations", f"{sum(pcw['lost'].values())} / {pcw['duplicates']}",
            f"{sum(len(v) for v in bcw['missing'].values())} / {bcw['duplicates']}"),
        row("lost / applied twice at the Station", "-",
            f"{bc['station']['lost_rows']} / {bc['station']['rows_applied_twice']}"),
        "",
        f"drops: {dr['injected_drops']} injected ({dr['drop_fraction']:.0%} for {dr['drop_seconds']:.0f} s); "
        f"workstations saw {dr['workstations']['holes_seen']} holes (equal to the drops: "
        f"{dr['workstations']['holes_equal_drops']}); Station: injected on its topic "
        f"{dr['station']['injected_on_its_topic']}, detected {dr['station']['detected_lost_seqs']}, covered by a "
        f"resync already fetching {dr['station']['undetected_but_covered_by_a_resync']}, "
        f"rows lost after recovery {dr['station']['lost_rows']}, resyncs {dr['station']['resyncs']}",
        "",
        *(f"target {name}: {'met' if t['met'] else 'MISSED'} {({k: v for k, v in t.items() if k != 'met'})}"
          for name, t in results["targets"].items()),
    ]
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="a ~1-minute smoke run: 500 patients, 50 workstations")
    p.add_argument("--patients", type=int, default=None)
    p.add_argument("--workstations", type=int, default=None)
    p.add_argument("--gateways", type=int, default=20, help="home gateways sharing the once-a-minute patients")
    p.add_argument("--wearable-batches", type=int, default=1,
                   help="statements the wearables' samples of one second are committed in")
    p.add_argument("--seconds", type=float, default=None, help="load per phase (default 60, quick 15)")
    p.add_argument("--drop-fraction", type=float, default=0.1)
    p.add_argument("--drop-seconds", type=float, default=None, help="default 30, quick 10")
    p.add_argument("--tail-seconds", type=float, default=15.0)
    p.add_argument("--max-events-per-second", type=int, default=1_000_000,
                   help="the sandbox's rate limit: high, so that the old plan is measured, not cut off")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--json", type=Path, default=None)
    args = p.parse_args()
    args.patients = args.patients or (500 if args.quick else 2000)
    args.workstations = args.workstations or (50 if args.quick else 200)
    args.seconds = args.seconds or (15.0 if args.quick else 60.0)
    args.drop_seconds = args.drop_seconds or (10.0 if args.quick else 30.0)
    results = asyncio.run(run(args))
    results["targets"] = targets(results)
    report(results, args.json, echo=False)
    print(table(results))
    if args.json:
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
