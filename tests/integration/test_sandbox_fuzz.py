"""A bounded fuzz of the sandbox's websocket, REST and Auth: malformed, oversized, deeply nested input and
bursts, from a fixed seed, while an honest client measures its own round trips.

The sandbox must answer every HTTP request with the service's own 4xx (never a 5xx), keep every socket
it should keep, log no traceback, stall the honest client by no more than 100 ms and keep its memory
bounded. Runs in about half a minute."""

from __future__ import annotations

import asyncio
import json
import random
import string
import subprocess
import sys
import time
import uuid

import aiohttp
import pytest

from tests.support.sandbox import private_sandbox

SEED = 20261206
STALL_BOUND_S = 0.100
RSS_GROWTH_BOUND_MB = 150
NURSE = "nurse@riverside.tjv.test"


@pytest.fixture(scope="module")
def own_sandbox():
    with private_sandbox("tjv-fuzz-") as handle:
        yield handle


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def deep(levels: int, opener: str = "[", closer: str = "]") -> str:
    return opener * levels + closer * levels


def junk(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.printable + "äø€😀\x00") for _ in range(n))


class Honest:
    """tests/support/honest_client.py in a process of its own, timing its round trips meanwhile."""

    def __init__(self, sandbox):
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.support.honest_client", sandbox.url,
                                      sandbox.anon_key], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def finish(self) -> dict[str, list[float]]:
        out, _ = self.proc.communicate(timeout=30)
        assert self.proc.returncode == 0
        return json.loads(out.splitlines()[-1])


async def fuzz_rest_and_auth(sandbox, session: aiohttp.ClientSession, rng: random.Random) -> list[tuple]:
    """Hostile HTTP requests; returns (status, request) of every answer that was not a 2xx/4xx JSON error."""
    url, anon = sandbox.url, sandbox.anon_key
    token = sandbox.sign_in(NURSE)["access_token"]
    auth = {"apikey": anon, "Authorization": f"Bearer {token}"}
    bad: list[tuple] = []
    queries = [
        {"or": "(" + deep(300, "and(", ")") + ")"}, {"or": "(id.eq.1"}, {"and": "((((("}, {"select": "*,x(y(z))"},
        {"select": "::::"}, {"order": "id.sideways"}, {"limit": "-1"}, {"limit": "99999999999999999999"},
        {"offset": "x"}, {"id": "eq." + "9" * 5000}, {"id": "in.(" + ",".join(["x"] * 3000) + ")"},
        {"full_name": "like.%" * 500}, {"full_name": "match.(("}, {"tags": "cs.{" * 200}, {"id": "is.maybe"},
        {"id": "nope.1"}, {"\x00": "eq.1"}, {"id": "eq.\udcff".encode("utf-8", "surrogatepass").decode("latin-1")},
    ] + [{junk(rng, 8): junk(rng, 40)} for _ in range(40)]
    for params in queries:
        for table in ("patients", "vital_signs", "rpc/acknowledge_alert", "nope"):
            async with session.get(f"{url}/rest/v1/{table}", params=params, headers=auth) as r:
                await check(r, ("GET", table, str(params)[:80]), bad)
    bodies = [deep(100_000), deep(100_000, "{\"a\":", "}"), "[" * 50_000, junk(rng, 5000), "null", "[1,2]",
              json.dumps({"patient_id": "x" * 100_000}), json.dumps([{"body": "x"}] * 5000),
              json.dumps({"body": "y" * 7_000_000})]
    for body in bodies:
        for method, path in (("POST", "rest/v1/messages"), ("PATCH", "rest/v1/messages?id=eq.1"),
                             ("POST", "rest/v1/rpc/accept_alert"), ("POST", "auth/v1/token?grant_type=password"),
                             ("POST", "auth/v1/token?grant_type=refresh_token"), ("POST", "auth/v1/signup"),
                             ("POST", "auth/v1/admin/users"), ("POST", "realtime/v1/api/broadcast"),
                             ("POST", "realtime/v1/api/broadcast/room/events/e")):
            async with session.request(method, f"{url}/{path}", data=body.encode("utf-8", "surrogatepass"),
                                       headers={**auth, "Content-Type": "application/json"}) as r:
                await check(r, (method, path, body[:40]), bad)
    for headers in ({"apikey": "sb_secret_x"}, {"apikey": "".join(rng.choice(string.ascii_letters + ".-_") for _ in range(300))}, {"apikey": anon, "Authorization": "Bearer ."},
                    {"apikey": anon, "Accept-Profile": "auth"}, {"apikey": anon, "Prefer": "count=" + "x" * 1000},
                    {"apikey": anon, "Accept": "application/vnd.pgrst.object+json"}):
        for path in ("rest/v1/patients", "auth/v1/user", "auth/v1/admin/users", "sandbox/v1/restart-postgres"):
            method = "POST" if path.endswith("restart-postgres") else "GET"
            async with session.request(method, f"{url}/{path}", headers=headers) as r:
                await check(r, (method, path, str(headers)[:60]), bad)
    async with session.head(f"{url}/rest/v1/patients", headers={**auth, "Prefer": "count=exact"}) as r:
        if r.status != 200:
            bad.append((r.status, "HEAD"))
    return bad


