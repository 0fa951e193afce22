"""The sandbox's Realtime websocket and REST broadcast, checked frame by frame against the protocol
reference (shared/reference/supabase-realtime-protocol.md) and with the official Python client."""

from __future__ import annotations

import asyncio
import json
import logging
import time

import aiohttp
import pytest
import yarl
from realtime import AsyncRealtimeClient, RealtimeSubscribeStates

from tests.support.realtime_support import TIMEOUT, event_of, payload_of, private_topic, realtime_server

pytestmark = pytest.mark.sandbox


@pytest.fixture
async def realtime(pg_cluster, tmp_path):
    """The Realtime routes in-process on the session's PostgreSQL, with a fake postgres_changes hub."""
    async with realtime_server(pg_cluster, tmp_path) as rt:
        yield rt

OK_EMPTY = {"status": "ok", "response": {}}


def kind3(join_ref: str, ref: str, topic: str, event: str, payload: bytes, encoding: int = 1,
          meta: bytes = b"") -> bytes:
    fields = [join_ref.encode(), ref.encode(), topic.encode(), event.encode(), meta]
    return bytes([3, *map(len, fields), encoding]) + b"".join(fields) + payload


def kind4(topic: str, event: str, payload: bytes, encoding: int = 1) -> bytes:
    return bytes([4, len(topic.encode()), len(event.encode()), 0, encoding]) + topic.encode() + event.encode() + payload


async def python_client(rt, token: str | None = None) -> AsyncRealtimeClient:
    client = AsyncRealtimeClient(f"{rt.url}/realtime/v1", token=rt.anon_key, auto_reconnect=False)
    await client.connect()
    if token:
        await client.set_auth(token)
    return client


async def subscribed(channel, timeout: float = TIMEOUT):
    """Subscribes and returns (state, error) of the first subscribe callback."""
    result: asyncio.Future = asyncio.get_running_loop().create_future()

    def on_state(state, err):
        if not result.done():
            result.set_result((state, err))

    await channel.subscribe(on_state)
    return await asyncio.wait_for(result, timeout)


# -- serializers, refs and socket-level events -----------------------------------------------------------

async def test_v1_frames_have_exactly_topic_event_payload_ref(realtime):
    ws = await realtime.raw("1.0.0")
    await ws.send("phoenix", "heartbeat", {}, None)
    assert await ws.recv_raw() == '{"topic":"phoenix","event":"phx_reply","payload":{"status":"ok","response":{}},"ref":null}'

    join_ref, reply = await ws.join("realtime:room1", {"broadcast": {"self": True}, "presence": {"enabled": True}})
    assert reply == {"topic": "realtime:room1", "event": "phx_reply",
                     "payload": {"status": "ok", "response": {"postgres_changes": []}}, "ref": join_ref}
    state = await ws.recv()
    assert state == {"topic": "realtime:room1", "event": "presence_state", "payload": {}, "ref": None}

    await ws.send("realtime:room1", "broadcast", {"type": "broadcast", "event": "msg", "payload": {"a": 1}}, "2", join_ref)
    assert await ws.recv() == {"topic": "realtime:room1", "event": "broadcast", "ref": None,
                               "payload": {"type": "broadcast", "event": "msg", "payload": {"a": 1}}}

    await ws.send("realtime:room1", "phx_leave", {}, "3", join_ref)
    assert await ws.recv() == {"topic": "realtime:room1", "event": "phx_reply", "payload": OK_EMPTY, "ref": "3"}
    assert await ws.recv() == {"topic": "realtime:room1", "event": "phx_close", "payload": {}, "ref": join_ref}


