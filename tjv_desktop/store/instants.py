"""Server timestamps as instants.

PostgREST and Realtime send timestamptz as ISO 8601 with an offset ("…+00:00", "…Z", sometimes
"… 13:57:09.12345+00"). The store keeps them in clear columns as a canonical fixed-width UTC string
("2026-11-24T13:57:09.123456Z"), whose string order is the instant order, so SQL can compare and sort.
"""

from __future__ import annotations

from datetime import datetime, timezone

from .errors import StoreDataError

CANONICAL_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def parse_instant(value: str | datetime) -> datetime:
    """An aware UTC datetime; a value without a timezone is refused (its instant is unknown)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError as exc:
            raise StoreDataError(f"not an ISO 8601 timestamp: {value!r}") from exc
    else:
        raise StoreDataError(f"not a timestamp: {value!r}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise StoreDataError(f"timestamp without a timezone: {value!r}")
    return moment.astimezone(timezone.utc)


def canonical(value: str | datetime) -> str:
    """The sortable clear-column form of a timestamp."""
    m = parse_instant(value)
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
        f".{m.microsecond:06d}Z"
    )


def from_canonical(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.strptime(value, CANONICAL_FORMAT).replace(tzinfo=timezone.utc)
