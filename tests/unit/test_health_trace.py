"""The debug trace and health history, without Qt or network: identifiers become stable per-process
pseudonyms at the moment an event is recorded, and the history stays bounded."""

from __future__ import annotations

import json
import uuid
from collections import deque

from tjv_desktop.backend.health import Health, HealthHistory
from tjv_desktop.backend.trace import DebugTrace, Redactor
from tjv_desktop.domain.events import LinkState

PATIENT = str(uuid.UUID(int=7))
PROVIDER = "b0000000-0000-4000-8000-000000001001"
NAME, MRN, EMAIL = "Maria Lopez", "MRN-004211", "nurse@riverside.tjv.test"


def learnt() -> Redactor:
    redactor = Redactor()
    redactor.learn_patients([{"id": PATIENT, "full_name": NAME, "mrn": MRN}])
    redactor.learn("provider", [PROVIDER])
    return redactor


def test_identifiers_become_stable_pseudonyms_of_their_kind():
    r = learnt()
    line = f"could not join vitals:{PROVIDER}:0 for patient:{PATIENT.upper()} ({NAME}, {MRN}) by {EMAIL}"
    out = r.text(line)
    for raw in (PROVIDER, PATIENT, PATIENT.upper(), NAME, MRN, EMAIL):
        assert raw not in out
    assert f"vitals:{r.pseudonym('provider', PROVIDER)}:0" in out
    assert f"patient:{r.pseudonym('patient', PATIENT)}" in out
    assert r.pseudonym("name", NAME) in out and r.pseudonym("mrn", MRN) in out and r.pseudonym("email", EMAIL) in out
    assert r.text(line) == out  # stable within the process: lines correlate
    assert r.text(f"{NAME.upper()} again") == f"{r.pseudonym('name', NAME)} again"  # case does not matter
    other = str(uuid.uuid4())
    assert r.text(other).startswith("id#")  # any UUID, even one never learnt
    r.learn_phrases("mrn", ["004211"])  # an MRN of digits only is found in text without letters too
    assert r.text("17:00 004211") == f"17:00 {r.pseudonym('mrn', '004211')}"


def test_pseudonyms_differ_between_processes_so_they_cannot_be_matched_or_reversed():
    a, b = learnt(), learnt()
    assert a.pseudonym("patient", PATIENT) != b.pseudonym("patient", PATIENT)
    assert len(a.pseudonym("patient", PATIENT)) == len("patient#") + 6


def test_the_trace_redacts_when_recording_and_keeps_only_the_newest_events():
    trace = DebugTrace(learnt(), capacity=3)
    trace.record("state", state="lost", reason=f"channel vitals:{PROVIDER}:0 closed")
    trace.record("error", detail={"topic": f"patient:{PATIENT}", "who": [NAME, EMAIL], "n": 3})
    held = json.dumps(trace.events())  # what is held in memory, not only what an export writes
    for raw in (PROVIDER, PATIENT, NAME, EMAIL):
        assert raw not in held
    assert trace.events()[1]["detail"]["n"] == 3
    for i in range(5):
        trace.record("probe", rtt_ms=float(i))
    assert [e["rtt_ms"] for e in trace.events()] == [2.0, 3.0, 4.0]
    assert trace.seq == 7 and [e["seq"] for e in trace.events()] == [5, 6, 7]


def test_history_samples_are_bounded_and_carry_each_probe_round_trip_once():
    health = Health()
    health.history = HealthHistory(capacity=4)
    health.state = LinkState.CONNECTED
    health.add_probe_rtt(12.5)
    first = health.history.sample(health, now=1.0)
    second = health.history.sample(health, now=2.0)
    assert first["rtt_ms"] == 12.5 and second["rtt_ms"] is None  # no new probe came back
    health.messages_in.add(30)
    for t in range(3, 9):
        health.history.sample(health, now=float(t))
    samples = health.history.as_list()
    assert [s["at"] for s in samples] == [5.0, 6.0, 7.0, 8.0]
    assert samples[-1]["state"] == "connected" and samples[-1]["messages_in_per_s"] == 3.0
    assert isinstance(health.probe_rtts_ms, deque) and health.probe_rtts_total == 1