async def test_v2_frames_carry_join_ref_by_kind_of_message(realtime):
    ws = await realtime.raw("2.0.0")
    await ws.send("phoenix", "heartbeat", {}, "10")
    assert await ws.recv() == [None, "10", "phoenix", "phx_reply", OK_EMPTY]

    await ws.send("realtime:room2", "phx_join",
                  {"config": {"broadcast": {"self": "TRUE", "ack": "true"}, "presence": {"enabled": True, "key": "k1"}}},
                  "6", "6")
    assert await ws.recv() == ["6", "6", "realtime:room2", "phx_reply", {"status": "ok", "response": {"postgres_changes": []}}]
    assert await ws.recv() == ["6", None, "realtime:room2", "presence_state", {}]

    await ws.send("realtime:room2", "presence", {"type": "presence", "event": "TRACK", "payload": {"name": "js"}}, "7", "6")
    assert await ws.recv() == ["6", "7", "realtime:room2", "phx_reply", OK_EMPTY]
    diff = await ws.recv()
    assert diff[:4] == [None, None, "realtime:room2", "presence_diff"]
    [meta] = diff[4]["joins"]["k1"]["metas"]
    assert meta["name"] == "js" and len(meta["phx_ref"]) == 16 and diff[4]["leaves"] == {}

    # a V2 text broadcast is delivered as text to everyone; the ack reply comes before the self echo
    await ws.send("realtime:room2", "broadcast", {"type": "broadcast", "event": "e", "payload": {"x": 1}}, "8", "6")
    assert await ws.recv() == ["6", "8", "realtime:room2", "phx_reply", OK_EMPTY]
    assert await ws.recv() == [None, None, "realtime:room2", "broadcast", {"type": "broadcast", "event": "e", "payload": {"x": 1}}]

    await ws.send("realtime:room2", "phx_leave", {}, "9", "6")
    assert await ws.recv() == ["6", "9", "realtime:room2", "phx_reply", OK_EMPTY]
    assert await ws.recv() == ["6", "6", "realtime:room2", "phx_close", {}]


async def test_duplicate_join_replies_first_then_closes_the_old_join(realtime):
    ws = await realtime.raw("2.0.0")
    await ws.send("realtime:dup", "phx_join", {"config": {}}, "1", "1")
    assert (await ws.recv())[4]["status"] == "ok"
    await ws.send("realtime:dup", "phx_join", {"config": {}}, "2", "2")
    assert await ws.recv() == ["2", "2", "realtime:dup", "phx_reply", {"status": "ok", "response": {"postgres_changes": []}}]
    assert await ws.recv() == ["1", "1", "realtime:dup", "phx_close", {}]
    # the new join is the live one
    await ws.send("realtime:dup", "broadcast", {"type": "broadcast", "event": "e", "payload": {}}, "3", "2")
    await ws.assert_silent()


async def test_unmatched_topics(realtime):
    ws = await realtime.raw("1.0.0")
    await ws.send("realtime:nope", "broadcast", {"event": "e", "payload": {}}, "1", "1")
    assert await ws.recv() == {"topic": "realtime:nope", "event": "phx_reply", "ref": "1",
                               "payload": {"status": "error", "response": {"reason": "unmatched topic"}}}
    await ws.send("realtime:nope", "phx_leave", {}, "2", "1")
    assert payload_of(await ws.recv()) == OK_EMPTY
    await ws.send("room-without-prefix", "phx_join", {"config": {}}, "3", "3")
    assert payload_of(await ws.recv()) == {"status": "error", "response": {"reason": "unmatched topic"}}
    await ws.send("realtime:", "phx_join", {"config": {}}, "4", "4")
    assert payload_of(await ws.recv()) == {
        "status": "error", "response": {"reason": "TopicNameRequired: You must provide a topic name"}}


async def test_bad_frames_are_dropped_with_one_log_line_each_and_the_socket_stays_up(pg_cluster, tmp_path, caplog):
    async with realtime_server(pg_cluster, tmp_path, max_frame_size=100_000) as rt:
        v1 = await rt.raw("1.0.0")
        join_ref, _ = await v1.join("realtime:bad")
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="tjv_sandbox.realtime"):
            await v1.ws.send_str("this is not json")
            await v1.ws.send_str(json.dumps({"topic": "realtime:bad", "event": "broadcast", "payload": {}}))  # no ref
            await v1.ws.send_str(json.dumps(["not", "an", "object"]))
            await v1.send("realtime:bad", "no_such_event", {}, "5", join_ref)
            await v1.ws.send_str(json.dumps({"topic": "realtime:bad", "event": "broadcast", "ref": None,
                                             "payload": {"event": "big", "payload": {"x": "y" * 200_000}}}))
            await v1.ws.send_bytes(b"\x03binary on a 1.0.0 socket")
            await v1.assert_silent()
            v2 = await rt.raw("2.0.0")
            await v2.ws.send_bytes(b"\x01\x02")  # a kind the server never accepts
            await v2.ws.send_bytes(b"\x03\x05\x05")  # truncated kind 3
            await v2.ws.send_str('{"not": "an array"}')
            await v2.assert_silent()
        dropped = [r for r in caplog.records if "dropped" in r.message or "Malformed" in r.message]
        assert len(dropped) == 9, [r.message for r in dropped]


