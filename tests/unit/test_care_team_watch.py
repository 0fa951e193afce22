"""The census fills in slices, each announcing its rows: the care team's watches come in bursts and must
end on the newest panel, however the server orders its answers."""

from __future__ import annotations

import asyncio

from tjv_desktop.sync.care_team import CareTeam


class Link:
    """The realtime link's extra-channel calls, recorded."""

    def __init__(self):
        self.attached: set[str] = set()

    async def attach(self, extra) -> None:
        self.attached.add(extra.name)

    async def detach(self, topic: str) -> None:
        self.attached.discard(topic)


class Rest:
    """care_team_of answers a short list late: an older request would finish after a newer one."""

    def __init__(self):
        self.asked: list[int] = []

    async def care_team_of(self, patient_ids: list[str]) -> dict[str, set[str]]:
        self.asked.append(len(patient_ids))
        await asyncio.sleep(0.05 if len(patient_ids) < 40 else 0)
        return {p: {"surgeon"} for p in patient_ids}


async def test_a_burst_of_watches_ends_on_the_newest_panel_whatever_order_the_answers_come_in():
    link, rest = Link(), Rest()
    team = CareTeam(link, rest, provider_id="me", tenant_id="t", name="Nurse", role="clinician", workstation="WS")
    patients = [f"p{n:02d}" for n in range(40)]
    await asyncio.gather(team.watch_patients(patients[:20]), team.watch_patients(patients[:30]),
                         team.watch_patients(patients))
    assert set(team.assigned) == set(patients), "the newest panel's care teams, not an older slice's"
    assert team.patients.watched == set(patients)
    assert {f"patient:{p}:app" for p in patients} == link.attached
    assert rest.asked[-1] == 40 and 20 not in rest.asked[1:], "older lists are not fetched after a newer one"
    asked = len(rest.asked)
    await team.watch_patients(patients)
    assert len(rest.asked) == asked, "the same panel is not read again"
