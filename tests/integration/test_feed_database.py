"""The database side of the live feed (migrations 20261206002010 and 20261206002020): which change is sent on which topic
with what payload, seq consecutive per topic in commit order, feed_position, who may read and write the
topics, and realtime.messages partitions and realtime.send as on Supabase.

A database of its own: the tests commit messages and count them.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from tests.integration.test_schema import (
    COORDINATOR,
    NURSE,
    PHYSIO,
    RIVERSIDE,
    SURGEON,
    act_as,
    patient_id,
    patient_user,
    provider_id,
    provider_user,
    tenant_id,
)
from tests.support.sandbox import fresh_database
from tjv_sandbox.realtime import partitions

NURSE_TOPIC = f"provider:{provider_id(RIVERSIDE, NURSE)}"
# the active assignments of the seed: patient 1 is seen by the nurse, the physio and the coordinator
PANEL_OF_1 = {f"provider:{provider_id(RIVERSIDE, s)}" for s in (NURSE, PHYSIO, COORDINATOR)}


@pytest.fixture(scope="module")
def feed_dsn(pg_cluster):
    with fresh_database(pg_cluster, "tjv_feed_tests") as dsn:
        yield dsn


@pytest.fixture
async def db(feed_dsn):
    conn = await asyncpg.connect(feed_dsn)
    try:
        yield conn
    finally:
        await conn.close()


async def messages_after(db, mark: datetime, topic_prefix: str = "") -> list[dict]:
    """Feed messages inserted since ``mark``, in seq order per topic: [{topic, **payload}]."""
    rows = await db.fetch(
        "select topic, event, private, payload from realtime.messages where inserted_at >= $1"
        " and extension = 'broadcast' and topic like $2 || '%' order by topic, (payload->>'seq')::bigint",
        mark, topic_prefix)
    for r in rows:
        assert r["event"] == "change" and r["private"] is True, r
    return [{"topic": r["topic"], **json.loads(r["payload"])} for r in rows]


def parts(message: dict) -> list[dict]:
    """A message's parts ({table, op, rows}): several when one transaction changed several tables."""
    return message.get("parts") or [message]


def of_table(sent: list[dict], table: str) -> list[dict]:
    """The messages carrying ``table``, each reduced to its part of that table (with topic and seq)."""
    return [{"topic": m["topic"], "seq": m["seq"], **part} for m in sent for part in parts(m) if part["table"] == table]


async def now(db) -> datetime:
    return await db.fetchval("select now()::timestamp")


async def raise_alert(db, patient: uuid.UUID, kind: str) -> list[asyncpg.Record]:
    return await db.fetch("select * from raise_alert($1, 'high', $2, 'SpO2 89 %')", patient, kind)


async def test_an_alert_is_sent_to_its_provider_with_the_whole_row(db):
    mark = await now(db)
    alerts = await raise_alert(db, patient_id(RIVERSIDE, 1), f"feed-{uuid.uuid4().hex[:8]}")
    sent = await messages_after(db, mark, "provider:")
    alert_messages = [m for m in sent if m["table"] == "patient_alerts"]
    assert {m["topic"] for m in alert_messages} == PANEL_OF_1 == {f"provider:{a['provider_id']}" for a in alerts}
    mine = next(m for m in alert_messages if m["topic"] == NURSE_TOPIC)
    assert set(mine) == {"topic", "seq", "table", "op", "rows", "at", "id"}  # id: added by realtime.send
    assert mine["op"] == "INSERT" and isinstance(mine["seq"], int) and mine["seq"] >= 1
    [row] = mine["rows"]
    alert = next(a for a in alerts if a["provider_id"] == provider_id(RIVERSIDE, NURSE))
    assert row["id"] == str(alert["id"]) and row["patient_id"] == str(patient_id(RIVERSIDE, 1))
    assert row["state"] == "active" and row["priority"] == "high" and "message" in row
    sent_at = datetime.fromtimestamp(mine["at"] / 1000, UTC).replace(tzinfo=None)
    assert abs(sent_at - mark) < timedelta(minutes=1)

    mark = await now(db)
    await db.execute("update patient_alerts set state = 'resolved', resolved_at = now() where id = $1", alert["id"])
    [update] = await messages_after(db, mark, NURSE_TOPIC)
    assert update["op"] == "UPDATE" and update["seq"] == mine["seq"] + 1 and update["rows"][0]["state"] == "resolved"