async def test_connect_time_errors_are_http_errors_with_the_real_texts(realtime):
    http = await realtime.http()
    url = f"{realtime.url}/realtime/v1/websocket"
    now = int(time.time())
    cases = [
        ({}, "API key is missing"),
        ({"apikey": "not-a-jwt"}, "The token provided is not a valid JWT"),
        ({"apikey": realtime.keys.sign({"role": "anon", "exp": now - 10})}, "Token has expired"),
        ({"apikey": realtime.keys.sign({"role": "anon"})}, "Fields `role` and `exp` are required in JWT"),
        ({"apikey": realtime.anon_key[:-4] + "AAAA"}, "Failed to validate JWT signature"),
        # the project has no opaque keys: an sb_… key is not one of its keys
        ({"apikey": "sb_publishable_sandbox"}, "The token provided is not a valid JWT"),
    ]
    for params, message in cases:
        async with http.get(url, params={**params, "vsn": "1.0.0"},
                            headers={"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                                     "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}) as resp:
            assert (resp.status, await resp.json()) == (401, {"error": message}), params

    # the x-api-key header wins over the query parameter
    ws = await http.ws_connect(url, params={"apikey": "garbage"}, headers={"x-api-key": realtime.anon_key})
    await ws.close()


async def test_join_token_errors_use_the_real_reasons(realtime):
    ws = await realtime.raw("1.0.0")
    expired = realtime.user_token(expires_in=-42)
    _, reply = await ws.join("realtime:t1", access_token=expired)
    reason = payload_of(reply)["response"]["reason"]
    assert reason.startswith("InvalidJWTToken: Token has expired ") and reason.endswith(" seconds ago")
    assert 41 <= int(reason.split()[-3]) <= 45

    _, reply = await ws.join("realtime:t2", access_token="not-a-jwt")
    assert payload_of(reply) == {"status": "error", "response": {"reason": "MalformedJWT: The token provided is not a valid JWT"}}
    _, reply = await ws.join("realtime:t3", access_token=realtime.keys.sign({"role": "authenticated"}))
    assert payload_of(reply)["response"]["reason"] == "InvalidJWTToken: Fields `role` and `exp` are required in JWT"
    # an sb_ access token is replaced by the connect-time key
    _, reply = await ws.join("realtime:t4", access_token="sb_publishable_x")
    assert payload_of(reply)["status"] == "ok"


async def test_idle_socket_is_closed_and_pings_are_answered(pg_cluster, tmp_path):
    async with realtime_server(pg_cluster, tmp_path, idle_timeout=2) as rt:
        ws = await rt.raw("1.0.0")
        await ws.ws.ping(b"are you there")  # aiohttp client auto-handles the pong; the socket must survive it
        await ws.assert_silent()
        started = time.monotonic()
        msg = await ws.ws.receive(timeout=TIMEOUT)
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1000
        assert time.monotonic() - started >= 1.5


# -- broadcast -----------------------------------------------------------------------------------------

async def test_kind3_in_becomes_kind4_for_v2_and_json_for_v1_and_binary_skips_v1(realtime):
    sender, v2, v1 = await realtime.raw("2.0.0"), await realtime.raw("2.0.0"), await realtime.raw("1.0.0")
    await sender.send("realtime:bin", "phx_join", {"config": {"broadcast": {"ack": True}}}, "1", "1")
    await sender.recv()
    await v2.join("realtime:bin")
    await v1.join("realtime:bin")

    await sender.ws.send_bytes(kind3("1", "2", "realtime:bin", "msg", b'{"hello":"world"}'))
    assert await sender.recv() == ["1", "2", "realtime:bin", "phx_reply", OK_EMPTY]  # ack, no self echo
    assert await v2.recv() == kind4("realtime:bin", "msg", b'{"hello":"world"}')
    assert await v1.recv() == {"topic": "realtime:bin", "event": "broadcast", "ref": None,
                               "payload": {"type": "broadcast", "event": "msg", "payload": {"hello": "world"}}}

    await sender.ws.send_bytes(kind3("1", "3", "realtime:bin", "raw", b"\x00\xff", encoding=0))
    assert (await sender.recv())[1] == "3"
    assert await v2.recv() == kind4("realtime:bin", "raw", b"\x00\xff", encoding=0)
    await v1.assert_silent()  # binary payloads are never delivered to 1.0.0 sockets

    # a V1 text broadcast reaches V2 sockets as a text frame with null refs
    v1_sender = await realtime.raw("1.0.0")
    jr, _ = await v1_sender.join("realtime:bin")
    await v1_sender.send("realtime:bin", "broadcast", {"type": "broadcast", "event": "t", "payload": {"n": 1}}, "9", jr)
    assert await v2.recv() == [None, None, "realtime:bin", "broadcast", {"type": "broadcast", "event": "t", "payload": {"n": 1}}]


