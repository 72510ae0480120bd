"""Reading the date-times found in stored literals, forms and other servers' documents.

One parser for every layer (store/ imports nothing above it, so this lives here): the
ISO 8601 text as written by xsd:dateTime, by a browser's datetime-local field or by
another server, with or without a trailing "Z", read as an aware datetime so that
comparisons never mix naive and aware values.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo


def parse_moment(text: str | None, zone: tzinfo = UTC) -> datetime | None:
    """`text` as an aware datetime; a value without an offset is taken in `zone`. None when
    empty or unreadable (the callers treat a bad date as a missing one)."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def utc_iso(moment: datetime) -> str:
    """`moment` as xsd:dateTime and ActivityPub servers write it: UTC, to the second,
    with a Z."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