async def test_vitals_of_one_statement_are_one_message_per_provider_of_at_most_200_rows(db):
    patients = [patient_id(RIVERSIDE, n) for n in (1, 2, 9)]  # patient 9: the nurse's assignment is inactive
    mark = await now(db)
    await db.execute(
        "insert into vital_signs (tenant_id, patient_id, measured_at, heart_rate)"
        " select $1, p, now() - make_interval(secs => i), 70 from unnest($2::uuid[]) p, generate_series(1, 150) i",
        tenant_id(RIVERSIDE), patients)
    everything = await messages_after(db, mark, "provider:")
    sent = of_table(everything, "vital_signs")
    per_topic: dict[str, list[dict]] = {}
    for m in sent:
        per_topic.setdefault(m["topic"], []).append(m)
    nurse = per_topic[NURSE_TOPIC]
    assert [len(m["rows"]) for m in nurse] == [200, 100]  # patients 1 and 2: 300 rows in two messages
    assert nurse[1]["seq"] == nurse[0]["seq"] + 1
    assert {r["patient_id"] for m in nurse for r in m["rows"]} == {str(patients[0]), str(patients[1])}
    surgeon = per_topic[f"provider:{provider_id(RIVERSIDE, SURGEON)}"]  # sees 9 only (5..12)
    assert [len(m["rows"]) for m in surgeon] == [150] and surgeon[0]["rows"][0]["heart_rate"] == 70
    assert all(sum(len(p["rows"]) for p in parts(m)) <= 200 for m in everything)


async def test_one_transaction_is_one_message_per_topic_with_its_parts_in_the_order_they_were_made(db):
    """A wearable's commit writes vitals and the rules update the status: each clinician of the panel
    gets one message (one seq) with both, not one per table (migration 20261206006000)."""
    patient = patient_id(RIVERSIDE, 1)
    before = {r["topic"]: r["seq"] for r in await db.fetch(
        "select topic, seq from private.feed_topics where topic = any($1::text[])", sorted(PANEL_OF_1))}
    mark = await now(db)
    async with db.transaction():
        await db.execute(
            "insert into vital_signs (tenant_id, patient_id, measured_at, heart_rate)"
            " select $1, $2, now() - make_interval(secs => i), 71 from generate_series(1, 5) i",
            tenant_id(RIVERSIDE), patient)
        await db.execute("update patient_status set status = 'watch' where patient_id = $1", patient)
        await db.execute(
            "insert into vital_signs (tenant_id, patient_id, measured_at, heart_rate) values ($1, $2, now(), 72)",
            tenant_id(RIVERSIDE), patient)
    sent = await messages_after(db, mark, "provider:")
    assert sorted(m["topic"] for m in sent) == sorted(PANEL_OF_1), "one message per clinician"
    for m in sent:
        assert m["seq"] == before.get(m["topic"], 0) + 1
        assert "table" not in m and "rows" not in m, "several parts: the parts list only"
        # The rules update the status inside each vitals statement, before that statement's own feed
        # trigger stages its rows: status, vitals; then the explicit update and the rules' update for
        # the second insert, adjacent, merged into one part; then the last vital.
        assert [(p["table"], p["op"]) for p in m["parts"]] == [
            ("patient_status", "UPDATE"), ("vital_signs", "INSERT"), ("patient_status", "UPDATE"),
            ("vital_signs", "INSERT")]
        assert [r["heart_rate"] for r in m["parts"][1]["rows"]] == [71] * 5
        assert [r["heart_rate"] for r in m["parts"][3]["rows"]] == [72]
        assert [r["status"] for r in m["parts"][2]["rows"]][0] == "watch" and len(m["parts"][2]["rows"]) == 2
    await db.execute("update patient_status set status = 'stable' where patient_id = $1", patient)


async def test_status_goes_to_the_panel_and_assignments_to_their_provider(db):
    mark = await now(db)
    await db.execute("update patient_status set status = 'watch' where patient_id = $1", patient_id(RIVERSIDE, 1))
    status = of_table(await messages_after(db, mark, "provider:"), "patient_status")
    assert {m["topic"] for m in status} == PANEL_OF_1
    assert all(m["rows"][0]["status"] == "watch" and m["op"] == "UPDATE" for m in status)

    mark = await now(db)
    async with db.transaction():  # messages are sent when it commits
        await db.execute("update provider_assignments set active = false where provider_id = $1 and patient_id = $2",
                         provider_id(RIVERSIDE, NURSE), patient_id(RIVERSIDE, 1))
        await db.execute("update patient_status set status = 'stable' where patient_id = $1",
                         patient_id(RIVERSIDE, 1))
        assert await messages_after(db, mark, "provider:") == []
    sent = await messages_after(db, mark, "provider:")
    [left] = of_table(sent, "provider_assignments")
    assert left["topic"] == NURSE_TOPIC and left["rows"][0]["active"] is False
    assert left["rows"][0]["patient_id"] == str(patient_id(RIVERSIDE, 1))
    # once off the panel, the nurse gets no more status of that patient
    status = [m["topic"] for m in of_table(sent, "patient_status")]
    assert sorted(status) == sorted(PANEL_OF_1 - {NURSE_TOPIC})
    await db.execute("update provider_assignments set active = true where provider_id = $1 and patient_id = $2",
                     provider_id(RIVERSIDE, NURSE), patient_id(RIVERSIDE, 1))