async def test_public_and_private_topics_are_separate_spaces(realtime):
    user = "00000000-0000-4000-8000-0000000000aa"
    async with private_topic(realtime.pool, writers=(user,)) as topic:
        public, private = await realtime.raw("1.0.0"), await realtime.raw("1.0.0")
        pub_ref, _ = await public.join(f"realtime:{topic}", {"broadcast": {"self": True}})
        priv_ref, reply = await private.join(f"realtime:{topic}", {"private": True, "broadcast": {"self": True}},
                                             access_token=realtime.user_token(user))
        assert payload_of(reply)["status"] == "ok"
        await public.send(f"realtime:{topic}", "broadcast", {"event": "pub", "payload": {}}, "5", pub_ref)
        assert payload_of(await public.recv())["event"] == "pub"
        await private.send(f"realtime:{topic}", "broadcast", {"event": "priv", "payload": {}}, "5", priv_ref)
        assert payload_of(await private.recv())["event"] == "priv"
        await public.assert_silent()
        await private.assert_silent()


async def test_oversized_broadcast_with_ack_gets_the_bare_string_error(pg_cluster, tmp_path):
    async with realtime_server(pg_cluster, tmp_path, max_payload_kb=1) as rt:
        ws = await rt.raw("1.0.0")
        jr, _ = await ws.join("realtime:size", {"broadcast": {"ack": True, "self": True}})
        await ws.send("realtime:size", "broadcast", {"event": "big", "payload": {"x": "y" * 2000}}, "2", jr)
        assert await ws.recv() == {"topic": "realtime:size", "event": "phx_reply", "ref": "2",
                                   "payload": {"status": "error", "response": "payload_size_exceeded"}}
        await ws.assert_silent()


async def test_python_client_broadcast_between_two_clients(realtime):
    alice, bob = await python_client(realtime), await python_client(realtime)
    got: asyncio.Queue = asyncio.Queue()
    a = alice.channel("chat", {"config": {"broadcast": {"self": True, "ack": True}, "private": False}})
    a.on_broadcast("msg", got.put_nowait)
    b = bob.channel("chat").on_broadcast("msg", got.put_nowait)
    assert (await subscribed(a))[0] == RealtimeSubscribeStates.SUBSCRIBED
    assert (await subscribed(b))[0] == RealtimeSubscribeStates.SUBSCRIBED
    await a.send_broadcast("msg", {"text": "hi"})
    first, second = await asyncio.wait_for(got.get(), TIMEOUT), await asyncio.wait_for(got.get(), TIMEOUT)
    assert first == second == {"event": "msg", "payload": {"text": "hi"}}
    await alice.close()
    await bob.close()


async def test_slow_socket_is_closed_and_never_delays_the_others(pg_cluster, tmp_path):
    async with realtime_server(pg_cluster, tmp_path, outbound_queue_size=20) as rt:
        slow = await rt.raw("1.0.0")
        await slow.join("realtime:firehose")
        [slow_conn] = rt.realtime.connections
        fast = await rt.raw("1.0.0")
        fast_ref, _ = await fast.join("realtime:firehose", {"broadcast": {"self": True}})
        # `slow` never reads again: its TCP window, then its outbound queue fill up
        chunk = {"event": "blob", "payload": {"data": "x" * 200_000}}
        for i in range(200):
            await fast.send("realtime:firehose", "broadcast", chunk, str(i + 10), fast_ref)
            assert payload_of(await fast.recv())["event"] == "blob"
        await asyncio.wait_for(_until(lambda: slow_conn not in rt.realtime.connections), TIMEOUT)
        await fast.assert_silent()


# -- presence ------------------------------------------------------------------------------------------

