"""What the consent screen offers, and which scopes a patient's answer grants.  Pure.

Rules (smart-conformance.md items 35-40, regulatory.md REG-06/07, CON-01/02):

- Each resource scope the app may get is one data type, described in plain
  language (:func:`scopes.describe`), ticked by default; the patient may untick
  any of them (US Core: "select a subset of the requested scopes").
- A resource-level, unfiltered Condition, Observation or DocumentReference scope
  also offers its US Core categories (:func:`scopes.granular_choices`), unticked.
  Ticking any category means "only these kinds": the granted scopes then hold
  the chosen category scopes *instead of* the resource-level one ((g)(10)
  granular scope selection).  The narrower choice always wins.
- Non-resource scopes (``openid``, ``fhirUser``, ``launch``, ``launch/patient``,
  ...) are explained and kept as requested; ``offline_access`` has its own
  checkbox with a notice, ticked by default, and is granted only if kept.
- Records labelled sensitive (mental health, substance use, HIV, restricted) are
  withheld unless a separate opt-in box, unticked by default, is ticked; the
  withheld labels go into the consent record.
- Access lasts one hour, 90 days (default), one year, or until revoked;
  offline access lasts at most that long (the consent expires).
- Keeping no data type at all, when the app asked for some, counts as denying.

Granted scopes are the offered strings themselves (or their category
narrowings), in request order, never re-encoded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from scopes import ResourceScope, describe, granular_choices, parse_scope

OFFLINE = "offline_access"
SENSITIVE_LABELS: tuple[tuple[str, str], ...] = (
    ("PSY", "mental health"),
    ("ETH", "substance use"),
    ("HIV", "HIV and AIDS"),
    ("R", "records marked restricted"),
)
DAY = 24 * 3600
DURATIONS: tuple[tuple[str, str, int | None], ...] = (
    ("hour", "One hour", 3600),
    ("90days", "90 days", 90 * DAY),
    ("year", "One year", 365 * DAY),
    ("revoked", "Until I revoke it", None),
)
DEFAULT_DURATION = "90days"
CONSENT_TEXT_VERSION = "consent-screen-1"


@dataclass(frozen=True)
class Category:
    scope: str
    label: str


@dataclass(frozen=True)
class DataType:
    scope: str
    title: str
    detail: str
    categories: tuple[Category, ...] = ()


@dataclass(frozen=True)
class Notice:
    scope: str
    title: str
    detail: str


@dataclass(frozen=True)
class ConsentScreen:
    offered: tuple[str, ...]
    data_types: tuple[DataType, ...]
    kept_as_requested: tuple[Notice, ...]
    offline: Notice | None

    def shown(self) -> dict[str, Any]:
        """What the patient saw, for the consent record (CON-04)."""
        return {
            "version": CONSENT_TEXT_VERSION,
            "data_types": [
                {
                    "title": d.title,
                    "scope": d.scope,
                    "categories": [{"label": c.label, "scope": c.scope} for c in d.categories],
                }
                for d in self.data_types
            ],
            "kept_as_requested": [
                {"title": n.title, "scope": n.scope} for n in self.kept_as_requested
            ],
            "offline_notice": self.offline is not None,
            "sensitive_labels": [code for code, _ in SENSITIVE_LABELS],
            "durations": [key for key, _, _ in DURATIONS],
        }


def _categories(scope: ResourceScope) -> tuple[Category, ...]:
    if scope.filters or scope.is_wildcard:
        return ()
    return tuple(
        Category(scope.with_filters((choice.scope_filter,)).format(), choice.label)
        for choice in granular_choices(scope.resource_type)
    )


def build_screen(offered: Sequence[str]) -> ConsentScreen:
    data_types, notices, offline = [], [], None
    for text in offered:
        scope = parse_scope(text)
        words = describe(scope)
        if isinstance(scope, ResourceScope):
            data_types.append(DataType(text, words.title, words.detail, _categories(scope)))
        elif text == OFFLINE:
            offline = Notice(text, words.title, words.detail)
        else:
            notices.append(Notice(text, words.title, words.detail))
    return ConsentScreen(tuple(offered), tuple(data_types), tuple(notices), offline)


@dataclass(frozen=True)
class ConsentAnswer:
    scopes: tuple[str, ...]
    withheld_labels: tuple[str, ...]
    offline: bool
    duration_s: int | None

    @property
    def shares_no_data(self) -> bool:
        return not any(isinstance(parse_scope(s), ResourceScope) for s in self.scopes)


def read_answer(screen: ConsentScreen, form: Mapping[str, Sequence[str]]) -> ConsentAnswer | None:
    """The patient's answer to an Allow; ``None`` when the form is not one we sent."""
    durations = {key: seconds for key, _, seconds in DURATIONS}
    chosen_duration = form.get("duration", [])
    if len(chosen_duration) != 1 or chosen_duration[0] not in durations:
        return None
    ticked = set(form.get("scope", ()))
    ticked_categories = set(form.get("category", ()))
    offline = screen.offline is not None and "yes" in form.get(OFFLINE, ())
    by_scope = {d.scope: d for d in screen.data_types}
    granted: list[str] = []
    for text in screen.offered:
        if text == OFFLINE:
            if offline:
                granted.append(text)
        elif text not in by_scope:
            granted.append(text)
        else:
            kinds = [c.scope for c in by_scope[text].categories if c.scope in ticked_categories]
            granted.extend(kinds or ([text] if text in ticked else []))
    opted_in = "yes" in form.get("sensitive", ())
    withheld = () if opted_in else tuple(code for code, _ in SENSITIVE_LABELS)
    return ConsentAnswer(
        tuple(dict.fromkeys(granted)), withheld, offline, durations[chosen_duration[0]]
    )
