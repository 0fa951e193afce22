"""The alert vocabulary: the one home of every rule about a patient alert's priority and state.

Priority has one rank (higher is more urgent), one visual coding (IEC 60601-1-8: colour, flash rate and
the asterisk marker, so colour is never the only cue) and one order for lists (worst first). An alert's
state says whether it still needs a clinician (``needs_response``), whether it is still open
(``is_open``), which commands a clinician may give in it (``allowed_commands``, the same rule as the
server's functions in ``supabase/migrations``) and what a pending command shows until the server
answers (``optimistic_state``). The store, the read side, the item models, the alarm bar, the window
and the REST gateway all import these; nothing else spells a priority or a state.

Stdlib only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Priority(StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """3 for high, 2 for medium, 1 for low: compare urgencies with it."""
        return _RANK[self]


_RANK = {Priority.HIGH: 3, Priority.MEDIUM: 2, Priority.LOW: 1}

# Most urgent first: the order of counts, legends and the alarm bar's per-priority boxes.
PRIORITIES: tuple[Priority, ...] = (Priority.HIGH, Priority.MEDIUM, Priority.LOW)


def parse_priority(value: object) -> Priority | None:
    """The priority a server value names, or None for a missing or unknown one."""
    try:
        return Priority(value)  # type: ignore[arg-type]
    except ValueError:
        return None


def priority_rank(value: object) -> int:
    """The rank of a priority given as text (0 for None or an unknown value: below low)."""
    priority = parse_priority(value)
    return 0 if priority is None else priority.rank


def worst_first(value: object) -> int:
    """Sort key that puts the most urgent priority first and unknown ones last."""
    return -priority_rank(value)


class AlertState(StrEnum):
    """States of ``public.patient_alerts.state``."""

    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RESOLVED = "resolved"


# Waiting for someone to respond: they flash and sound, and count as unanswered everywhere. A rejected
# alert was declined by a remote operator, so it still needs an owner.
NEEDS_RESPONSE: frozenset[AlertState] = frozenset({AlertState.ACTIVE, AlertState.REJECTED})
CLOSED: frozenset[AlertState] = frozenset({AlertState.RESOLVED})


def needs_response(state: object) -> bool:
    return state in NEEDS_RESPONSE


def is_open(state: object) -> bool:
    """Every state but resolved is open (an unknown state too: it is shown, never hidden)."""
    return state not in CLOSED


class Command(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    ACCEPT = "accept"
    REJECT = "reject"

    @property
    def rpc(self) -> str:
        """The server function that carries the command (``supabase/migrations``)."""
        return f"{self.value}_alert"


COMMANDS: tuple[Command, ...] = (Command.ACKNOWLEDGE, Command.ACCEPT, Command.REJECT)

# Why a clinician rejects responsibility: preset reasons only, since free text could carry patient data
# into the outbox, the audit trail and the server. Code (what the unencrypted outbox keeps) → the English
# text the server records (and the window translates).
REJECT_REASONS: Mapping[str, str] = {
    "not_my_patient": "Not my patient",
    "handed_over": "Handed over to another clinician",
    "already_handled": "Already being handled",
    "not_clinically_relevant": "Alert not clinically relevant",
    "duplicate": "Duplicate alert",
}

# What the server functions change in each state (elsewhere they change nothing, or refuse):
# acknowledge only an active alert; accept anything open but accepted; reject (hand back) anything open
# but rejected.
_ALLOWED: Mapping[AlertState, frozenset[Command]] = {
    AlertState.ACTIVE: frozenset({Command.ACKNOWLEDGE, Command.ACCEPT, Command.REJECT}),
    AlertState.ACKNOWLEDGED: frozenset({Command.ACCEPT, Command.REJECT}),
    AlertState.REJECTED: frozenset({Command.ACCEPT}),
    AlertState.ACCEPTED: frozenset({Command.REJECT}),
    AlertState.RESOLVED: frozenset(),
}

_OPTIMISTIC: Mapping[Command, AlertState] = {
    Command.ACKNOWLEDGE: AlertState.ACKNOWLEDGED,
    Command.ACCEPT: AlertState.ACCEPTED,
    Command.REJECT: AlertState.REJECTED,
}


def allowed_commands(state: object) -> frozenset[Command]:
    """The commands a clinician may give on an alert in ``state`` (none in an unknown state)."""
    try:
        return _ALLOWED[AlertState(state)]  # type: ignore[arg-type]
    except ValueError:
        return frozenset()


def optimistic_state(command: object) -> AlertState:
    """The state shown while ``command`` is pending, until a newer server row replaces it."""
    return _OPTIMISTIC[Command(command)]  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class VisualCoding:
    """How a priority looks (IEC 60601-1-8 Table 2). ``flash_hz`` 0 means steady."""

    colour: str
    text_colour: str
    flash_hz: float
    duty: float
    marker: str

    @property
    def flashes(self) -> bool:
        return self.flash_hz > 0

    @property
    def on_seconds(self) -> float:
        return self.duty / self.flash_hz if self.flashes else float("inf")

    @property
    def off_seconds(self) -> float:
        return (1.0 - self.duty) / self.flash_hz if self.flashes else 0.0

    def is_lit(self, now: float) -> bool:
        """Whether the indicator is in the "on" part of its flash cycle at ``now``."""
        if not self.flashes:
            return True
        return (now * self.flash_hz) % 1.0 < self.duty


VISUAL: Mapping[Priority, VisualCoding] = {
    # Red, yellow, cyan. 2.0 Hz in 1.4–2.8 Hz, 0.6 Hz in 0.4–0.8 Hz, duty 50 % in 20–60 %; low is steady.
    Priority.HIGH: VisualCoding("#d0021b", "#ffffff", 2.0, 0.5, "***"),
    Priority.MEDIUM: VisualCoding("#f5c400", "#000000", 0.6, 0.5, "**"),
    Priority.LOW: VisualCoding("#00b8d4", "#000000", 0.0, 1.0, "*"),
}


def marker(value: object) -> str:
    """The asterisks of a priority given as text ("" for none)."""
    priority = parse_priority(value)
    return "" if priority is None else VISUAL[priority].marker