async def test_presence_update_carries_phx_ref_prev_and_leaves_on_untrack_and_close(realtime):
    a, b = await realtime.raw("1.0.0"), await realtime.raw("1.0.0")
    a_ref, _ = await a.join("realtime:pres", {"presence": {"enabled": True, "key": "alice"}})
    assert event_of(await a.recv()) == "presence_state"
    await a.send("realtime:pres", "presence", {"event": "track", "payload": {"status": "online"}}, "2", a_ref)
    assert payload_of(await a.recv()) == OK_EMPTY
    first = payload_of(await a.recv())["joins"]["alice"]["metas"][0]

    b_ref, _ = await b.join("realtime:pres", {"presence": {"enabled": True}})
    state = payload_of(await b.recv())
    assert state == {"alice": {"metas": [first]}}

    await a.send("realtime:pres", "presence", {"event": "track", "payload": {"status": "away"}}, "3", a_ref)
    await a.recv()
    for ws in (a, b):
        diff = payload_of(await ws.recv_until(lambda f: event_of(f) == "presence_diff"))
        [new] = diff["joins"]["alice"]["metas"]
        assert new["status"] == "away" and new["phx_ref_prev"] == first["phx_ref"] and new["phx_ref"] != first["phx_ref"]
        assert diff["leaves"] == {"alice": {"metas": [first]}}

    # tracking the same payload again changes nothing
    await a.send("realtime:pres", "presence", {"event": "track", "payload": {"status": "away"}}, "4", a_ref)
    assert payload_of(await a.recv()) == OK_EMPTY
    await a.assert_silent()

    await a.send("realtime:pres", "presence", {"event": "untrack"}, "5", a_ref)
    assert payload_of(await a.recv()) == OK_EMPTY
    for ws in (a, b):
        assert payload_of(await ws.recv()) == {"joins": {}, "leaves": {"alice": {"metas": [diff["joins"]["alice"]["metas"][0]]}}}

    await b.send("realtime:pres", "presence", {"event": "track", "payload": {"n": 1}}, "6", b_ref)
    await b.recv()
    [key] = payload_of(await a.recv())["joins"]
    await b.close()
    assert payload_of(await a.recv_until(lambda f: event_of(f) == "presence_diff"))["leaves"].keys() == {key}

    await a.send("realtime:pres", "presence", {"event": "track", "payload": "not a map"}, "7", a_ref)
    assert payload_of(await a.recv()) == {"status": "error", "response": {"reason": "Presence track payload must be a map"}}
    await a.send("realtime:pres", "presence", {"event": "wave"}, "8", a_ref)
    assert payload_of(await a.recv()) == {"status": "error", "response": {}}


async def test_python_presence_sees_the_other_client_join_and_leave(realtime):
    alice, bob = await python_client(realtime), await python_client(realtime)
    joins: asyncio.Queue = asyncio.Queue()
    leaves: asyncio.Queue = asyncio.Queue()
    a = alice.channel("room", {"config": {"presence": {"key": "alice", "enabled": True}}})
    a.on_presence_join(lambda key, cur, new: joins.put_nowait(key))
    a.on_presence_leave(lambda key, cur, left: leaves.put_nowait(key))
    await subscribed(a)
    await a.track({"who": "alice"})
    assert await asyncio.wait_for(joins.get(), TIMEOUT) == "alice"  # the tracker gets its own diff

    b = bob.channel("room", {"config": {"presence": {"key": "bob", "enabled": True}}})
    await subscribed(b)
    await b.track({"who": "bob"})
    assert await asyncio.wait_for(joins.get(), TIMEOUT) == "bob"
    assert set(a.presence_state()) == {"alice", "bob"}
    await bob.close()
    assert await asyncio.wait_for(leaves.get(), TIMEOUT) == "bob"
    assert set(a.presence_state()) == {"alice"}
    await alice.close()


# -- private channels and tokens -------------------------------------------------------------------------

async def test_private_channel_read_policy_decides_the_join(realtime):
    reader = "00000000-0000-4000-8000-0000000000b1"
    async with private_topic(realtime.pool, readers=(reader,)) as topic:
        allowed = await python_client(realtime, realtime.user_token(reader))
        ch = allowed.channel(topic, {"config": {"private": True, "broadcast": {"self": True}}})
        assert (await subscribed(ch))[0] == RealtimeSubscribeStates.SUBSCRIBED

        refused = await python_client(realtime, realtime.user_token())
        state, err = await subscribed(refused.channel(topic, {"config": {"private": True}}))
        assert state == RealtimeSubscribeStates.CHANNEL_ERROR
        assert json.loads(str(err)) == {
            "reason": f"Unauthorized: You do not have permissions to read from this Channel topic: {topic}"}

        # the anon key has no policy either; a service_role token bypasses RLS
        ws = await realtime.raw("1.0.0")
        _, reply = await ws.join(f"realtime:{topic}", {"private": True})
        assert payload_of(reply)["status"] == "error"
        _, reply = await ws.join(f"realtime:{topic}", {"private": "true"}, access_token=realtime.service_role_key)
        assert payload_of(reply)["status"] == "ok"
        await allowed.close()
        await refused.close()


