"""The hospital benchmark's light workstations: one asyncio process, one raw Realtime websocket (protocol
vsn 1.0.0) per workstation, each joined with its clinician's JWT to that clinician's channels.

Plans:
  broadcast         private ``provider:<id>``, database broadcasts (event ``change``, payload
                    ``{seq, table, op, rows, at}``): per topic, which seqs arrived and how often;
  postgres_changes  the station's former plan: private ``provider:<id>`` with patient_alerts INSERT/UPDATE
                    filtered ``provider_id=eq.<id>``, ``vitals:<id>:<n>`` with vital_signs INSERT and
                    patient_status changes filtered ``patient_id=in.(<≤100 ids>)``. The feed migrations
                    no longer let clinicians join a private ``vitals:`` topic, so those channels are public:
                    for postgres_changes that changes nothing (every change is checked against RLS).

Talks to its parent over stdin/stdout, one JSON object per line:
  in  {"url", "anon_key", "plan", "workstations": [{"provider_id", "token", "patients"}]}
  out {"ready": n, "errors": [...]}                  once every channel is joined (and subscribed)
  in  {"cmd": "report", "stamps": {us: commit}, "expect": {...}, "deadline": s}
  out the phase's figures once everything expected arrived or the deadline passed (then counters
      restart for the next phase)
  in  {"cmd": "quit"}
Latency = receive wall time - the commit time the parent recorded for the statement that wrote the row,
found by the row's statement stamp (vital_signs.measured_at, patient_status.last_vitals_at,
patient_alerts.raised_at), in microseconds since the epoch.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime

import aiohttp

HEARTBEAT_SECONDS = 20.0  # the server closes a socket after 60 s without a frame
JOIN_CONCURRENCY = 16
MAX_IDS_PER_CHANNEL = 100
STAMP_COLUMN = {"vital_signs": "measured_at", "patient_status": "last_vitals_at", "patient_alerts": "raised_at"}


def stamp_us(row: dict, table: str) -> int | None:
    value = row.get(STAMP_COLUMN.get(table, ""))
    if not isinstance(value, str):
        return None
    return round(datetime.fromisoformat(value).timestamp() * 1_000_000)


def channels(plan: str, ws: dict) -> list[tuple[str, bool, list[dict]]]:
    """(sub-topic, private, postgres_changes bindings) of one workstation."""
    pid = ws["provider_id"]
    if plan == "broadcast":
        return [(f"provider:{pid}", True, [])]
    alerts = [{"event": e, "schema": "public", "table": "patient_alerts", "filter": f"provider_id=eq.{pid}"}
              for e in ("INSERT", "UPDATE")]
    out = [(f"provider:{pid}", True, alerts)]
    ids = sorted(ws["patients"])
    for n, start in enumerate(range(0, len(ids), MAX_IDS_PER_CHANNEL)):
        group = ",".join(ids[start:start + MAX_IDS_PER_CHANNEL])
        out.append((f"vitals:{pid}:{n}", False, [
            {"event": "INSERT", "schema": "public", "table": "vital_signs", "filter": f"patient_id=in.({group})"},
            {"event": "*", "schema": "public", "table": "patient_status", "filter": f"patient_id=in.({group})"}]))
    return out


class Tally:
    """What one phase delivered."""

    def __init__(self):
        self.reset()

    def reset(self) -> None:
        self.receipts: list[tuple[str, int, float, int]] = []  # (table, stamp us, receive time, rows)
        self.seqs: dict[str, Counter] = defaultdict(Counter)  # broadcast: topic -> seq -> times received
        self.rows_by_topic: Counter = Counter()
        self.messages = 0
        # postgres_changes: (workstation, table, key) -> times received
        self.changes: Counter = Counter()


class Workstation:
    def __init__(self, session: aiohttp.ClientSession, url: str, anon_key: str, plan: str, spec: dict,
                 tally: Tally):
        self.session, self.url, self.anon_key, self.plan, self.spec = session, url, anon_key, plan, spec
        self.provider_id = spec["provider_id"]
        self.tally = tally
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.pending: dict[str, asyncio.Future] = {}
        self.subscribed: dict[str, asyncio.Event] = {}
        self.errors: list[str] = []
        self._ref = 0
        self._tasks: list[asyncio.Task] = []

    def _next_ref(self) -> str:
        self._ref += 1
        return str(self._ref)

    async def send(self, topic: str, event: str, payload: dict, join_ref: str | None = None) -> str:
        ref = self._next_ref()
        await self.ws.send_str(json.dumps({"topic": topic, "event": event, "payload": payload, "ref": ref,
                                           "join_ref": join_ref}))
        return ref

    async def open(self) -> None:
        self.ws = await self.session.ws_connect(
            f"{self.url.replace('http', 'ws', 1)}/realtime/v1/websocket?apikey={self.anon_key}&vsn=1.0.0",
            max_msg_size=0, autoping=True)
        self._tasks = [asyncio.create_task(self._read()), asyncio.create_task(self._heartbeat())]
        for sub_topic, private, bindings in channels(self.plan, self.spec):
            topic = f"realtime:{sub_topic}"
            config = {"broadcast": {"ack": False, "self": False}, "presence": {"key": "", "enabled": False},
                      "private": private, "postgres_changes": bindings}
            if bindings:
                self.subscribed[topic] = asyncio.Event()
            ref = self._next_ref()
            reply = asyncio.get_running_loop().create_future()
            self.pending[ref] = reply
            await self.ws.send_str(json.dumps({"topic": topic, "event": "phx_join", "ref": ref, "join_ref": ref,
                                               "payload": {"config": config, "access_token": self.spec["token"]}}))
            async with asyncio.timeout(30):
                status, response = await reply
            if status != "ok":
                raise RuntimeError(f"join {sub_topic} refused: {response}")
        for event in self.subscribed.values():
            async with asyncio.timeout(30):
                await event.wait()

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)  # the protocol's pace
            await self.send("phoenix", "heartbeat", {})

    async def _read(self) -> None:
        async for frame in self.ws:
            if frame.type != aiohttp.WSMsgType.TEXT:
                continue
            now = time.time()
            msg = json.loads(frame.data)
            event, payload = msg.get("event"), msg.get("payload") or {}
            if event == "phx_reply":
                reply = self.pending.pop(msg.get("ref"), None)
                if reply is not None and not reply.done():
                    reply.set_result((payload.get("status"), payload.get("response")))
            elif event == "broadcast":
                self._on_broadcast(msg["topic"], payload, now)
            elif event == "postgres_changes":
                self._on_change(payload.get("data") or {}, now)
            elif event == "system":
                if payload.get("status") == "ok" and msg["topic"] in self.subscribed:
                    self.subscribed[msg["topic"]].set()
                elif payload.get("status") != "ok":
                    self.errors.append(f"{msg['topic']}: {payload.get('message')}")
            elif event in ("phx_error", "phx_close"):
                self.errors.append(f"{msg['topic']}: {event} {payload}")
        self.errors.append(f"socket of {self.provider_id} closed")

    def _on_broadcast(self, topic: str, payload: dict, now: float) -> None:
        body = payload.get("payload") or {}
        if payload.get("event") != "change" or not isinstance(body.get("seq"), int):
            return
        tally = self.tally
        sub_topic = topic.removeprefix("realtime:")
        tally.messages += 1
        tally.seqs[sub_topic][body["seq"]] += 1
        # One transaction's changes on a topic come in one message: one part, or several in "parts".
        for part in body.get("parts") or (body,):
            rows = part.get("rows") or []
            tally.rows_by_topic[sub_topic] += len(rows)
            table, op = part.get("table"), part.get("op")
            if rows and (op == "INSERT" or (op == "UPDATE" and table == "patient_status")):
                stamp = stamp_us(rows[0], table)
                if stamp is not None:
                    tally.receipts.append((table, stamp, now, len(rows)))

    def _on_change(self, data: dict, now: float) -> None:
        tally = self.tally
        tally.messages += 1
        table, record, op = data.get("table"), data.get("record") or {}, data.get("type")
        # an alert's update keeps the raised_at of the statement that raised it: only inserts are timed
        timed = op == "INSERT" or (op == "UPDATE" and table == "patient_status")
        stamp = stamp_us(record, table) if timed else None
        if stamp is not None:
            tally.receipts.append((table, stamp, now, 1))
        if table == "vital_signs":
            tally.changes[(self.provider_id, table, record.get("patient_id"), record.get("id"))] += 1
        elif table == "patient_status":
            tally.changes[(self.provider_id, table, record.get("patient_id"), record.get("last_vitals_at"))] += 1
        elif table == "patient_alerts":
            tally.changes[(self.provider_id, table, record.get("id"), record.get("updated_at"))] += 1

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.ws is not None:
            with contextlib.suppress(Exception):  # closing at the end: nothing to save
                await self.ws.close()


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"count": 0}
    ms = sorted(v * 1000 for v in values)

    def at(p: float) -> float:
        return round(ms[min(len(ms) - 1, int(p / 100 * len(ms)))], 1)

    return {"count": len(ms), "p50": at(50), "p95": at(95), "p99": at(99), "max": round(ms[-1], 1)}


def complete(plan: str, tally: Tally, expect: dict) -> bool:
    if plan == "broadcast":
        return all(max(tally.seqs.get(t, {0: 0})) >= last for t, (_first, last) in expect["topics"].items())
    got = Counter((k[0], k[1], k[2]) for k in tally.changes)
    return all(got[(pid, table, p)] >= expect["vitals"].get(p, 0) for pid, patients in expect["panels"].items()
               for p in patients for table in ("vital_signs", "patient_status"))


def report(plan: str, tally: Tally, cmd: dict, workstations: list[Workstation], waited: float,
           done: bool) -> dict:
    stamps = {int(k): v for k, v in cmd["stamps"].items()}
    latency: dict[str, list[float]] = defaultdict(list)
    spread: dict[int, list[float]] = {}  # statement -> [first, last] arrival after its commit
    for table, stamp, received, rows in tally.receipts:
        committed = stamps.get(stamp)
        if committed is not None:
            latency[table].extend([received - committed] * rows)  # every row waited as long
            first_last = spread.setdefault(stamp, [received - committed] * 2)
            first_last[0], first_last[1] = min(first_last[0], received - committed), max(first_last[1],
                                                                                        received - committed)
    out = {"messages": tally.messages, "latency_ms": {t: percentiles(v) for t, v in latency.items()},
           "statement_first_arrival_ms": percentiles([f for f, _ in spread.values()]),
           "statement_last_arrival_ms": percentiles([la for _, la in spread.values()]),
           "complete": done, "waited_after_load_s": round(waited, 1),
           "errors": [e for w in workstations for e in w.errors][:10]}
    if plan == "broadcast":
        missing, duplicates = {}, 0
        for topic, (first, last) in cmd["expect"]["topics"].items():
            seen = tally.seqs.get(topic, Counter())
            holes = [n for n in range(first + 1, last + 1) if n not in seen]
            if holes:
                missing[topic] = holes
        duplicates = sum(c - 1 for seen in tally.seqs.values() for c in seen.values() if c > 1)
        out.update(missing=missing, duplicates=duplicates, rows_by_topic=dict(tally.rows_by_topic),
                   topics=len(tally.seqs))
    else:
        expect = cmd["expect"]
        unique = Counter((k[0], k[1], k[2]) for k in tally.changes)
        lost = {"vital_signs": 0, "patient_status": 0}
        for pid, patients in expect["panels"].items():
            for p in patients:
                lost["vital_signs"] += max(0, expect["vitals"].get(p, 0) - unique[(pid, "vital_signs", p)])
                lost["patient_status"] += max(0, expect["vitals"].get(p, 0) - unique[(pid, "patient_status", p)])
        out.update(lost=lost, duplicates=sum(c - 1 for c in tally.changes.values() if c > 1),
                   changes_by_table=dict(Counter(k[1] for k in tally.changes)))
    return out


async def main() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=256 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    setup = json.loads(await reader.readline())
    plan = setup["plan"]
    tally = Tally()
    limit = asyncio.Semaphore(JOIN_CONCURRENCY)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:  # one socket each
        stations = [Workstation(session, setup["url"], setup["anon_key"], plan, spec, tally)
                    for spec in setup["workstations"]]

        async def open_one(ws: Workstation) -> None:
            async with limit:
                await ws.open()

        results = await asyncio.gather(*(open_one(w) for w in stations), return_exceptions=True)
        errors = [repr(r) for r in results if isinstance(r, BaseException)]
        print(json.dumps({"ready": len(stations) - len(errors), "errors": errors[:5]}), flush=True)
        while line := await reader.readline():
            cmd = json.loads(line)
            if cmd["cmd"] == "quit":
                break
            started = time.monotonic()
            while not (done := complete(plan, tally, cmd["expect"])) and time.monotonic() < started + cmd["deadline"]:
                await asyncio.sleep(0.1)  # polling the counters, bounded by the deadline
            waited = time.monotonic() - started
            print(json.dumps(report(plan, tally, cmd, stations, waited, done)), flush=True)
            tally.reset()
        await asyncio.gather(*(w.close() for w in stations))


if __name__ == "__main__":
    asyncio.run(main())
