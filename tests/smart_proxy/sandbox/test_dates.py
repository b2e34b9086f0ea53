"""Date ranges and the R4 search prefixes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smart_proxy.sandbox.dates import MAX_MOMENT, compare, parse_span, span_of, split_prefix


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(("text", "low", "high"), [
    ("2024", at(2024, 1, 1), at(2025, 1, 1)),
    ("2024-02", at(2024, 2, 1), at(2024, 3, 1)),
    ("2024-12", at(2024, 12, 1), at(2025, 1, 1)),
    ("2024-02-29", at(2024, 2, 29), at(2024, 3, 1)),
    ("2024-03-15T10:30", at(2024, 3, 15, 10, 30), at(2024, 3, 15, 10, 31)),
    ("2024-03-15T10:30:05Z", at(2024, 3, 15, 10, 30, 5), at(2024, 3, 15, 10, 30, 6)),
    ("2024-03-15T10:30:05.250Z", at(2024, 3, 15, 10, 30, 5, 250000),
     at(2024, 3, 15, 10, 30, 5, 251000)),
    ("2024-03-15T12:00:00+02:00", at(2024, 3, 15, 10), at(2024, 3, 15, 10, 0, 1)),
])
def test_precision_sets_the_range(text: str, low: datetime, high: datetime) -> None:
    span = parse_span(text)
    assert (span.low, span.high) == (low, high)


@pytest.mark.parametrize("text", ["", "24", "2024-13", "2024-02-30", "yesterday", "2024-1-1"])
def test_malformed_dates_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        parse_span(text)


def test_periods_and_open_ends() -> None:
    span = span_of({"start": "2024-01-01"})
    assert span is not None and span.low == at(2024, 1, 1) and span.high == MAX_MOMENT
    assert span_of({"foo": 1}) is None and span_of(3) is None


@pytest.mark.parametrize(("value", "expected"), [
    ("ge2024", ("ge", "2024")), ("2024", ("eq", "2024")), ("eb2024-01", ("eb", "2024-01")),
])
def test_prefix_split(value: str, expected: tuple[str, str]) -> None:
    assert split_prefix(value) == expected


# The target is one second on 2024-03-15 at 10:00:00 UTC.
@pytest.mark.parametrize(("prefix", "search", "hit"), [
    ("eq", "2024-03-15", True), ("eq", "2024-03-16", False), ("eq", "2024", True),
    ("ne", "2024-03-15", False), ("ne", "2024-03-14", True),
    ("gt", "2024-03-14", True), ("gt", "2024-03-15", False),
    ("lt", "2024-03-16", True), ("lt", "2024-03-15", False),
    ("ge", "2024-03-15", True), ("ge", "2024-03-16", False), ("ge", "2024-03-14", True),
    ("le", "2024-03-15", True), ("le", "2024-03-14", False), ("le", "2024-03-16", True),
    ("sa", "2024-03-14", True), ("sa", "2024-03-15", False),
    ("eb", "2024-03-16", True), ("eb", "2024-03-15", False),
    ("ap", "2024-03", True), ("ap", "2024-04", False),
])
def test_prefixes(prefix: str, search: str, hit: bool) -> None:
    target = parse_span("2024-03-15T10:00:00Z")
    assert compare(prefix, target, parse_span(search)) is hit
