"""Date search: values as time ranges, compared with the R4 prefixes.

Every date, dateTime, instant or Period is an implicit range ``[low, high)`` set by its
precision: ``2024`` is the whole year, ``2024-03-15T10:00:00Z`` one second.  A search
value is a range too, and the prefix says how the two ranges must relate
(http://hl7.org/fhir/R4/search.html#date and http://hl7.org/fhir/R4/search.html#prefix).
Values without a time zone are taken as UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")

MIN_MOMENT = datetime(1, 1, 1, tzinfo=UTC)
MAX_MOMENT = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)

_DATE = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:T(?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.(?P<f>\d+))?)?"
    r"(?P<tz>Z|[+-]\d{2}:\d{2})?)?)?)?"
)


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open time range ``[low, high)``."""

    low: datetime
    high: datetime


def parse_span(text: str) -> Span:
    """The range a (partial) date, dateTime or instant stands for; ``ValueError`` if malformed."""
    match = _DATE.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a FHIR date: {text!r}")
    year, month, day = int(match["y"]), int(match["m"] or 1), int(match["d"] or 1)
    tz = _zone(match["tz"])
    if match["m"] is None:
        low = datetime(year, 1, 1, tzinfo=tz)
        return Span(low, _add_months(low, 12))
    if match["d"] is None:
        low = datetime(year, month, 1, tzinfo=tz)
        return Span(low, _add_months(low, 1))
    if match["H"] is None:
        low = datetime(year, month, day, tzinfo=tz)
        return Span(low, low + timedelta(days=1))
    hour, minute = int(match["H"]), int(match["M"])
    if match["S"] is None:
        low = datetime(year, month, day, hour, minute, tzinfo=tz)
        return Span(low, low + timedelta(minutes=1))
    fraction = match["f"] or ""
    micros = int((fraction + "000000")[:6]) if fraction else 0
    low = datetime(year, month, day, hour, minute, int(match["S"]), micros, tzinfo=tz)
    width = timedelta(microseconds=max(1, 10 ** (6 - min(len(fraction), 6)))) if fraction \
        else timedelta(seconds=1)
    return Span(low, low + width)


def span_of(value: Any) -> Span | None:
    """The range of a resource element: a date string or a ``Period``; ``None`` if neither."""
    if isinstance(value, str):
        try:
            return parse_span(value)
        except ValueError:
            return None
    if isinstance(value, dict) and ("start" in value or "end" in value):
        start = span_of(value.get("start")) if value.get("start") else None
        end = span_of(value.get("end")) if value.get("end") else None
        return Span(start.low if start else MIN_MOMENT, end.high if end else MAX_MOMENT)
    return None


def split_prefix(value: str) -> tuple[str, str]:
    """``("ge", "2024-01-01")`` from ``"ge2024-01-01"``; the default prefix is ``eq``."""
    if len(value) > 2 and value[:2] in PREFIXES and not value[:2].isdigit():
        return value[:2], value[2:]
    return "eq", value


def compare(prefix: str, target: Span, search: Span) -> bool:
    """Whether a resource range ``target`` satisfies ``prefix`` + search range ``search``."""
    contained = search.low <= target.low and target.high <= search.high
    if prefix == "eq":
        return contained
    if prefix == "ne":
        return not contained
    if prefix == "gt":
        return target.high > search.high
    if prefix == "lt":
        return target.low < search.low
    if prefix == "ge":
        return target.high > search.high or contained
    if prefix == "le":
        return target.low < search.low or contained
    if prefix == "sa":
        return target.low >= search.high
    if prefix == "eb":
        return target.high <= search.low
    if prefix == "ap":
        return target.low < search.high and search.low < target.high
    raise ValueError(f"unknown date prefix {prefix!r}")


def _zone(text: str | None) -> timezone:
    if text is None or text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    hours, minutes = int(text[1:3]), int(text[4:6])
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def _add_months(moment: datetime, months: int) -> datetime:
    total = moment.month - 1 + months
    year = moment.year + total // 12
    if year > 9999:
        return MAX_MOMENT
    return moment.replace(year=year, month=total % 12 + 1)