async def check(response: aiohttp.ClientResponse, request: tuple, bad: list[tuple]) -> None:
    body = await response.read()
    if response.status >= 500:
        bad.append((response.status, request, body[:200]))
    elif response.status >= 400 and body:
        try:
            json.loads(body)
        except ValueError:
            bad.append((response.status, request, "error body is not JSON"))


async def fuzz_websocket(sandbox, session: aiohttp.ClientSession, rng: random.Random) -> None:
    """Hostile frames on several sockets; each socket must still answer a heartbeat afterwards, except the
    one whose outbound queue we refuse to read (it may be closed)."""
    url = f"{sandbox.url}/realtime/v1/websocket"

    async def socket(vsn: str):
        return await session.ws_connect(url, params={"apikey": sandbox.anon_key, "vsn": vsn}, max_msg_size=0)

    def v1(topic, event, payload, ref="1", join_ref=None) -> str:
        return json.dumps({"topic": topic, "event": event, "payload": payload, "ref": ref, "join_ref": join_ref})

    v1_frames = [junk(rng, 200), "{", "[]", "1", "null", json.dumps({"topic": 1, "event": [], "payload": 0, "ref": {}}),
                 '{"topic":"realtime:a","event":"x","payload":' + deep(50_000) + ',"ref":"1"}',
                 v1("realtime:a", "phx_join", {"config": []}), v1("realtime:a", "phx_join", {"config": {"postgres_changes": [
                     {"event": "*", "schema": "public", "table": "patients", "filter": "full_name=match.((("},
                     {"event": "*", "schema": "public", "table": "patients", "filter": "id=in.(" + "{" * 30 + ")"},
                     {"schema": 7}, "x", None]}}),
                 v1("realtime:b", "phx_join", {"config": {"presence": {"enabled": True, "key": deep(20, "{\"k\":", "}")}}}),
                 v1("realtime:b", "presence", {"event": "track", "payload": {"blob": "z" * 3_100_000}}),
                 v1("realtime:c", "phx_join", {"access_token": "x.y.z"}), v1("realtime:c", "access_token", {"access_token": 5}),
                 v1("realtime:d", "broadcast", {"type": "broadcast", "event": "e", "payload": {"x": "y" * 3_100_000}}),
                 v1("realtime:e", "phx_join", {"config": {"private": True}}), v1("phoenix", "heartbeat", deep(10)),
                 "x" * 5_500_000]
    v2_frames = [json.dumps([None, None, None, None]), json.dumps(["1", "1", "realtime:f", "phx_join", {"config": "x"}]),
                 json.dumps(["1", "2", "realtime:f", "broadcast", {"event": "e", "payload": deep(30)}])]
    binary = [bytes([3, 255, 255, 255, 255, 255, 1]) + b"x" * 10, bytes([3]), bytes([9]) * 100,
              bytes([3, 0, 0, 10, 1, 0, 1]) + b"realtime:f" + b"e" + b"{" * 5000,
              bytes(rng.getrandbits(8) for _ in range(2000))]

    sockets = []
    v1_ws = await socket("1.0.0")
    sockets.append(v1_ws)
    for frame in v1_frames:
        await v1_ws.send_str(frame)
    await v1_ws.send_bytes(b"\x03binary on a 1.0.0 socket")
    v2_ws = await socket("2.0.0")
    sockets.append(v2_ws)
    for frame in v2_frames:
        await v2_ws.send_str(frame)
    for frame in binary:
        await v2_ws.send_bytes(frame)

    # bursts: one socket joins past the channel limit and floods broadcasts to itself and a second reader
    burst = await socket("1.0.0")
    sockets.append(burst)
    for n in range(120):
        await burst.send_str(v1(f"realtime:burst-{n}", "phx_join", {"config": {"broadcast": {"self": True}}},
                                str(n), str(n)))
    for n in range(1500):
        await burst.send_str(v1("realtime:burst-0", "broadcast", {"type": "broadcast", "event": "e",
                                                                   "payload": {"n": n}}, str(n), "0"))
    # a socket that never reads while being flooded: the server may drop it, nobody else waits for it
    mute = await socket("1.0.0")
    await mute.send_str(v1("realtime:burst-0", "phx_join", {}, "1", "1"))
    for _ in range(200):
        await burst.send_str(v1("realtime:burst-0", "broadcast", {"type": "broadcast", "event": "e",
                                                                   "payload": {"pad": "p" * 20_000}}, "1", "0"))
    # join storms of refused private joins, then an abrupt disconnect
    storm = await socket("1.0.0")
    for n in range(60):
        await storm.send_str(v1(f"realtime:provider:{uuid.uuid4()}", "phx_join", {"config": {"private": True}},
                                str(n), str(n)))
    storm._response.connection.transport.abort()

    for ws in sockets:
        if ws is v2_ws:
            await ws.send_str(json.dumps([None, "alive", "phoenix", "heartbeat", {}]))
        else:
            await ws.send_str(v1("phoenix", "heartbeat", {}, "alive"))
        async with asyncio.timeout(20):
            while True:
                msg = await ws.receive()
                assert msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY), (msg.type, msg.data)
                if msg.type == aiohttp.WSMsgType.TEXT:
                    frame = json.loads(msg.data)
                    if (frame.get("ref") if isinstance(frame, dict) else frame[1]) == "alive":
                        break
        await ws.close()
    await mute.close()