async def test_access_token_refresh_and_rejection(realtime):
    user = "00000000-0000-4000-8000-0000000000c1"
    async with private_topic(realtime.pool, readers=(user,)) as topic:
        ws = await realtime.raw("1.0.0")
        jr, reply = await ws.join(f"realtime:{topic}", {"private": True}, access_token=realtime.user_token(user))
        assert payload_of(reply)["status"] == "ok"
        # a new valid token: no reply at all; sb_ tokens, null and the same token are ignored
        for token in (realtime.user_token(user, expires_in=7200), "sb_publishable_x", None):
            await ws.send(f"realtime:{topic}", "access_token", {"access_token": token}, None, jr)
        await ws.assert_silent()
        # a token of another user: read revoked → system error then phx_close
        await ws.send(f"realtime:{topic}", "access_token", {"access_token": realtime.user_token()}, None, jr)
        assert await ws.recv() == {"topic": f"realtime:{topic}", "event": "system", "ref": None, "payload": {
            "extension": "system", "status": "error", "channel": topic,
            "message": f"You no longer have permission to read from this Channel topic: {topic}"}}
        assert await ws.recv() == {"topic": f"realtime:{topic}", "event": "phx_close", "payload": {}, "ref": jr}

        jr, _ = await ws.join("realtime:public-room")
        await ws.send("realtime:public-room", "access_token", {"access_token": realtime.user_token(expires_in=-5)}, None, jr)
        system = payload_of(await ws.recv())
        assert system["status"] == "error" and system["message"].startswith("Token has expired ")
        assert event_of(await ws.recv()) == "phx_close"


async def test_channel_closes_when_its_token_expires(realtime):
    ws = await realtime.raw("2.0.0")
    token = realtime.user_token(expires_in=2)
    await ws.send("realtime:short", "phx_join", {"config": {}, "access_token": token}, "1", "1")
    assert (await ws.recv())[4]["status"] == "ok"
    system = await ws.recv(timeout=TIMEOUT)
    assert system[:4] == ["1", None, "realtime:short", "system"]
    assert system[4]["extension"] == "system" and system[4]["status"] == "error"
    assert system[4]["message"] in ("Token has expired 0 seconds ago", "Token has expired 1 seconds ago")
    assert await ws.recv() == ["1", "1", "realtime:short", "phx_close", {}]


# -- REST broadcast --------------------------------------------------------------------------------------

async def test_rest_batch_and_single_broadcast(realtime):
    user = "00000000-0000-4000-8000-0000000000d1"
    async with private_topic(realtime.pool, readers=(user,)) as topic:
        v1, v2 = await realtime.raw("1.0.0"), await realtime.raw("2.0.0")
        await v1.join("realtime:news")
        await v2.send("realtime:news", "phx_join", {"config": {}}, "1", "1")
        await v2.recv()
        priv = await realtime.raw("1.0.0")
        await priv.join(f"realtime:{topic}", {"private": True}, access_token=realtime.user_token(user))
        http = await realtime.http()
        base = f"{realtime.url}/realtime/v1/api/broadcast"
        anon = {"apikey": realtime.anon_key}

        body = {"messages": [{"topic": "news", "event": "n", "payload": {"a": 1}, "id": "m-1"},
                             {"topic": topic, "event": "p", "payload": {}, "private": True}]}
        async with http.post(base, params={"apikey": "x", "vsn": "2.0.0"}, json=body, headers=anon) as resp:
            assert (resp.status, await resp.read()) == (202, b"")
        expected = {"type": "broadcast", "event": "n", "payload": {"a": 1}, "meta": {"id": "m-1"}}
        assert payload_of(await v1.recv()) == expected
        assert await v2.recv() == [None, None, "realtime:news", "broadcast", expected]
        await priv.assert_silent()  # the anon key may not write the private topic: skipped silently

        for headers in ({}, {"apikey": "bad"}, {"Authorization": "Bearer bad", "apikey": realtime.anon_key}):
            async with http.post(base, json=body, headers=headers) as resp:
                assert (resp.status, await resp.json()) == (401, {"message": "Unauthorized"})

        async with http.post(f"{base}/news/events/single", json={"b": 2}, headers=anon) as resp:
            assert resp.status == 202
        assert await v2.recv() == kind4("realtime:news", "single", b'{"b": 2}')
        assert payload_of(await v1.recv()) == {"type": "broadcast", "event": "single", "payload": {"b": 2}}
        spaced = await realtime.raw("1.0.0")
        await spaced.join("realtime:room 1")
        async with http.post(yarl.URL(f"{base}/room%201/events/my-event", encoded=True), json=[1],
                             params={"unknown": "ignored"}, headers=anon) as resp:
            assert resp.status == 202
        assert payload_of(await spaced.recv()) == {"type": "broadcast", "event": "my-event", "payload": [1]}
        async with http.post(f"{base}/news/events/bytes", data=b"\x01\x02",
                             headers={**anon, "Content-Type": "application/octet-stream"}) as resp:
            assert resp.status == 202
        assert await v2.recv() == kind4("realtime:news", "bytes", b"\x01\x02", encoding=0)
        await v1.assert_silent()
        async with http.post(f"{base}/{topic}/events/x", params={"private": "true"}, json={}, headers=anon) as resp:
            assert (resp.status, await resp.json()) == (403, {"message": "Unauthorized"})
        service = {"Authorization": f"Bearer {realtime.service_role_key}", "apikey": realtime.anon_key}
        async with http.post(f"{base}/{topic}/events/x", params={"private": "true"}, json={"s": 1}, headers=service) as resp:
            assert resp.status == 202
        assert payload_of(await priv.recv())["payload"] == {"s": 1}


