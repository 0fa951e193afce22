"""Commit-to-client latency of the sandbox's postgres_changes (Supabase Realtime stand-in).

Starts a sandbox in a temporary folder, creates ``public.rt_bench`` (RLS on: signed-in users read), and
for each subscriber count runs a writer process that INSERTs at a fixed rate for a fixed time, each row
stamped with the wall-clock time just before its INSERT (autocommit). Latency = receive time - stamp, so
it includes the INSERT's own round trip and commit (an upper bound on commit-to-client).

Modes:
  hub  N ``ChangeSubscription``s on a hub in the sandbox process (decoding, filters, RLS, payloads);
  ws   N official realtime-py clients (``AsyncRealtimeClient``), each on its own websocket, in a separate
       process, through the sandbox's /realtime/v1/websocket (needs the protocol side).

Every subscriber is a different user (distinct JWT claims, so one RLS check per subscriber per batch) unless
``--users`` says fewer. Loopback only; bounded in time.

    .venv/bin/python benchmarks/realtime_latency.py [--subscribers 10 100] [--rate 200] [--seconds 20]
        [--mode hub ws] [--users N] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from report import report as write_report  # noqa: E402 - benchmarks/report.py, beside this script

TABLE = "rt_bench"
WARMUP = 1.0  # s of rows written before measuring
GRACE = 10.0  # s allowed after the writer ends for the last deliveries

SETUP = f"""
create table if not exists public.{TABLE} (
  id bigint generated always as identity primary key,
  sent_at double precision not null,
  phase text not null,
  payload jsonb
);
alter table public.{TABLE} enable row level security;
drop policy if exists "bench: signed-in users read" on public.{TABLE};
create policy "bench: signed-in users read" on public.{TABLE} for select to authenticated
  using ((select auth.uid()) is not null);
grant select on public.{TABLE} to authenticated;
do $$ begin
  if not exists (select 1 from pg_publication_tables where pubname = 'supabase_realtime' and tablename = '{TABLE}')
  then alter publication supabase_realtime add table public.{TABLE}; end if;
end $$;
"""


def summarize(latencies: list[float]) -> dict:
    if not latencies:
        return {"count": 0}
    ms = sorted(x * 1000 for x in latencies)

    def pct(p: float) -> float:
        return round(ms[min(len(ms) - 1, int(p / 100 * len(ms)))], 2)

    return {"count": len(ms), "p50": pct(50), "p95": pct(95), "p99": pct(99), "max": round(ms[-1], 2),
            "mean": round(statistics.fmean(ms), 2)}


# -- child processes -------------------------------------------------------------------------------------

async def writer_main(dsn: str, rate: float, seconds: float) -> None:
    """INSERTs at ``rate``/s for WARMUP + ``seconds``; prints {"total", "measured", "elapsed"}."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    stmt = await conn.prepare(f"insert into public.{TABLE} (sent_at, phase, payload) values ($1, $2, $3)")
    start = time.monotonic()
    total = measured = 0
    payload = json.dumps({"hr": 72, "spo2": 98, "note": "x" * 64})
    while True:
        due = start + total / rate
        now = time.monotonic()
        if due - start >= WARMUP + seconds:
            break
        if due > now:
            await asyncio.sleep(due - now)
        phase = "m" if due - start >= WARMUP else "w"
        await stmt.fetch(time.time(), phase, payload)
        total += 1
        measured += phase == "m"
    elapsed = time.monotonic() - start
    await conn.close()
    print(json.dumps({"total": total, "measured": measured, "elapsed": elapsed, "measured_seconds": seconds}),
          flush=True)


