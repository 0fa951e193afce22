"""Who is online: the care team's workstations and the patients' apps, from realtime presence state.

A workstation tracks one presence object on ``tenant:<tenant_id>`` under the key
``<provider_id>:<workstation>`` with six fields (Supabase allows ten keys per object)::

    {"provider_id", "name", "role", "workstation", "since", "locked"}

A patient's app tracks ``{"app": "patient", "since"}`` on ``patient:<patient_id>:app``. Entries that do
not have this shape are skipped: presence is written by clients, so it is input, not truth.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

ROLES = ("clinician", "coordinator", "admin")
MAX_TEXT = 100


@dataclass(frozen=True, slots=True)
class Colleague:
    provider_id: str
    name: str
    role: str
    workstation: str
    since: datetime | None
    locked: bool


def workstation_meta(provider_id: str, name: str, role: str, workstation: str, since: datetime,
                     locked: bool) -> dict:
    """What a workstation tracks (the shape ``colleagues`` reads back)."""
    return {"provider_id": provider_id, "name": name[:MAX_TEXT], "role": role, "workstation": workstation[:MAX_TEXT],
            "since": since.isoformat(), "locked": locked}


def _since(value) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def colleagues(state: Mapping[str, list]) -> list[Colleague]:
    """The workstations in a presence state (``{key: [meta, …]}``), one per provider and workstation,
    ordered by name then workstation."""
    found: dict[tuple[str, str], Colleague] = {}
    for metas in state.values():
        for meta in metas if isinstance(metas, list) else ():
            if not isinstance(meta, Mapping):
                continue
            provider_id, name, role, workstation = (meta.get(k) for k in ("provider_id", "name", "role", "workstation"))
            if not all(isinstance(v, str) and 0 < len(v) <= MAX_TEXT for v in (provider_id, name, workstation)):
                continue
            if role not in ROLES:
                continue
            found[(provider_id, workstation)] = Colleague(provider_id, name, role, workstation,
                                                          _since(meta.get("since")), meta.get("locked") is True)
    return sorted(found.values(), key=lambda c: (c.name.casefold(), c.workstation))


def app_online(state: Mapping[str, list]) -> bool:
    """Whether a patient app's presence state holds at least one app."""
    return any(isinstance(meta, Mapping) and meta.get("app") == "patient"
               for metas in state.values() for meta in (metas if isinstance(metas, list) else ()))