async def test_messages_care_plans_and_metrics_topics_and_delete_payloads(db):
    patient = patient_id(RIVERSIDE, 2)
    mark = await now(db)
    message_id = await db.fetchval(
        "insert into messages (tenant_id, patient_id, sender_role, body) values ($1, $2, 'system', 'hello')"
        " returning id", tenant_id(RIVERSIDE), patient)
    await db.execute("insert into care_plans (tenant_id, patient_id, title) values ($1, $2, 'Walk')",
                     tenant_id(RIVERSIDE), patient)
    await db.execute("delete from messages where id = $1", message_id)
    await db.execute("insert into system_metrics (tenant_id, metric, value) values ($1, 'feed-test', 1)",
                     tenant_id(RIVERSIDE))
    on_patient = await messages_after(db, mark, f"patient:{patient}")
    assert [(m["table"], m["op"]) for m in on_patient] == [
        ("messages", "INSERT"), ("care_plans", "INSERT"), ("messages", "DELETE")]
    assert [m["seq"] for m in on_patient] == list(range(on_patient[0]["seq"], on_patient[0]["seq"] + 3))
    assert on_patient[2]["rows"] == [{"id": str(message_id), "patient_id": str(patient)}]
    [metric] = await messages_after(db, mark, f"tenant:{tenant_id(RIVERSIDE)}")
    assert metric["table"] == "system_metrics" and metric["rows"][0]["metric"] == "feed-test"


async def test_a_patients_message_and_its_read_mark_reach_every_clinician_who_sees_the_patient(db):
    """Migration 20261206006100: the census's unread counts move live for the whole panel, not only on
    the patient:<id> topic a station joins for the patient it shows; the routing is the read rule."""
    mark = await now(db)
    message_id = await db.fetchval(
        "insert into messages (tenant_id, patient_id, sender_role, body) values ($1, $2, 'patient', 'knee hurts')"
        " returning id", tenant_id(RIVERSIDE), patient_id(RIVERSIDE, 1))
    await db.execute("update messages set read_at = now() where id = $1", message_id)
    sent = of_table(await messages_after(db, mark, "provider:"), "messages")
    assert sorted((m["topic"], m["op"]) for m in sent) == sorted(
        [(t, "INSERT") for t in PANEL_OF_1] + [(t, "UPDATE") for t in PANEL_OF_1])
    assert all(m["rows"][0]["id"] == str(message_id) for m in sent)
    assert [m["rows"][0]["read_at"] is not None for m in sent if m["op"] == "UPDATE"] == [True] * 3
    on_patient = of_table(await messages_after(db, mark, f"patient:{patient_id(RIVERSIDE, 1)}"), "messages")
    assert [m["op"] for m in on_patient] == ["INSERT", "UPDATE"], "the patient's own topic still carries them"

    mark = await now(db)  # patient 10: outside the nurse's panel
    await db.execute("insert into messages (tenant_id, patient_id, sender_role, body) values ($1, $2, 'patient', 'hi')",
                     tenant_id(RIVERSIDE), patient_id(RIVERSIDE, 10))
    readers = {r["topic"] for r in await db.fetch(
        "select 'provider:' || a.provider_id as topic from provider_assignments a join providers pr on pr.id = a.provider_id"
        " where a.patient_id = $1 and a.active and pr.active", patient_id(RIVERSIDE, 10))}
    sent = of_table(await messages_after(db, mark, "provider:"), "messages")
    assert readers and {m["topic"] for m in sent} == readers and NURSE_TOPIC not in readers


