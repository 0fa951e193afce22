"""Who is in a session: members built from the channel's presence state, validated.

A member tracks one meta per session join (``inst``, a random id), under its user id as presence key::

    {"inst", "name", "role", "since" (ISO time), "lr" (lead revision), "lead" (ms of the lead claim, 0 =
     not leading), "at" (the patient it looks at; sealed when the session is encrypted)}

Metas that do not have this shape are skipped with a log line; a field that does not decrypt leaves the
member shown without it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from .envelope import Envelope, Rejected

log = logging.getLogger(__name__)

ROLES = ("clinician", "coordinator", "admin")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_uuid(value: object) -> bool:
    return isinstance(value, str) and bool(_UUID.match(value))


@dataclass(frozen=True)
class Member:
    user_id: str
    inst: str
    name: str
    role: str
    since: datetime
    looking_at: str | None
    lead_rev: int
    lead_since: int  # ms; 0 = not leading


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**53 else None


def parse_member(key: str, meta: dict, envelope: Envelope) -> Member | None:
    inst, name, role, since = meta.get("inst"), meta.get("name"), meta.get("role"), meta.get("since")
    lead_rev, lead_since = _int(meta.get("lr", 0)), _int(meta.get("lead", 0))
    if not (is_uuid(key) and isinstance(inst, str) and 8 <= len(inst) <= 64 and isinstance(name, str)
            and 0 < len(name) <= 120 and role in ROLES and isinstance(since, str)
            and lead_rev is not None and lead_since is not None):
        log.warning("session %s: skipped a presence entry that is not a member's", envelope.session_id)
        return None
    try:
        joined = datetime.fromisoformat(since)
    except ValueError:
        log.warning("session %s: skipped a presence entry with an invalid join time", envelope.session_id)
        return None
    looking_at = None
    if meta.get("at") is not None:
        try:
            value = envelope.open_field("at", inst, meta["at"])
        except Rejected as exc:
            log.warning("session %s: presence field of %s dropped: %s", envelope.session_id, inst[:12], exc)
            value = None
        looking_at = value if is_uuid(value) else None
    return Member(key, inst, name, role, joined, looking_at, lead_rev, lead_since)


def members_from_state(state: dict, envelope: Envelope) -> list[Member]:
    """Members from realtime presence state (``{key: [meta, …]}``), ordered by join time."""
    members: list[Member] = []
    for key, metas in state.items():
        for meta in metas if isinstance(metas, list) else []:
            member = parse_member(key, meta, envelope) if isinstance(meta, dict) else None
            if member is not None:
                members.append(member)
    return sorted(members, key=lambda m: (m.since, m.inst))
