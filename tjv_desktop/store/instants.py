"""Server timestamps as instants.

PostgREST and Realtime send timestamptz as ISO 8601 with an offset ("…+00:00", "…Z", sometimes
"… 13:57:09.12345+00"). The store keeps them in clear columns as a canonical fixed-width UTC string
("2026-11-24T13:57:09.123456Z"), whose string order is the instant order, so SQL can compare and sort.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from .errors import StoreDataError

CANONICAL_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_UTC_MICROS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", re.ASCII)


def _aware(value: str | datetime) -> datetime:
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            try:
                moment = datetime.fromisoformat(value.strip())
            except ValueError as exc:
                raise StoreDataError(f"not an ISO 8601 timestamp: {value!r}") from exc
    elif isinstance(value, datetime):
        moment = value
    else:
        raise StoreDataError(f"not a timestamp: {value!r}")
    if moment.utcoffset() is None:
        raise StoreDataError(f"timestamp without a timezone: {value!r}")
    return moment


def parse_instant(value: str | datetime) -> datetime:
    """An aware UTC datetime; a value without a timezone is refused (its instant is unknown)."""
    return _aware(value).astimezone(UTC)


def canonical(value: str | datetime) -> str:
    """The sortable clear-column form of a timestamp."""
    if isinstance(value, str) and _UTC_MICROS.fullmatch(value):
        # PostgREST's and Realtime's own form, already UTC with microseconds: the digits are the canonical
        # ones (a resync stores tens of thousands). fromisoformat still refuses a 13th month or a 25th hour.
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise StoreDataError(f"not an ISO 8601 timestamp: {value!r}") from None
        return value[:26] + "Z"
    moment = _aware(value)
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.isoformat(timespec="microseconds")[:26] + "Z"  # drop the "+00:00"


def from_canonical(value: str | None) -> datetime | None:
    if value is None:
        return None
    return datetime.strptime(value, CANONICAL_FORMAT).replace(tzinfo=UTC)