async def test_seq_is_consecutive_per_topic_across_concurrent_writers_and_a_rollback_leaves_no_gap(feed_dsn, db):
    topic = f"patient:{patient_id(RIVERSIDE, 3)}"
    mark = await now(db)
    start = await db.fetchval("select coalesce(max(seq), 0) from private.feed_topics where topic = $1", topic)
    writers = [await asyncpg.connect(feed_dsn) for _ in range(6)]
    try:
        async def write(conn: asyncpg.Connection, i: int) -> None:
            for k in range(5):
                async with conn.transaction():
                    await conn.execute(
                        "insert into messages (tenant_id, patient_id, sender_role, body) values ($1, $2, 'system', $3)",
                        tenant_id(RIVERSIDE), patient_id(RIVERSIDE, 3), f"w{i}-{k}")
                    await asyncio.sleep(0.001 * ((i + k) % 3))  # hold the topic's lock a little, unevenly
        async def doomed(conn: asyncpg.Connection) -> None:
            tr = conn.transaction()
            await tr.start()
            await conn.execute(
                "insert into messages (tenant_id, patient_id, sender_role, body) values ($1, $2, 'system', 'x')",
                tenant_id(RIVERSIDE), patient_id(RIVERSIDE, 3))
            await tr.rollback()
        await asyncio.gather(*(write(c, i) for i, c in enumerate(writers[:5])), doomed(writers[5]))
    finally:
        for conn in writers:
            await conn.close()
    sent = await messages_after(db, mark, topic)
    assert [m["seq"] for m in sent] == list(range(start + 1, start + 26))
    assert sorted(m["rows"][0]["body"] for m in sent) == sorted(f"w{i}-{k}" for i in range(5) for k in range(5))


async def test_feed_position_reports_readable_topics_only(db):
    topics = [NURSE_TOPIC, f"provider:{provider_id(RIVERSIDE, SURGEON)}", f"patient:{patient_id(RIVERSIDE, 1)}",
              f"tenant:{tenant_id(RIVERSIDE)}", f"patient:{patient_id(RIVERSIDE, 10)}", "not a topic", None]
    expected = {r["topic"]: r["seq"] for r in await db.fetch(
        "select topic, seq from private.feed_topics where topic = any($1::text[])", topics)}
    async with db.transaction():
        await act_as(db, provider_user(RIVERSIDE, NURSE))
        got = {r["topic"]: r["seq"] for r in await db.fetch("select * from feed_position($1)", topics)}
        assert got == {t: expected.get(t, 0) for t in (topics[0], topics[2], topics[3])}
        assert got[NURSE_TOPIC] > 0
        with pytest.raises(asyncpg.InvalidParameterValueError, match="at most 1000 topics"):
            await db.fetch("select * from feed_position($1)", [NURSE_TOPIC] * 1001)
    async with db.transaction():
        await act_as(db, patient_user(RIVERSIDE, 1))
        got = await db.fetch("select * from feed_position($1)", topics)
        assert [(r["topic"], r["seq"]) for r in got] == [(topics[2], expected.get(topics[2], 0))]
    async with db.transaction():
        await act_as(db, None, "anon")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await db.fetch("select * from feed_position($1)", topics)


