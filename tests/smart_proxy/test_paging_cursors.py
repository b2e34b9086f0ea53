"""Paging links are the proxy's signed cursors, bound to the grant, never upstream URLs."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from smart_proxy.paging import CursorCodec, InvalidCursor, tail_below


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def relative(url: str) -> str:
    parsed = URL(url)
    return f"{parsed.raw_path}?{parsed.raw_query_string}"


async def test_following_next_pages_through_the_proxy(proxy: TestClient, issue_token: Any) -> None:
    token = await issue_token(patient="p6")
    direct = await proxy.get("/fhir/Observation?patient=p6&_count=200&_sort=_id", headers=bearer(token))
    everything = [e["resource"]["id"] for e in (await direct.json(content_type=None))["entry"]]
    assert len(everything) > 25
    seen: list[str] = []
    response = await proxy.get("/fhir/Observation?patient=p6&_count=10&_sort=_id", headers=bearer(token))
    for _ in range(50):
        page = await response.json(content_type=None)
        seen += [e["resource"]["id"] for e in page.get("entry", [])]
        links = {link["relation"]: link["url"] for link in page.get("link", [])}
        assert all(url.startswith("https://proxy.example.org/fhir/_page?cursor=") for url in links.values())
        if "next" not in links:
            break
        response = await proxy.get(relative(links["next"]), headers=bearer(token))
        assert response.status == 200
    assert seen == everything


async def first_next_link(proxy: TestClient, token: str) -> str:
    response = await proxy.get("/fhir/Observation?patient=p6&_count=5", headers=bearer(token))
    page = await response.json(content_type=None)
    return next(relative(link["url"]) for link in page["link"] if link["relation"] == "next")


async def test_other_grants_cursor_is_refused(proxy: TestClient, issue_token: Any) -> None:
    mine, theirs = await issue_token(patient="p6"), await issue_token(patient="p6")
    link = await first_next_link(proxy, mine)
    response = await proxy.get(link, headers=bearer(theirs))
    assert response.status == 400
    assert "another grant" in (await response.json(content_type=None))["issue"][0]["diagnostics"]


@pytest.mark.parametrize("mangle", [
    lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),
    lambda c: "x" + c,
    lambda c: c[: len(c) // 2],
    lambda c: "",
])
async def test_tampered_cursor_is_refused_without_upstream_call(
    proxy: TestClient, issue_token: Any, mangle: Any
) -> None:
    token = await issue_token(patient="p6")
    link = URL(await first_next_link(proxy, token))
    bad = link.with_query(cursor=mangle(link.query["cursor"]))
    response = await proxy.get(str(bad), headers=bearer(token))
    assert response.status == 400


async def test_cursor_needs_a_live_grant(proxy: TestClient, issue_token: Any) -> None:
    token = await issue_token(patient="p6")
    link = await first_next_link(proxy, token)
    assert (await proxy.get(link)).status == 401


def test_codec_rules() -> None:
    codec = CursorCodec(b"k" * 32, ttl_s=60)
    cursor = codec.encode("g1", "Observation?_getpagesoffset=10", {"method": "GET"}, now=1000)
    assert codec.decode(cursor, "g1", now=1059).upstream_tail == "Observation?_getpagesoffset=10"
    with pytest.raises(InvalidCursor, match="expired"):
        codec.decode(cursor, "g1", now=1060)
    with pytest.raises(InvalidCursor, match="another grant"):
        codec.decode(cursor, "g2", now=1001)
    with pytest.raises(InvalidCursor, match="signature"):
        CursorCodec(b"x" * 32).decode(cursor, "g1", now=1001)
    for escape in ("/etc/passwd", "http://evil.example/x", "Observation/../../admin", "\\\\evil"):
        forged = codec.encode("g1", escape, {}, now=1000)
        with pytest.raises(InvalidCursor, match="below the upstream base"):
            codec.decode(forged, "g1", now=1001)


@pytest.mark.parametrize(
    ("link", "tail"),
    [
        ("https://p.example/fhir/Observation?x=1", "Observation?x=1"),
        ("https://P.EXAMPLE/fhir?_getpages=a", "?_getpages=a"),
        ("https://p.example/fhirX/Observation", None),
        ("https://p.example:444/fhir/Observation", None),
        ("http://p.example/fhir/Observation", None),
        ("https://evil.example/fhir/Observation", None),
        ("Observation?x=1", None),
    ],
)
def test_tail_below(link: str, tail: str | None) -> None:
    assert tail_below(URL("https://p.example/fhir"), link) == tail


def test_cursors_are_sealed_not_just_signed() -> None:
    """The app cannot read the upstream's offsets (how much the upstream matched before the
    post-filter): the cursor is ciphertext, fresh for every link."""
    import base64

    codec = CursorCodec(b"k" * 32, ttl_s=60)
    first = codec.encode("g1", "Observation?_getpagesoffset=274", {"method": "GET"}, now=1000)
    again = codec.encode("g1", "Observation?_getpagesoffset=274", {"method": "GET"}, now=1000)
    assert first != again
    raw = base64.urlsafe_b64decode(first + "=" * (-len(first) % 4))
    assert b"getpages" not in raw and b"274" not in raw and b"g1" not in raw
    assert codec.decode(first, "g1", now=1001).upstream_tail == "Observation?_getpagesoffset=274"
    with pytest.raises(InvalidCursor, match="signature"):
        CursorCodec(b"x" * 32).decode(first, "g1", now=1001)