# -- postgres_changes (with a fake hub; the real hub is exercised once it is installed) -----------------------

async def test_postgres_changes_join_reply_system_message_and_delivery(realtime):
    ws = await realtime.raw("1.0.0")
    bindings = [{"event": "INSERT", "schema": "public", "table": "patient_alerts", "filter": "provider_id=eq.1"},
                {"event": "*", "schema": "public", "table": "patient_status"},
                {"event": "INSERT", "schema": "public", "table": "patient_alerts", "filter": "provider_id=eq.1"}]
    jr, reply = await ws.join("realtime:pg", {"postgres_changes": bindings})
    echoed = payload_of(reply)["response"]["postgres_changes"]
    assert [{k: v for k, v in b.items() if k != "id"} for b in echoed] == bindings
    ids = [b["id"] for b in echoed]
    assert ids[0] == ids[2] != ids[1] and all(0 <= i < 2**27 for i in ids)
    assert await ws.recv() == {"topic": "realtime:pg", "event": "system", "ref": None, "payload": {
        "extension": "postgres_changes", "status": "ok", "message": "Subscribed to PostgreSQL", "channel": "pg"}}
    [sub] = realtime.hub.subs
    assert sub.bindings == echoed and sub.claims["role"] == "anon"

    data = {"schema": "public", "table": "patient_alerts", "commit_timestamp": "2026-01-01T00:00:00.000Z",
            "type": "INSERT", "columns": [{"name": "id", "type": "int8"}], "record": {"id": 5}, "errors": None}
    sub.deliver([ids[0]], data)
    assert await ws.recv() == {"topic": "realtime:pg", "event": "postgres_changes", "ref": None,
                               "payload": {"ids": [ids[0]], "data": data}}

    # the stream breaks: system error, then phx_error; the channel is gone, so the rejoin is a fresh join
    sub.on_error("Realtime lost its connection to the database; changes may have been missed")
    system = await ws.recv()
    assert system["event"] == "system" and system["payload"]["status"] == "error"
    assert system["payload"]["extension"] == "postgres_changes"
    assert await ws.recv() == {"topic": "realtime:pg", "event": "phx_error", "ref": jr,
                               "payload": {"reason": system["payload"]["message"]}}
    assert realtime.hub.subs == []
    _, reply = await ws.join("realtime:pg", {"postgres_changes": bindings})
    assert payload_of(reply)["status"] == "ok"
    assert payload_of(await ws.recv())["message"] == "Subscribed to PostgreSQL"
    await ws.assert_silent()  # no phx_close: it was not a duplicate join


async def test_invalid_binding_joins_but_reports_the_system_error(realtime):
    ws = await realtime.raw("1.0.0")
    _, reply = await ws.join("realtime:pgbad", {"postgres_changes": [{"event": "*", "schema": "public", "table": "doesnotexist"}]})
    assert payload_of(reply)["status"] == "ok"
    system = payload_of(await ws.recv())
    assert system["status"] == "error" and system["extension"] == "postgres_changes"
    assert system["message"].startswith("Unable to subscribe to changes with given parameters.")
    assert realtime.hub.subs == []