async def test_clients_cannot_send_on_feed_topics_or_touch_the_counters_but_may_track_presence(db):
    async def can_insert(topic: str, extension: str) -> bool:
        await db.execute("select set_config('realtime.topic', $1, true)", topic)
        try:
            async with db.transaction():
                await db.execute("insert into realtime.messages (topic, extension, payload) values ($1, $2, '{}')",
                                 topic, extension)
            return True
        except asyncpg.InsufficientPrivilegeError:
            return False

    async with db.transaction():
        await act_as(db, provider_user(RIVERSIDE, NURSE))
        assert not await can_insert(NURSE_TOPIC, "broadcast")
        assert await can_insert(NURSE_TOPIC, "presence")
        assert not await can_insert(f"provider:{provider_id(RIVERSIDE, SURGEON)}", "presence")
        assert not await can_insert(f"tenant:{tenant_id(RIVERSIDE)}", "broadcast")
        assert await can_insert(f"tenant:{tenant_id(RIVERSIDE)}", "presence")
        assert not await can_insert(f"patient:{patient_id(RIVERSIDE, 1)}", "broadcast")
        assert await can_insert(f"patient:{patient_id(RIVERSIDE, 1)}", "presence")
        assert not await can_insert(f"patient:{patient_id(RIVERSIDE, 10)}", "presence")
        for sql in ("select private.feed_send($1, 'patient_alerts', 'INSERT', '[]')",
                    "select * from private.feed_topics where topic = $1",
                    "update private.feed_topics set seq = 0 where topic = $1"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                async with db.transaction():
                    await db.execute(sql, NURSE_TOPIC)
    async with db.transaction():
        await act_as(db, patient_user(RIVERSIDE, 1))
        assert await can_insert(f"patient:{patient_id(RIVERSIDE, 1)}", "presence")
        assert not await can_insert(f"patient:{patient_id(RIVERSIDE, 1)}", "broadcast")


async def test_a_send_without_todays_partition_is_lost_with_a_warning_and_the_seq_shows_the_gap(db):
    today = partitions.partition_name(datetime.now(UTC).date())
    warnings: list[str] = []
    db.add_log_listener(lambda _conn, msg: warnings.append(msg.message))
    tr = db.transaction()
    await tr.start()
    try:
        await db.execute(f"drop table realtime.{today}")
        with pytest.raises(asyncpg.PostgresError, match="no partition of relation"):
            async with db.transaction():
                await db.execute("insert into realtime.messages (topic, extension) values ('t', 'broadcast')")
        before = await db.fetchval("select seq from private.feed_topics where topic = $1", NURSE_TOPIC)
        await db.execute("set constraints all immediate")  # send at the end of each statement, not at commit
        kind = f"lost-{uuid.uuid4().hex[:8]}"
        assert await raise_alert(db, patient_id(RIVERSIDE, 1), kind)  # the write succeeds regardless
        assert await db.fetchval("select seq from private.feed_topics where topic = $1", NURSE_TOPIC) == before + 1
        assert not await db.fetchval(
            "select exists (select 1 from realtime.messages where payload->'rows'->0->>'kind' = $1)", kind)
        assert any(w.startswith("WarnSendingBroadcastMessage: no partition of relation") for w in warnings), warnings
        with pytest.raises(asyncpg.RaiseError, match="only be triggered for each row"):
            async with db.transaction():
                await db.execute("select realtime.broadcast_changes('t', 'e', 'INSERT', 'x', 'public', null, null,"
                                 " 'STATEMENT')")
    finally:
        await tr.rollback()


async def test_partitions_are_created_ahead_and_expire_after_72_hours(db):
    names = set()

    async def current() -> set[str]:
        return {r[0] for r in await db.fetch(
            "select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid"
            " where i.inhparent = 'realtime.messages'::regclass")}

    tr = db.transaction()
    await tr.start()
    try:
        today = datetime.now(UTC)
        names = await current()
        expected = {partitions.partition_name((today + timedelta(days=d)).date()) for d in range(-1, 4)}
        assert expected <= names
        later = today + timedelta(days=5, hours=1)
        created, dropped = await partitions.maintain(db, later)
        assert set(created) == {partitions.partition_name((later + timedelta(days=d)).date()) for d in range(-1, 4)} - names
        # the day 72 h before `later` is kept; every earlier one goes
        oldest_kept = (later - timedelta(hours=72)).date()
        assert set(dropped) == {n for n in names if n < partitions.partition_name(oldest_kept)}
        assert partitions.partition_name((today - timedelta(days=1)).date()) in dropped
        owner = await db.fetchval("select pg_get_userbyid(relowner) from pg_class where relname = $1", created[-1])
        assert owner == "supabase_realtime_admin"
    finally:
        await tr.rollback()
    assert await current() == names


async def test_writers_touching_the_same_topics_in_opposite_orders_do_not_deadlock(feed_dsn, db):
    """Counters are taken at commit in sorted order: with a lock per statement these two would deadlock."""
    alert = ("insert into patient_alerts (event_id, tenant_id, patient_id, provider_id, priority, kind, message)"
             " values (gen_random_uuid(), $1, $2, $3, 'low', 'order-test', 'x')",
             tenant_id(RIVERSIDE), patient_id(RIVERSIDE, 4), provider_id(RIVERSIDE, NURSE))
    message = ("insert into messages (tenant_id, patient_id, sender_role, body) values ($1, $2, 'system', 'x')",
               tenant_id(RIVERSIDE), patient_id(RIVERSIDE, 4))
    mark = await now(db)
    first_done = [asyncio.Event(), asyncio.Event()]
    conns = [await asyncpg.connect(feed_dsn) for _ in range(2)]
    try:
        async def writer(i: int, statements) -> None:
            async with conns[i].transaction():
                await conns[i].execute(*statements[0])
                first_done[i].set()
                await first_done[1 - i].wait()  # both hold their first topic before either takes the second
                await conns[i].execute(*statements[1])

        async with asyncio.timeout(20):
            await asyncio.gather(writer(0, (alert, message)), writer(1, (message, alert)))
    finally:
        for conn in conns:
            await conn.close()
    sent = await messages_after(db, mark)
    for topic in (NURSE_TOPIC, f"patient:{patient_id(RIVERSIDE, 4)}"):
        seqs = [m["seq"] for m in sent if m["topic"] == topic]
        assert len(seqs) == 2 and seqs[1] == seqs[0] + 1, (topic, sent)