async def clients_main(url: str, tokens_file: str) -> None:
    """N realtime-py clients; prints READY once all are subscribed to PostgreSQL, then on stdin
    'STOP <expected>' waits (≤ GRACE) for every client to have <expected> rows and prints a summary."""
    from realtime import AsyncRealtimeClient

    tokens = json.loads(Path(tokens_file).read_text())
    latencies: list[float] = []
    received = [0] * len(tokens)
    subscribed: set[int] = set()
    errors: list[str] = []
    clients = []
    for i, token in enumerate(tokens):
        client = AsyncRealtimeClient(f"{url}/realtime/v1", token=token, auto_reconnect=False)
        await client.connect()

        def on_change(payload, i=i):
            record = payload["data"]["record"]
            received[i] += 1
            if record["phase"] == "m":
                latencies.append(time.time() - record["sent_at"])

        def on_system(payload, i=i):
            if getattr(payload, "message", None) == "Subscribed to PostgreSQL":
                subscribed.add(i)

        def on_state(state, error, i=i):
            if error is not None:
                errors.append(f"{state}: {error}")

        channel = client.channel(f"bench-{i}")
        channel.on_postgres_changes("INSERT", on_change, table=TABLE, schema="public").on_system(on_system)
        await channel.subscribe(on_state)
        clients.append(client)
    deadline = time.monotonic() + 60
    while len(subscribed) < len(tokens) and time.monotonic() < deadline and not errors:
        await asyncio.sleep(0.05)
    if len(subscribed) < len(tokens):
        print(json.dumps({"error": f"{len(subscribed)}/{len(tokens)} subscribed; {errors[:3]}"}), flush=True)
        return
    print("READY", flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    expected = int(line.split()[1])
    deadline = time.monotonic() + GRACE
    while min(received) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    print(json.dumps({"received": sum(received), "latencies": [round(x, 6) for x in latencies],
                      "errors": errors[:3]}), flush=True)
    for client in clients:
        with contextlib.suppress(Exception):
            await client.close()


async def run_child(*args: str, stdin: bool = False) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, __file__, *args, stdout=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.PIPE if stdin else None, limit=256 * 1024 * 1024)


async def read_json(proc: asyncio.subprocess.Process, timeout: float) -> dict:
    line = await asyncio.wait_for(proc.stdout.readline(), timeout)
    if not line:
        raise RuntimeError("benchmark child ended without output")
    return json.loads(line)


# -- scenarios -------------------------------------------------------------------------------------------

def user_claims(sb, n_subscribers: int, n_users: int) -> list[dict]:
    users = [str(uuid.uuid4()) for _ in range(n_users)]
    now = int(time.time())
    return [{"sub": users[i % n_users], "role": "authenticated", "aud": "authenticated", "iat": now,
             "exp": now + 3600} for i in range(n_subscribers)]


async def run_writer(sb, args) -> dict:
    writer = await run_child("--_writer", sb.ctx.db.dsn(), str(args.rate), str(args.seconds))
    result = await read_json(writer, WARMUP + args.seconds + 60)
    await writer.wait()
    return result


async def scenario_hub(sb, n: int, args) -> dict:
    from tjv_sandbox.realtime.changes import ChangeSubscription, PostgresChangesHub

    hub = PostgresChangesHub(sb.ctx)
    await hub.start()
    latencies: list[float] = []
    received = [0] * n
    done = asyncio.Event()
    target = [None]

    def deliver(i: int, ids: list[int], data: dict) -> None:
        record = data["record"]
        received[i] += 1
        if record["phase"] == "m":
            latencies.append(time.time() - record["sent_at"])
        if target[0] is not None and min(received) >= target[0]:
            done.set()

    try:
        for i, claims in enumerate(user_claims(sb, n, args.users or n)):
            sub = ChangeSubscription(f"realtime:bench-{i}", [{"event": "INSERT", "schema": "public",
                                                               "table": TABLE, "id": 1}],
                                     claims, lambda ids, data, i=i: deliver(i, ids, data), lambda msg: None)
            await hub.subscribe(sub)
        batches0 = hub.batches
        wrote = await run_writer(sb, args)
        target[0] = wrote["total"]
        if min(received) < wrote["total"]:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(done.wait(), GRACE)
        batches = hub.batches - batches0
    finally:
        await hub.stop()
    rls = hub._rls
    return report("hub", n, args, wrote, sum(received), summarize(latencies),
                  extra={"batches": batches, "rls_round_trips": rls.calls, "rls_claims_checked": rls.checks,
                         "rls_claims_repeated_not_yet_visible": rls.repeats})