async def test_fuzzed_input_answers_cleanly_stalls_no_one_and_keeps_memory_bounded(own_sandbox):
    rng = random.Random(SEED)
    pid = own_sandbox.proc.pid
    started = time.monotonic()
    honest = Honest(own_sandbox)
    rss_before = rss_mb(pid)
    async with aiohttp.ClientSession() as session:
        bad = await fuzz_rest_and_auth(own_sandbox, session, rng)
        await fuzz_websocket(own_sandbox, session, rng)
    rtts = honest.finish()
    rss_after = rss_mb(pid)
    elapsed = time.monotonic() - started
    log = (own_sandbox.data_dir.parent / f"{own_sandbox.data_dir.name}.log").read_text(errors="replace")
    worst_ws, worst_rest = max(rtts["ws"]), max(rtts["rest"])
    print(f"fuzz: {elapsed:.1f} s; honest client {len(rtts['ws'])} heartbeats (max {worst_ws * 1000:.1f} ms), "
          f"{len(rtts['rest'])} REST reads (max {worst_rest * 1000:.1f} ms); "
          f"sandbox RSS {rss_before:.0f} -> {rss_after:.0f} MB")
    assert len(rtts["ws"]) >= 20  # it measured all along
    assert bad == []
    assert "Traceback" not in log
    assert worst_ws < STALL_BOUND_S and worst_rest < STALL_BOUND_S, (worst_ws, worst_rest)
    assert rss_after - rss_before < RSS_GROWTH_BOUND_MB
    assert elapsed < 60
