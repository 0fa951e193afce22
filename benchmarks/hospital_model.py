"""The hospital of ``hospital_scale.py``: its people (written in SQL as the seed writes them), its home
devices (the load), and the CPU the sandbox spends.

- Workstations: one clinician (a user and a provider) each. Every patient is assigned to three of them,
  so with 2,000 patients and 200 clinicians every panel holds 30 patients.
- Devices: a seeded 10 % of patients wear a 1 Hz wearable, whose vendor's cloud commits every second one
  statement with the latest sample of each (or splits them over N statements, ``wearable_batches``); the others are measured once a minute by home gateways, each
  gateway committing its patients' samples in one statement, the gateways staggered over the minute.
- Samples are normal except a seeded 0.5 %, which are tachycardic (heart rate 111-140): the database's
  rules raise (and later resolve) the alerts.
- Every statement's samples share one ``measured_at`` unique to the statement (its stamp), which the
  rules copy into ``patient_status.last_vitals_at`` and ``patient_alerts.raised_at``: any row a client
  receives leads back to the statement that committed it and to the time its commit returned.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

TENANT = uuid.UUID("10000000-0000-4000-8000-000000000001")  # Riverside, from the seed
PASSWORD = "tjv-demo-2026"
ASSIGNMENTS_PER_PATIENT = 3
WEARABLE_SHARE = 0.10
ABNORMAL_SHARE = 0.005


@dataclass
class Hospital:
    patients: list[str]
    providers: list[dict]  # {"provider_id", "email", "patients"}
    wearables: list[str]
    gateways: list[list[str]]


def email(n: int) -> str:
    return f"ws{n:03d}@hospital.tjv.bench"


async def populate(conn: asyncpg.Connection, n_patients: int, n_providers: int, n_gateways: int,
                   seed: int) -> Hospital:
    """Users, providers, patients, their status rows and assignments, in a few set-based statements."""
    rng = random.Random(seed)
    users = [uuid.uuid4() for _ in range(n_providers)]
    providers = [uuid.uuid4() for _ in range(n_providers)]
    patients = [uuid.uuid4() for _ in range(n_patients)]
    async with conn.transaction():
        hashed = await conn.fetchval("select extensions.crypt($1, extensions.gen_salt('bf'))", PASSWORD)
        await conn.execute(
            "insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,"
            " confirmation_token, recovery_token, email_change_token_new, email_change, raw_app_meta_data,"
            " raw_user_meta_data, created_at, updated_at) "
            "select '00000000-0000-0000-0000-000000000000', u, 'authenticated', 'authenticated', e, $3, now(),"
            " '', '', '', '', jsonb_build_object('provider', 'email', 'providers', jsonb_build_array('email'),"
            " 'tjv_role', 'clinician', 'tenant_id', $4::uuid, 'provider_id', p),"
            " jsonb_build_object('full_name', 'Bench clinician ' || e), now(), now() "
            "from unnest($1::uuid[], $2::text[], $5::uuid[]) as x(u, e, p)",
            users, [email(n) for n in range(n_providers)], hashed, TENANT, providers)
        await conn.execute(
            "insert into public.providers (id, tenant_id, user_id, full_name, email, role, discipline) "
            "select p, $3, u, 'Bench clinician ' || e, e, 'clinician', 'nurse' "
            "from unnest($1::uuid[], $2::uuid[], $4::text[]) as x(p, u, e)",
            providers, users, TENANT, [email(n) for n in range(n_providers)])
        await conn.execute(
            "insert into public.patients (id, tenant_id, mrn, full_name, procedure, side, surgery_date,"
            " discharge_date) "
            "select p, $2, 'HOSP-' || lpad(n::text, 5, '0'), 'Bench Patient ' || n, "
            " case when n % 2 = 0 then 'TKA' else 'THA' end, 'left', current_date - 5, current_date - 2 "
            "from unnest($1::uuid[]) with ordinality as x(p, n)", patients, TENANT)
        await conn.execute("insert into public.patient_status (patient_id, tenant_id) "
                           "select p, $2 from unnest($1::uuid[]) as p", patients, TENANT)
        # Patient i goes to clinicians i, i + k and i + 2k (mod the count): equal panels, all distinct.
        step = max(1, n_providers // ASSIGNMENTS_PER_PATIENT)
        pairs = [(providers[(i + j * step) % n_providers], p) for i, p in enumerate(patients)
                 for j in range(ASSIGNMENTS_PER_PATIENT)]
        await conn.execute(
            "insert into public.provider_assignments (tenant_id, provider_id, patient_id) "
            "select $3, pr, pa from unnest($1::uuid[], $2::uuid[]) as x(pr, pa)",
            [a for a, _ in pairs], [b for _, b in pairs], TENANT)
    panels: dict[uuid.UUID, list[str]] = {p: [] for p in providers}
    for provider, patient in pairs:
        panels[provider].append(str(patient))
    ids = [str(p) for p in patients]
    wearables = sorted(rng.sample(ids, round(n_patients * WEARABLE_SHARE)))
    chosen = set(wearables)
    minute = [p for p in ids if p not in chosen]
    return Hospital(ids, [{"provider_id": str(p), "email": email(n), "patients": panels[p]}
                          for n, p in enumerate(providers)],
                    wearables, [minute[g::n_gateways] for g in range(n_gateways)])


@dataclass
class Commits:
    """What the devices committed during one phase."""

    stamps: dict[int, float] = field(default_factory=dict)  # statement stamp (us) -> commit returned
    vital_commit: dict[int, float] = field(default_factory=dict)  # vital_signs.id -> commit returned
    vital_patient: dict[int, str] = field(default_factory=dict)
    per_patient: Counter = field(default_factory=Counter)  # samples (= status changes) per patient
    statements: int = 0
    rows: int = 0
    seconds: float = 0.0


INSERT = (
    "insert into public.vital_signs (tenant_id, patient_id, measured_at, heart_rate, spo2, respiratory_rate,"
    " temperature, systolic_bp, diastolic_bp, pain_score, source) "
    "select $1, u.p, to_timestamp($2::double precision / 1000000), u.hr, u.sp, u.rr, u.t, u.sbp, u.dbp, u.pain,"
    " 'device' "
    "from unnest($3::uuid[], $4::int[], $5::int[], $6::int[], $7::numeric[], $8::int[], $9::int[], $10::int[])"
    " as u(p, hr, sp, rr, t, sbp, dbp, pain) returning id, patient_id::text")


class Devices:
    """The wearables' cloud and the gateways, each on its own connection."""

    def __init__(self, dsn: str, hospital: Hospital, seed: int, wearable_batches: int = 1):
        self.dsn, self.hospital = dsn, hospital
        self.wearable_batches = [hospital.wearables[k::wearable_batches] for k in range(wearable_batches)]
        self.rng = random.Random(seed)
        self._last_stamp = 0

    def _stamp(self) -> int:
        # unique per statement, and a little in the past as a device's measurement is
        stamp = max(int(time.time() * 1_000_000) - 1000, self._last_stamp + 1)
        self._last_stamp = stamp
        return stamp

    def _samples(self, patients: list[str]) -> list[list]:
        r = self.rng
        cols: list[list] = [[uuid.UUID(p) for p in patients], [], [], [], [], [], [], []]
        for _ in patients:
            sick = r.random() < ABNORMAL_SHARE
            cols[1].append(r.randint(111, 140) if sick else r.randint(62, 88))
            cols[2].append(r.randint(96, 99))
            cols[3].append(r.randint(12, 18))
            cols[4].append(round(r.uniform(36.4, 37.4), 1))
            cols[5].append(r.randint(115, 135))
            cols[6].append(r.randint(70, 84))
            cols[7].append(r.randint(1, 4))
        return cols

    async def _commit(self, conn: asyncpg.Connection, patients: list[str], out: Commits) -> None:
        stamp = self._stamp()
        rows = await conn.fetch(INSERT, TENANT, stamp, *self._samples(patients))
        done = time.time()
        out.stamps[stamp] = done
        out.statements += 1
        out.rows += len(rows)
        for vital_id, patient in rows:
            out.vital_commit[vital_id] = done
            out.vital_patient[vital_id] = patient
            out.per_patient[patient] += 1

    async def run(self, seconds: float = math.inf, stop: asyncio.Event | None = None) -> Commits:
        """Commits for ``seconds`` or until ``stop`` is set: the wearables every second (in
        ``wearable_batches`` statements spread over the second), one gateway every 60/len(gateways) s."""
        out = Commits()
        wear, gate = await asyncpg.connect(self.dsn), await asyncpg.connect(self.dsn)
        started = time.monotonic()

        async def every(interval: float, conn: asyncpg.Connection, batches: list[list[str]]) -> None:
            n = 0
            while (due := started + n * interval) < started + seconds:
                await asyncio.sleep(max(0.0, due - time.monotonic()))  # the devices' pace
                if stop is not None and stop.is_set():
                    break
                if batches[n % len(batches)]:
                    await self._commit(conn, batches[n % len(batches)], out)
                n += 1

        try:
            await asyncio.gather(every(1.0 / len(self.wearable_batches), wear, self.wearable_batches),
                                 every(60.0 / len(self.hospital.gateways), gate, self.hospital.gateways))
        finally:
            await wear.close()
            await gate.close()
        out.seconds = time.monotonic() - started
        return out


# -- CPU -------------------------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stats() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, CPU ticks of the process and of its children it has waited for)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue  # the process ended meanwhile
        fields = text[text.rindex(")") + 2:].split()
        # fields[1] is the 4th field (ppid); utime, stime, cutime, cstime are the 14th to 17th
        out[int(entry.name)] = (int(fields[1]), sum(int(x) for x in fields[11:15]))
    return out


def cpu_seconds(root: int) -> float:
    """CPU seconds used so far by ``root`` and every process below it (PostgreSQL and its backends);
    ended children count through their parent's waited-for time."""
    stats = _stats()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _ticks) in stats.items():
        children.setdefault(ppid, []).append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
            todo.extend(children.get(pid, []))
    return total / CLOCK_TICKS
