"""The security review's sandbox findings, tried against a real ``tjv-sandbox`` process of this module's
own, through the official clients or the raw protocol as an attacker would."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import asyncpg
import httpx
import pytest
from realtime import AsyncRealtimeClient

from tests.support.sandbox import private_sandbox

LAKESIDE_NURSE = "nurse@lakeside.tjv.test"
RIVERSIDE_PATIENT1 = "c0000000-0000-4000-8000-000000001001"
TIMEOUT = 15


@pytest.fixture(scope="module")
def own_sandbox():
    with private_sandbox("tjv-sec-sandbox-") as handle:
        yield handle


@pytest.fixture
async def db(own_sandbox):
    conn = await asyncpg.connect(own_sandbox.db_url)
    yield conn
    await conn.close()


def sandbox_log(handle) -> str:
    return (handle.data_dir.parent / f"{handle.data_dir.name}.log").read_text(errors="replace")


class RawSocket:
    """A Realtime websocket spoken by hand (V1 frames)."""

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse):
        self.session, self.ws, self._ref = session, ws, 0

    @classmethod
    async def open(cls, sandbox, key: str | None = None) -> RawSocket:
        session = aiohttp.ClientSession()
        ws = await session.ws_connect(f"{sandbox.url}/realtime/v1/websocket",
                                      params={"apikey": key or sandbox.anon_key, "vsn": "1.0.0"},
                                      max_msg_size=0)
        return cls(session, ws)

    async def send(self, topic: str, event: str, payload, join_ref: str | None = None) -> str:
        self._ref += 1
        ref = str(self._ref)
        await self.ws.send_str(json.dumps({"topic": topic, "event": event, "payload": payload, "ref": ref,
                                           "join_ref": join_ref}))
        return ref

    async def recv_until(self, predicate, timeout: float = TIMEOUT) -> dict:
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise ConnectionError(f"socket ended: {msg.type}")
                frame = json.loads(msg.data)
                if predicate(frame):
                    return frame

    async def heartbeat_round_trip(self) -> float:
        started = time.monotonic()
        ref = await self.send("phoenix", "heartbeat", {})
        await self.recv_until(lambda f: f["ref"] == ref and f["event"] == "phx_reply")
        return time.monotonic() - started

    async def close(self) -> None:
        await self.ws.close()
        await self.session.close()


# -- 5. auth functions, roles and extensions as on Supabase ---------------------------------------------

async def test_auth_uid_reads_the_claims_as_supabase_does_after_a_legacy_setting(db):
    earlier, now_user = uuid.uuid4(), uuid.uuid4()
    async with db.transaction():
        await db.execute("select set_config('request.jwt.claim.sub', $1, true)", str(earlier))
    # the legacy setting is now '' on this connection; PostgREST sets only request.jwt.claims
    async with db.transaction():
        await db.execute("select set_config('request.jwt.claims', $1, true)",
                         json.dumps({"sub": str(now_user), "role": "authenticated"}))
        assert await db.fetchval("select auth.uid()") == now_user
        assert await db.fetchval("select auth.role()") == "authenticated"
    with pytest.raises(asyncpg.InvalidTextRepresentationError):
        async with db.transaction():
            await db.execute("select set_config('request.jwt.claims', '{\"sub\": \"\"}', true)")
            await db.fetchval("select auth.uid()")


async def test_api_roles_extensions_and_grants_are_a_hosted_projects(db, own_sandbox):
    roles = {r["rolname"]: (r["rolinherit"], r["rolconfig"] or []) for r in await db.fetch(
        "select r.rolname, r.rolinherit, s.setconfig as rolconfig from pg_roles r left join pg_db_role_setting s "
        "on s.setrole = r.oid and s.setdatabase = 0 where r.rolname in ('anon', 'authenticated', 'service_role')")}
    assert roles == {"anon": (True, ["statement_timeout=3s"]), "authenticated": (True, ["statement_timeout=8s"]),
                     "service_role": (True, [])}
    for role in ("anon", "authenticated", "service_role"):
        assert not await db.fetchval("select has_table_privilege($1, 'realtime.messages', 'DELETE')", role)
        assert await db.fetchval("select has_table_privilege($1, 'realtime.messages', 'SELECT, INSERT, UPDATE')",
                                 role)
    assert await db.fetchval("select n.nspname from pg_extension e join pg_namespace n on n.oid = e.extnamespace "
                             "where e.extname = 'uuid-ossp'") == "extensions"
    fresh = await asyncpg.connect(own_sandbox.db_url)  # the role's search_path applies to new sessions
    try:
        assert isinstance(await fresh.fetchval("select uuid_generate_v4()"), uuid.UUID)
    finally:
        await fresh.close()
    # REST runs each role with its own statement timeout, as PostgREST applies role settings
    await db.execute("create or replace function public.tjv_test_timeout() returns text language sql stable "
                     "as $$ select current_setting('statement_timeout') $$")
    key = own_sandbox.anon_key
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(f"{own_sandbox.url}/rest/v1/rpc/tjv_test_timeout", json={},
                                 headers={"apikey": key, "Authorization": f"Bearer {key}"})
        assert (answer.status_code, answer.json()) == (200, "3s")
        token = own_sandbox.sign_in(LAKESIDE_NURSE)["access_token"]
        answer = await http.post(f"{own_sandbox.url}/rest/v1/rpc/tjv_test_timeout", json={},
                                 headers={"apikey": key, "Authorization": f"Bearer {token}"})
        assert answer.json() == "8s"


# -- 9. a regular expression filter never stalls the server ---------------------------------------------

async def test_a_pathological_match_filter_stalls_no_one(own_sandbox, db):
    client = AsyncRealtimeClient(f"{own_sandbox.url}/realtime/v1", token=own_sandbox.service_role_key,
                                 auto_reconnect=False)
    await client.connect()
    live, got = asyncio.Event(), []
    try:
        channel = client.channel(f"evil-{uuid.uuid4().hex[:6]}")
        channel.on_postgres_changes("INSERT", lambda p: got.append(p["data"]["record"]["body"]),
                                    table="messages", schema="public", filter="body=match.^(a+)+$")
        channel.on_system(lambda p: p.message == "Subscribed to PostgreSQL" and live.set())
        await channel.subscribe()
        async with asyncio.timeout(TIMEOUT):
            await live.wait()

        stop = asyncio.Event()
        rtts: list[float] = []

        async def probe() -> None:
            key = own_sandbox.service_role_key
            async with httpx.AsyncClient(timeout=30) as http:
                while not stop.is_set():
                    started = time.monotonic()
                    r = await http.get(f"{own_sandbox.url}/rest/v1/tenants?select=id",
                                       headers={"apikey": key, "Authorization": f"Bearer {key}"})
                    assert r.status_code == 200
                    rtts.append(time.monotonic() - started)

        prober = asyncio.create_task(probe())
        for body in ("a" * 26 + "!", "a" * 26 + "!", "aaaa"):
            await db.execute("insert into messages (patient_id, sender_role, body) values ($1, 'system', $2)",
                             uuid.UUID(RIVERSIDE_PATIENT1), body)
        async with asyncio.timeout(TIMEOUT):
            while not got:
                await asyncio.sleep(0.02)
        stop.set()
        await prober
    finally:
        await client.close()
    assert got == ["aaaa"]  # evaluated (by PostgreSQL) and correct
    assert len(rtts) >= 3 and max(rtts) < 0.5, rtts  # Python's re took 4.5 s per change, on the loop


# -- 10. DELETE filters reveal nothing ------------------------------------------------------------------

async def test_filters_on_deleted_rows_of_another_tenant_reveal_nothing(own_sandbox, db):
    rows = await db.fetch("select * from raise_alert($1, 'medium', $2, 'Carol Andersen-like text 38.9 °C')",
                          uuid.UUID(RIVERSIDE_PATIENT1), f"t-{uuid.uuid4().hex[:6]}")
    target = str(rows[0]["id"])
    client = AsyncRealtimeClient(f"{own_sandbox.url}/realtime/v1", token=own_sandbox.anon_key,
                                 auto_reconnect=False)
    await client.set_auth(own_sandbox.sign_in(LAKESIDE_NURSE)["access_token"])
    await client.connect()
    seen: dict[str, list[dict]] = {"carol": [], "zelda": [], "by_id": []}
    try:
        for name, flt in (("carol", "message=like.%Carol%"), ("zelda", "message=like.%Zelda%"),
                          ("by_id", f"id=eq.{target}")):
            live = asyncio.Event()
            channel = client.channel(f"del-{name}-{uuid.uuid4().hex[:6]}")
            channel.on_postgres_changes("DELETE", lambda p, name=name: seen[name].append(p["data"]),
                                        table="patient_alerts", schema="public", filter=flt)
            channel.on_system(lambda p, live=live: p.message == "Subscribed to PostgreSQL" and live.set())
            await channel.subscribe()
            async with asyncio.timeout(TIMEOUT):
                await live.wait()
        await db.execute("delete from patient_alerts where event_id = $1", rows[0]["event_id"])
        async with asyncio.timeout(TIMEOUT):  # the delete reached this socket: a key filter still matches
            while not seen["by_id"]:
                await asyncio.sleep(0.02)
    finally:
        await client.close()
    assert seen["by_id"][0]["old_record"] == {"id": target}  # the key only: nothing of the hidden row
    assert seen["carol"] == seen["zelda"] == []  # a filter on the text tells nothing about it


# -- 11. presence and joins ----------------------------------------------------------------------------

async def test_an_oversized_presence_payload_closes_the_channel_as_the_real_server_does(own_sandbox):
    ws = await RawSocket.open(own_sandbox)
    try:
        topic = f"realtime:big-{uuid.uuid4().hex[:6]}"
        join = await ws.send(topic, "phx_join", {"config": {"presence": {"key": "big", "enabled": True}}})
        await ws.recv_until(lambda f: f["ref"] == join)
        await ws.send(topic, "presence", {"event": "track", "payload": {"blob": "x" * 3_100_000}}, join)
        system = await ws.recv_until(lambda f: f["event"] == "system")
        assert system["payload"]["message"] == "Track message size exceeded"
        await ws.recv_until(lambda f: f["event"] == "phx_close" and f["topic"] == topic)
        assert await ws.heartbeat_round_trip() < 1.0  # the socket lives on
    finally:
        await ws.close()


async def test_refused_joins_hold_up_nothing_and_a_dropped_socket_leaves_presence_at_once(own_sandbox):
    room = f"realtime:room-{uuid.uuid4().hex[:6]}"
    observer = await RawSocket.open(own_sandbox)
    visitor = await RawSocket.open(own_sandbox)
    try:
        for ws, key in ((observer, "observer"), (visitor, "visitor")):
            join = await ws.send(room, "phx_join", {"config": {"presence": {"key": key, "enabled": True}}})
            await ws.recv_until(lambda f, join=join: f["ref"] == join)
            await ws.send(room, "presence", {"event": "track", "payload": {"who": key}}, join)
        await observer.recv_until(lambda f: f["event"] == "presence_diff" and "visitor" in f["payload"]["joins"])
        # six joins the server refuses (anon may not read these private topics), each answered after 5 s
        for n in range(6):
            await visitor.send(f"realtime:provider:{uuid.uuid4()}-{n}", "phx_join", {"config": {"private": True}})
        assert await visitor.heartbeat_round_trip() < 1.0
        visitor.ws._response.connection.transport.abort()  # gone without a close frame
        started = time.monotonic()
        await observer.recv_until(lambda f: f["event"] == "presence_diff" and "visitor" in f["payload"]["leaves"])
        assert time.monotonic() - started < 2.0
    finally:
        await observer.close()
        await visitor.session.close()


# -- 12. only the project's keys ----------------------------------------------------------------------

async def test_an_unknown_opaque_key_is_no_key(own_sandbox):
    async with httpx.AsyncClient(timeout=10) as http:
        for key in ("sb_publishable_guessed", "sb_secret_guessed"):
            rest = await http.get(f"{own_sandbox.url}/rest/v1/tenants", headers={"apikey": key})
            broadcast = await http.post(f"{own_sandbox.url}/realtime/v1/api/broadcast",
                                        headers={"apikey": key, "Authorization": f"Bearer {key}"},
                                        json={"messages": [{"topic": "t", "event": "e", "payload": {}}]})
            assert (rest.status_code, broadcast.status_code) == (401, 401), key
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await RawSocket.open(own_sandbox, key="sb_publishable_guessed")
    assert refused.value.status == 401


# -- 13. nesting bounded ---------------------------------------------------------------------------------

async def test_deeply_nested_input_gets_the_services_own_errors_and_no_traceback(own_sandbox):
    deep = "[" * 100_000 + "]" * 100_000
    key = own_sandbox.anon_key
    headers = {"apikey": key, "Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    tree = "and(" * 400 + "id.eq.1" + ")" * 400
    async with httpx.AsyncClient(timeout=10) as http:
        insert = await http.post(f"{own_sandbox.url}/rest/v1/messages", content=deep, headers=headers)
        assert (insert.status_code, insert.json()["code"]) == (400, "PGRST102")
        logic = await http.get(f"{own_sandbox.url}/rest/v1/messages", params={"or": f"({tree})"}, headers=headers)
        assert (logic.status_code, logic.json()["code"]) == (400, "PGRST100")
        for path in ("token?grant_type=password", "signup"):
            auth = await http.post(f"{own_sandbox.url}/auth/v1/{path}", content=deep, headers=headers)
            assert (auth.status_code, auth.json()["error_code"]) == (400, "bad_json"), path
        for path in ("api/broadcast", "api/broadcast/room/events/e"):
            broadcast = await http.post(f"{own_sandbox.url}/realtime/v1/{path}", content=deep, headers=headers)
            assert broadcast.status_code == 422 and "errors" in broadcast.json(), path
    ws = await RawSocket.open(own_sandbox)
    try:
        await ws.ws.send_str('{"topic": "realtime:x", "event": "broadcast", "ref": "1", "payload": ' + deep + "}")
        assert await ws.heartbeat_round_trip() < 1.0  # dropped as malformed, the socket lives on
    finally:
        await ws.close()
    assert "Traceback" not in sandbox_log(own_sandbox)


# -- 14. secrets are owner-only from their creation -----------------------------------------------------

def test_secret_files_are_created_owner_only(own_sandbox):
    data = own_sandbox.data_dir
    for path in (data / "project-keys.json", data / "postgres" / "superuser.secret", data / "postgres" / "postgres.log"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


# -- 15. a data directory PostgreSQL's user cannot reach -----------------------------------------------

@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the cluster to the postgres user")
def test_a_data_dir_inside_a_private_folder_fails_at_once_naming_the_folder():
    private = Path(tempfile.mkdtemp())  # mode 0700, as mktemp -d makes it
    try:
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "tjv_sandbox.cli", "--data-dir", str(private / "data")],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2 and result.stdout == ""
        assert time.monotonic() - started < 15
        lines = [line for line in result.stderr.splitlines() if "ERROR" in line]
        assert len(lines) == 1 and str(private) in lines[0] and f"chmod o+x {private}" in lines[0], result.stderr
        assert "could not change directory" not in result.stderr
    finally:
        subprocess.run(["rm", "-rf", str(private)], check=False)