async def scenario_ws(sb, n: int, args) -> dict:
    tokens = [sb.ctx.keys.sign(c) for c in user_claims(sb, n, args.users or n)]
    procs = args.client_procs or max(1, min(os.cpu_count() or 1, -(-n // 50)))
    files, clients = [], []
    try:
        for k in range(procs):
            path = Path(tempfile.mkstemp(prefix="rt-bench-tokens-", suffix=".json")[1])
            path.write_text(json.dumps(tokens[k::procs]))
            files.append(path)
            clients.append(await run_child("--_clients", sb.url, str(path), stdin=True))
        for proc in clients:
            line = await asyncio.wait_for(proc.stdout.readline(), 120)
            if line.strip() != b"READY":
                raise RuntimeError(f"clients did not subscribe: {line.decode().strip()}")
        wrote = await run_writer(sb, args)
        for proc in clients:
            proc.stdin.write(f"STOP {wrote['total']}\n".encode())
            await proc.stdin.drain()
        results = [await read_json(proc, GRACE + 60) for proc in clients]
    finally:
        for proc in clients:
            with contextlib.suppress(ProcessLookupError):
                proc.stdin.close()
            await asyncio.wait_for(proc.wait(), 30)
        for path in files:
            path.unlink(missing_ok=True)
    latencies = [x for r in results for x in r["latencies"]]
    return report("ws", n, args, wrote, sum(r["received"] for r in results), summarize(latencies),
                  extra={"client_processes": procs, "errors": [e for r in results for e in r["errors"]]})


def report(mode: str, n: int, args, wrote: dict, received: int, summary: dict, extra: dict) -> dict:
    expected = wrote["total"] * n
    out = {"mode": mode, "subscribers": n, "users": args.users or n, "rate": args.rate, "seconds": args.seconds,
           "commits": wrote["total"], "commits_per_s": round(wrote["total"] / wrote["elapsed"], 1),
           "delivered": received, "expected": expected,
           "deliveries_per_s": round(received / wrote["elapsed"], 1), "latency_ms": summary, **extra}
    lat = summary
    print(f"{mode:>3} subscribers={n:<4} users={out['users']:<4} commits/s={out['commits_per_s']:<6} "
          f"delivered={received}/{expected} deliveries/s={out['deliveries_per_s']:<8} "
          f"p50={lat.get('p50')} p95={lat.get('p95')} p99={lat.get('p99')} max={lat.get('max')} ms", flush=True)
    return out


async def main(args) -> dict:
    from tjv_sandbox.server import Sandbox

    root = Path(tempfile.mkdtemp(prefix="tjv-rt-bench-", dir="/tmp"))
    root.chmod(0o711)
    sb = Sandbox(root / "data")
    await sb.start()
    results = []
    try:
        await sb.ctx.require_pool().execute(SETUP)
        has_ws = _has_protocol_side()
        for n in args.subscribers:
            for mode in args.mode:
                if mode == "ws" and not has_ws:
                    print("ws: skipped (tjv_sandbox.realtime has no setup yet)", flush=True)
                    continue
                results.append(await (scenario_hub if mode == "hub" else scenario_ws)(sb, n, args))
    finally:
        await sb.stop()
        shutil.rmtree(root, ignore_errors=True)
    info = {"cpus": os.cpu_count(), "python": sys.version.split()[0], "warmup_s": WARMUP,
            "latency": "receive wall time - wall time stamped just before the INSERT (autocommit)"}
    return {"config": info, "runs": results}


def _has_protocol_side() -> bool:
    try:
        from tjv_sandbox import realtime
    except ImportError:
        return False
    return hasattr(realtime, "setup")


def cli() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--_writer":
        asyncio.run(writer_main(sys.argv[2], float(sys.argv[3]), float(sys.argv[4])))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--_clients":
        asyncio.run(clients_main(sys.argv[2], sys.argv[3]))
        return
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--subscribers", type=int, nargs="+", default=[10, 100])
    p.add_argument("--rate", type=float, default=200.0, help="INSERTs per second")
    p.add_argument("--seconds", type=float, default=20.0, help="measured seconds per run (after 1 s warm-up)")
    p.add_argument("--mode", nargs="+", choices=("hub", "ws"), default=["hub", "ws"])
    p.add_argument("--users", type=int, default=0, help="distinct users among subscribers (default: all)")
    p.add_argument("--client-procs", type=int, default=0,
                   help="processes the ws clients are spread over (default: one per 50, at most one per CPU)")
    p.add_argument("--json", type=Path, help="write the results here")
    args = p.parse_args()
    results = asyncio.run(main(args))
    write_report(results, args.json, echo=False)  # the runs printed their figures as they went
    if args.json:
        print(f"wrote {args.json}")


if __name__ == "__main__":
    cli()
