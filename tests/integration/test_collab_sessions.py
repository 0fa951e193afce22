"""Collaborative sessions with two and three engine instances on the sandbox: concurrent edits converge,
an offline member catches up (and its offline edits reach the others), presence join/leave and the
presence timeout of a dropped workstation, follow-me, and a user refused at the private channel."""

from __future__ import annotations

import asyncio
import random
import re
import time

import pytest

from tests.support.collab_support import COORDINATOR, LAKESIDE_NURSE, NURSE, SURGEON, names, station, until
from tests.support.faultproxy import FaultProxy
from tests.support.sandbox import make_data_root, start_sandbox, stop_sandbox
from tjv_desktop.backend.sessions import SessionRefused
from tjv_desktop.collab.service import OpenSession
from tjv_desktop.domain.events import LinkState

pytestmark = pytest.mark.sandbox

PATIENT_A = "c0000000-0000-4000-8000-000000001001"
PATIENT_B = "c0000000-0000-4000-8000-000000001002"
PATIENT_C = "c0000000-0000-4000-8000-000000001003"


def boundaries(text: str) -> list[int]:
    """Positions between tokens, so one member's insert never splits another's token."""
    return [0] + [m.end() for m in re.finditer(r"\]", text)]


async def typist(session, tag: str, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    tokens = []
    for i in range(count):
        token = f"[{tag}{i:02d}]"
        text = session.engine.doc.text("summary")
        at = rng.choice(boundaries(text))
        session.engine.doc.set_text("summary", text[:at] + token + text[at:])
        tokens.append(token)
        if i % 7 == 3:
            session.engine.doc.add_action(f"{tag} action {i}")
        await asyncio.sleep(rng.uniform(0, 0.02))  # a typist's pace: lets the others' edits interleave
    return tokens


async def test_three_members_editing_at_once_converge_without_losing_a_keystroke(sandbox):
    stations = [await station(sandbox, e) for e in (NURSE, SURGEON, COORDINATOR)]
    try:
        row = await stations[0].core.sessions.create("Concurrent handoff")
        stations[0].core.sessions.save_interval = 1.0  # the periodic save, sped up (default 30 s)
        sessions = [await s.core.sessions.open(row["id"]) for s in stations]
        await until(lambda: all(len(s.engine.members) == 3 for s in sessions), 15, "everyone sees everyone")
        assert names(sessions[0]) == {"Emma Clarke, RN", "Dr. Samuel Hart", "Olivia Brooks"}
        roles = {m.name: m.role for m in sessions[2].engine.members}
        assert roles["Olivia Brooks"] == "coordinator" and roles["Dr. Samuel Hart"] == "clinician"
        # The schema lets only the creator or a coordinator close it; the dock offers Close to them only.
        assert [s.may_close for s in sessions] == [True, False, True]

        typed = await asyncio.gather(*(typist(s, tag, 30, n) for n, (s, tag) in enumerate(zip(sessions, "nsc", strict=True))))
        await until(lambda: len({repr(s.engine.doc.snapshot()) for s in sessions}) == 1, 20,
                    "the three replicas are the same")
        summary = sessions[0].engine.doc.text("summary")
        for token in (t for tokens in typed for t in tokens):
            assert summary.count(token) == 1, token
        assert len(summary) == sum(len(t) for tokens in typed for t in tokens)  # nothing else, nothing lost
        assert len(sessions[1].engine.doc.actions()) == 3 * 4
        # Every engine dropped nothing: all traffic was well-formed.
        assert not any(s.engine.rejected for s in sessions)

        async def saved_text() -> str:
            return (await stations[2].core.sessions.api.load(row["id"]))["document_text"] or ""

        text = ""
        for _ in range(100):  # polling the database, bounded: the periodic save must land while all stay
            text = await saved_text()
            if all(t in text for tokens in typed for t in tokens):
                break
            await asyncio.sleep(0.1)
        assert all(t in text for tokens in typed for t in tokens) and sessions[0].saves >= 1

        # Everyone leaves; the document is in the database and a new member gets it from there.
        for s in sessions:
            await s.leave()
        again = await stations[1].core.sessions.open(row["id"])
        assert again.engine.doc.snapshot() == sessions[0].engine.doc.snapshot()
        assert "[n00]" in again.row["document_text"]
        await again.leave()
    finally:
        for s in stations:
            await s.stop()


async def test_a_member_offline_for_a_while_catches_up_and_its_offline_edits_reach_the_others(sandbox):
    host, port = sandbox.url.removeprefix("http://").split(":")
    proxy = await FaultProxy(host, int(port)).start()
    online = [await station(sandbox, e) for e in (NURSE, SURGEON)]
    away = await station(sandbox, COORDINATOR, url=proxy.url)
    try:
        row = await online[0].core.sessions.create("Offline catch-up")
        a, b = [await s.core.sessions.open(row["id"]) for s in online]
        c = await away.core.sessions.open(row["id"])
        await until(lambda: len(a.engine.members) == 3, 15, "all three present")
        a.engine.doc.set_text("summary", "Before the outage.")
        await until(lambda: c.engine.doc.text("summary") == "Before the outage.", 10, "c has the first text")

        cut_at = time.monotonic()
        proxy.set_mode("refuse")
        assert proxy.cut() >= 1
        await away.wait_state(LinkState.LOST, 15, after=cut_at)
        await until(lambda: c.state == "offline", 5, "c's session knows it is offline")
        await until(lambda: names(a) == {"Emma Clarke, RN", "Dr. Samuel Hart"}, 10, "c's leave is seen")

        a.engine.doc.set_text("summary", "Before the outage. Nurse wrote this while c was away.")
        b.engine.doc.set_text("awareness", "Surgeon: watch the drain output.")
        b.engine.doc.set_severity("watcher")
        c.engine.doc.set_text("synthesis", "Coordinator typed this offline.")
        c.engine.doc.add_action("Coordinator: call the patient at 9")
        await asyncio.sleep(1.5)  # the outage lasts a while (the fault's duration, not a wait for a result)
        assert c.engine.doc.text("awareness") == "" and a.engine.doc.text("synthesis") == ""  # really apart

        proxy.set_mode("pass")
        await until(lambda: c.state == "joined", 30, "c rejoins after the outage")
        await until(lambda: len({repr(s.engine.doc.snapshot()) for s in (a, b, c)}) == 1, 15, "all converge")
        doc = a.engine.doc.snapshot()
        assert doc["synthesis"] == "Coordinator typed this offline."
        assert doc["awareness"] == "Surgeon: watch the drain output." and doc["severity"] == "watcher"
        assert doc["summary"] == "Before the outage. Nurse wrote this while c was away."
        assert [x["text"] for x in doc["actions"]] == ["Coordinator: call the patient at 9"]
        await until(lambda: len(a.engine.members) == 3, 10, "c is present again")

        # Closing saves the converged document for good and tells everyone.
        assert await c.close_session()
        await until(lambda: a.state == "closed" and b.state == "closed", 10, "the others see it closed")
        saved = await online[0].core.sessions.api.load(row["id"])
        assert saved["status"] == "closed" and saved["closed_at"] is not None
        assert "Coordinator typed this offline." in saved["document_text"]
        with pytest.raises(SessionRefused, match="closed"):
            await online[1].core.sessions.open(row["id"])
        for s in (a, b):
            await s.leave()
    finally:
        for s in (*online, away):
            await s.stop()
        await proxy.stop()


async def test_follow_me_moves_the_followers_selection_and_a_late_joiner_follows_too(sandbox):
    stations = [await station(sandbox, e) for e in (COORDINATOR, NURSE, SURGEON)]
    try:
        row = await stations[0].core.sessions.create("Rounds")
        lead, follower = [await s.core.sessions.open(row["id"]) for s in stations[:2]]
        moved: list[str] = []
        follower.engine.follow_listeners.append(moved.append)
        follower.engine.follow(True)
        await until(lambda: len(lead.engine.members) == 2 and len(follower.engine.members) == 2, 10, "both present")

        lead.engine.focus(PATIENT_A)
        lead.engine.lead(True)
        await until(lambda: moved[-1:] == [PATIENT_A], 5, "taking the lead brings the follower along")
        lead.engine.focus(PATIENT_B)
        await until(lambda: moved[-1:] == [PATIENT_B], 5, "the follower moves with the leader")
        assert follower.engine.leader == lead.engine.inst

        late = await stations[2].core.sessions.open(row["id"])
        late_moves: list[str] = []
        late.engine.follow_listeners.append(late_moves.append)
        late.engine.follow(True)
        await until(lambda: late_moves[-1:] == [PATIENT_B], 15, "a late joiner follows to the current patient")

        follower.engine.follow(False)
        before = len(moved)
        lead.engine.focus(PATIENT_C)
        await until(lambda: late_moves[-1:] == [PATIENT_C], 5, "the late joiner still follows")
        assert len(moved) == before  # who stopped following stays where they are

        lead.engine.lead(False)
        await until(lambda: late.engine.leader is None, 5, "the lead is released")
        lead.engine.focus(PATIENT_A)
        await asyncio.sleep(0.5)  # nothing must arrive; the sends above took a few ms
        assert late_moves[-1] == PATIENT_C
        for s in (lead, follower, late):
            await s.leave()
    finally:
        for s in stations:
            await s.stop()


async def test_a_user_of_another_tenant_cannot_join_the_private_channel(sandbox, caplog):
    insider = await station(sandbox, NURSE)
    # The server answers a refused join after 5 s and, like Phoenix, reads nothing else from that socket
    # meanwhile: the production probe deadline (10 s) rides that out; the tests' 3 s would not.
    outsider = await station(sandbox, LAKESIDE_NURSE, probe_deadline=10.0)
    try:
        row = await insider.core.sessions.create("Riverside only")
        mine = await insider.core.sessions.open(row["id"])
        with pytest.raises(SessionRefused):
            await outsider.core.sessions.open(row["id"])  # the row itself is hidden by RLS
        # Even with the id in hand, the channel refuses: the realtime.messages policy decides.
        forced = OpenSession(outsider.link, outsider.core.sessions.api, {"id": row["id"], "title": "?"},
                             await outsider.core.sessions.me(), None)
        await forced.open()
        await until(lambda: forced.state == "refused", 15, "the server refuses the join")
        assert "Unauthorized" in forced.reason
        forced.engine.doc.set_text("summary", "should go nowhere")
        await asyncio.sleep(0.5)  # give a leak time to show
        assert mine.engine.doc.text("summary") == ""
        assert names(mine) == {"Emma Clarke, RN"}
        assert outsider.link.state is LinkState.CONNECTED  # the refusal did not bring the link down
        assert any("join refused" in r.getMessage() for r in caplog.records)
        await forced.leave()
        await mine.leave()
    finally:
        await insider.stop()
        await outsider.stop()


@pytest.fixture
def quick_timeout_sandbox(monkeypatch):
    """A sandbox that closes sockets silent for 3 s (the real server's 60 s, shortened for the test)."""
    monkeypatch.setenv("TJV_SANDBOX_REALTIME_IDLE_TIMEOUT", "3")
    root = make_data_root("tjv-collab-idle-")
    handle = start_sandbox(root / "data")
    try:
        yield handle
    finally:
        stop_sandbox(handle)


async def test_presence_shows_join_and_leave_and_a_dropped_workstation_disappears_after_the_timeout(
        quick_timeout_sandbox):
    sb = quick_timeout_sandbox
    host, port = sb.url.removeprefix("http://").split(":")
    proxy = await FaultProxy(host, int(port)).start()
    here = await station(sb, COORDINATOR)
    there = await station(sb, NURSE, url=proxy.url)
    try:
        row = await here.core.sessions.create("Presence")
        mine = await here.core.sessions.open(row["id"])
        joins: list[set[str]] = []
        mine.engine.members_listeners.append(lambda ms: joins.append({m.name for m in ms}))
        theirs = await there.core.sessions.open(row["id"])
        await until(lambda: names(mine) == {"Olivia Brooks", "Emma Clarke, RN"}, 10, "the nurse's join is seen")
        nurse = next(m for m in mine.engine.members if m.name == "Emma Clarke, RN")
        assert nurse.role == "clinician" and nurse.looking_at is None
        theirs.engine.focus(PATIENT_A)
        await until(lambda: any(m.looking_at == PATIENT_A for m in mine.engine.members), 15,
                    "what the nurse looks at is shown")

        await theirs.leave()
        await until(lambda: names(mine) == {"Olivia Brooks"}, 5, "a clean leave is seen at once")

        theirs = await there.core.sessions.open(row["id"])
        await until(lambda: "Emma Clarke, RN" in names(mine), 10, "the nurse is back")
        dropped = time.monotonic()
        proxy.set_mode("blackhole")  # the workstation's network dies without a FIN
        took = await until(lambda: names(mine) == {"Olivia Brooks"}, 20, "the dropped nurse disappears")
        assert proxy.stats.bytes_dropped > 0
        assert took >= 2.5, f"gone after {took:.1f} s: before the 3 s timeout, so not by the timeout"
        await there.wait_state(LinkState.LOST, 15, after=dropped)  # and the nurse's own station knows
        proxy.set_mode("pass")
        await mine.leave()
    finally:
        await here.stop()
        await there.stop()
        await proxy.stop()
