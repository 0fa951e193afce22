"""Server timestamps become one canonical, sortable UTC string, whatever form they came in; what is not a
timestamp with a zone is refused with the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from tjv_desktop.store.errors import StoreDataError
from tjv_desktop.store.instants import canonical, from_canonical, parse_instant


@pytest.mark.parametrize(("given", "expected"), [
    ("2026-12-06T03:34:16.123456+00:00", "2026-12-06T03:34:16.123456Z"),  # PostgREST's own form
    ("2026-12-06T03:34:16.123456Z", "2026-12-06T03:34:16.123456Z"),
    ("2026-12-06 03:34:16.12345+00", "2026-12-06T03:34:16.123450Z"),  # Realtime's WAL text
    ("2026-12-06T03:34:16+00:00", "2026-12-06T03:34:16.000000Z"),
    ("2026-12-06T04:34:16.123456+01:00", "2026-12-06T03:34:16.123456Z"),
    ("2026-12-05T22:34:16.123456-05:00", "2026-12-06T03:34:16.123456Z"),
    (datetime(2026, 12, 6, 3, 34, 16, 123456, tzinfo=UTC), "2026-12-06T03:34:16.123456Z"),
    (datetime(2026, 12, 6, 5, 34, 16, tzinfo=timezone(timedelta(hours=2))), "2026-12-06T03:34:16.000000Z"),
])
def test_every_form_of_one_instant_has_one_canonical_string(given, expected):
    assert canonical(given) == expected
    assert from_canonical(canonical(given)) == parse_instant(given)


@pytest.mark.parametrize("given", [
    "2026-13-06T03:34:16.123456+00:00",  # the server's shape, but no 13th month
    "2026-12-06T25:34:16.123456+00:00",
    "٢٠٢٦-12-06T03:34:16.123456+00:00",  # digits, but not ASCII ones
    "2026-12-06T03:34:16.123456",  # no zone: the instant is unknown
    "yesterday", "", 1733456056,
])
def test_what_is_not_a_zoned_timestamp_is_refused(given):
    with pytest.raises(StoreDataError):
        canonical(given)


def test_canonical_strings_sort_as_their_instants():
    moments = [datetime(2026, 12, 6, 3, 34, 16, tzinfo=UTC) + timedelta(microseconds=m)
               for m in (0, 1, 999_999, 1_000_000, 86_400_000_000)]
    forms = [m.isoformat() for m in moments] + [m.astimezone(timezone(timedelta(hours=-7))).isoformat() for m in moments]
    assert sorted(canonical(f) for f in forms) == [canonical(m) for m in sorted(moments + moments)]
