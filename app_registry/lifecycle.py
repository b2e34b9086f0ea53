"""Dated lifecycle events: pending -> approved -> suspended / revoked.

Each event says who decided what and when; a suspension or revocation also says
why, because under the information-blocking security exception (45 CFR 171.203)
an app may be refused only on objective security grounds, recorded with evidence.
The registry stores the history, not a flag: the status at any instant is the
latest event dated at or before it (see ``RegisteredApp.status_at``), so an admin
can schedule a change and an auditor can replay past decisions.

Dates are ``YYYY-MM-DD`` (midnight UTC) or RFC 3339 date-times with an offset.
The YAML loader keeps them as text (no implicit timestamps) and this module
parses them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

from app_registry.errors import KeyPath

STATUSES = ("pending", "approved", "suspended", "revoked")
#: ``(?!\n)``: Python's ``$`` would also match before a final newline.
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$(?!\n)"
INSTANT_PATTERN = (
    r"^\d{4}-\d{2}-\d{2}([Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2}))?$(?!\n)"
)
_NEEDS_REASON = "suspended and revoked events need a reason (the security finding, 45 CFR 171.203)"

EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["status", "date", "by"],
    "properties": {
        "status": {"enum": list(STATUSES)},
        "date": {
            "type": "string",
            "pattern": INSTANT_PATTERN,
            "errorMessage": "{value} is not a YYYY-MM-DD date or an RFC 3339 date-time with offset",
        },
        "by": {"type": "string", "minLength": 1, "maxLength": 200},
        "reason": {"type": "string", "minLength": 1, "maxLength": 2000},
    },
    "allOf": [
        {
            "if": {
                "type": "object",
                "properties": {"status": {"enum": ["suspended", "revoked"]}},
                "required": ["status"],
            },
            "then": {"required": ["reason"], "errorMessage": _NEEDS_REASON},
        }
    ],
}


def parse_instant(text: str) -> datetime:
    """``YYYY-MM-DD`` (midnight UTC) or an RFC 3339 date-time with offset, as aware UTC."""
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    moment = datetime.fromisoformat(text.upper())
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset")
    return moment.astimezone(UTC)


def event_problems(events: Any) -> Iterator[tuple[KeyPath, str]]:
    """Real calendar dates, listed in order; paths are relative to ``lifecycle``."""
    previous: tuple[datetime, str] | None = None
    for index, event in enumerate(events if isinstance(events, list) else []):
        text = event.get("date") if isinstance(event, Mapping) else None
        if not isinstance(text, str) or not re.match(INSTANT_PATTERN, text):
            continue  # the schema reports it
        try:
            moment = parse_instant(text)
        except ValueError:
            yield (index, "date"), f"{text!r} is not a valid date"
            continue
        if previous is not None and moment < previous[0]:
            order = f"is before the previous event ({previous[1]!r}); list events in date order"
            yield (index, "date"), f"{text!r} {order}"
        previous = (moment, text)
