"""A well-behaved client that times its own round trips to a sandbox, in a process of its own (so what
the test process does meanwhile cannot slow it down): heartbeats on a Realtime socket and REST reads,
until its standard input closes; then one JSON line {"ws": [...], "rest": [...]} of seconds.

    python -m tests.support.honest_client URL ANON_KEY
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp

PAUSE_S = 0.02


async def measure(url: str, key: str, stop: asyncio.Event) -> dict[str, list[float]]:
    rtts: dict[str, list[float]] = {"ws": [], "rest": []}
    async with aiohttp.ClientSession() as session:
        ws = await session.ws_connect(f"{url}/realtime/v1/websocket", params={"apikey": key, "vsn": "1.0.0"})
        print("ready", flush=True)
        ref = 0
        while not stop.is_set():
            ref += 1
            started = time.monotonic()
            await ws.send_str(json.dumps({"topic": "phoenix", "event": "heartbeat", "payload": {}, "ref": str(ref)}))
            while json.loads((await ws.receive(timeout=10)).data).get("ref") != str(ref):
                pass
            rtts["ws"].append(time.monotonic() - started)
            started = time.monotonic()
            async with session.get(f"{url}/rest/v1/tenants?select=id", headers={"apikey": key}) as r:
                await r.read()
                if r.status != 200:
                    raise RuntimeError(f"REST read answered {r.status}")
            rtts["rest"].append(time.monotonic() - started)
            await asyncio.sleep(PAUSE_S)
        await ws.close()
    return rtts


async def main(url: str, key: str) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_reader(sys.stdin.fileno(), lambda: sys.stdin.read() == "" and stop.set())
    print(json.dumps(await measure(url, key, stop)), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