async def test_python_client_receives_postgres_changes(realtime):
    client = await python_client(realtime, realtime.user_token())
    changes: asyncio.Queue = asyncio.Queue()
    ch = client.channel("py-pg").on_postgres_changes("UPDATE", changes.put_nowait, table="patient_status",
                                                     schema="public", filter="provider_id=eq.3")
    assert (await subscribed(ch))[0] == RealtimeSubscribeStates.SUBSCRIBED
    await asyncio.wait_for(realtime.hub.subscribed.wait(), TIMEOUT)
    [sub] = realtime.hub.subs
    assert sub.claims["role"] == "authenticated"
    data = {"schema": "public", "table": "patient_status", "commit_timestamp": "2026-01-01T00:00:00.000Z",
            "type": "UPDATE", "columns": [], "record": {"id": 1}, "old_record": {"id": 1}, "errors": None}
    sub.deliver([sub.bindings[0]["id"]], data)
    got = await asyncio.wait_for(changes.get(), TIMEOUT)
    assert got["data"]["record"] == {"id": 1} and got["ids"] == [sub.bindings[0]["id"]]

    new_token = realtime.user_token(expires_in=7200)
    await client.set_auth(new_token)
    await asyncio.wait_for(_until(lambda: realtime.hub.claims_updates), TIMEOUT)
    assert realtime.hub.claims_updates[-1][0] is sub
    await client.close()


async def _until(condition) -> None:
    while not condition():
        await asyncio.sleep(0.01)


async def test_supabase_client_channel_round_trip(realtime):
    from supabase import acreate_client

    sb = await acreate_client(realtime.url, realtime.anon_key)
    got: asyncio.Queue = asyncio.Queue()
    channel = sb.channel("sb-room", {"config": {"broadcast": {"self": True}, "private": False}})
    channel.on_broadcast("ping", got.put_nowait)
    assert (await subscribed(channel))[0] == RealtimeSubscribeStates.SUBSCRIBED
    await channel.send_broadcast("ping", {"n": 1})
    assert await asyncio.wait_for(got.get(), TIMEOUT) == {"event": "ping", "payload": {"n": 1}}
    await sb.remove_all_channels()


async def test_python_client_resubscribes_after_postgres_restarts(sandbox):
    """Fault: PostgreSQL restarts under the running sandbox. The channel reports the lost change stream
    (CHANNEL_ERROR), rejoins by itself, is told "Subscribed to PostgreSQL" again and receives new changes."""
    import asyncpg

    metric = f"rt-restart-{time.time_ns()}"
    client = AsyncRealtimeClient(f"{sandbox.url}/realtime/v1", token=sandbox.anon_key, auto_reconnect=False)
    await client.connect()
    await client.set_auth(sandbox.service_role_key)
    states: asyncio.Queue = asyncio.Queue()
    systems: asyncio.Queue = asyncio.Queue()
    changes: asyncio.Queue = asyncio.Queue()
    channel = client.channel("metrics-restart")
    channel.on_postgres_changes("INSERT", changes.put_nowait, table="system_metrics", schema="public",
                                filter=f"metric=eq.{metric}")
    channel.on_system(lambda payload: systems.put_nowait(payload.message))
    await channel.subscribe(lambda state, err: states.put_nowait(state))
    assert await asyncio.wait_for(states.get(), TIMEOUT) == RealtimeSubscribeStates.SUBSCRIBED
    assert await asyncio.wait_for(systems.get(), TIMEOUT) == "Subscribed to PostgreSQL"

    await asyncio.to_thread(sandbox.restart_postgres)
    assert await asyncio.wait_for(states.get(), 30) == RealtimeSubscribeStates.CHANNEL_ERROR
    while (state := await asyncio.wait_for(states.get(), 60)) != RealtimeSubscribeStates.SUBSCRIBED:
        assert state == RealtimeSubscribeStates.CHANNEL_ERROR
    assert await asyncio.wait_for(systems.get(), 60) == "Subscribed to PostgreSQL"

    conn = await asyncpg.connect(sandbox.db_url)
    try:
        tenant = await conn.fetchval("select id from public.tenants order by id limit 1")
        await conn.execute("insert into public.system_metrics (tenant_id, metric, value) values ($1, $2, 1)",
                           tenant, metric)
        await conn.execute("delete from public.system_metrics where metric = $1", metric)
    finally:
        await conn.close()
    change = await asyncio.wait_for(changes.get(), TIMEOUT)
    assert change["data"]["record"]["metric"] == metric
    await client.close()
