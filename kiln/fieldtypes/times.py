"""Calendar dates and instants: ``date`` and ``datetime``."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from kiln.errors import Invalid
from kiln.fieldtypes.base import FieldType, Spec

__all__ = ["DateTimeType", "DateType", "format_datetime"]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def format_datetime(when: datetime) -> str:
    """Stored and JSON form of a datetime: UTC, milliseconds, ``Z``; fixed width, so text sorts as time."""
    if when.tzinfo is UTC:  # kiln's clock: already UTC, so only the "+00:00" changes (a hot path)
        return when.isoformat(timespec="milliseconds")[:-6] + "Z"
    return when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


class DateType(FieldType):
    """``date``: a calendar date written ``YYYY-MM-DD``."""

    name, sql = "date", "TEXT"

    def coerce(self, value: Any, spec: Spec) -> str:
        if not isinstance(value, str) or not _DATE.match(value):
            raise Invalid("must be a date as YYYY-MM-DD")
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise Invalid("must be a valid calendar date") from None

    def schema(self, spec: Spec) -> dict[str, Any]:
        return {"type": "string", "format": "date"}


class DateTimeType(FieldType):
    """``datetime``: an ISO-8601 instant with a timezone, stored in UTC to the millisecond."""

    name, sql = "datetime", "TEXT"

    def coerce(self, value: Any, spec: Spec) -> str:
        if not isinstance(value, str):
            raise Invalid("must be an ISO-8601 datetime string")
        try:
            parsed = datetime.fromisoformat(value.replace("z", "Z"))  # 3.11 reads "Z", not "z"
        except ValueError:
            raise Invalid("must be an ISO-8601 datetime such as 2030-01-31T12:00:00Z") from None
        if parsed.tzinfo is None:
            raise Invalid("must include a timezone, such as Z")
        try:
            return format_datetime(parsed)
        except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the first UTC instant
            raise Invalid("is out of range: it must be from year 1 to 9999 in UTC") from None

    def schema(self, spec: Spec) -> dict[str, Any]:
        return {"type": "string", "format": "date-time"}
