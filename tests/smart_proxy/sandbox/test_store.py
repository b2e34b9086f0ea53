"""The versioned in-memory store."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from smart_proxy.sandbox.outcome import FhirError
from smart_proxy.sandbox.store import SandboxStore, format_instant, render


class FrozenClock:
    def __init__(self) -> None:
        self.now = datetime(2025, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_versions_count_up_and_stamp_meta() -> None:
    clock = FrozenClock()
    store = SandboxStore(clock)
    first = store.put({"resourceType": "Patient", "id": "a", "meta": {"versionId": "9"}})
    clock.now += timedelta(seconds=5)
    second = store.put({"resourceType": "Patient", "id": "a", "active": True})
    assert (first.version_id, second.version_id) == (1, 2)
    assert second.resource == {
        "resourceType": "Patient", "id": "a",
        "meta": {"versionId": "2", "lastUpdated": "2025-01-01T00:00:05.000Z"}, "active": True,
    }
    assert second.etag == 'W/"2"'
    assert store.version("Patient", "a", 1) == first
    assert store.current("Patient", "a") == second


def test_timestamps_strictly_increase_even_with_a_stopped_clock() -> None:
    store = SandboxStore(FrozenClock())
    stamps = [store.put({"resourceType": "Basic", "id": str(n)}).last_updated for n in range(3)]
    assert stamps == sorted(set(stamps))
    assert stamps[1] - stamps[0] == timedelta(milliseconds=1)


def test_stored_resources_are_copies() -> None:
    store = SandboxStore()
    source = {"resourceType": "Patient", "id": "a", "name": [{"family": "X"}]}
    store.put(source)
    source["name"][0]["family"] = "changed"
    assert store.current("Patient", "a").resource["name"] == [{"family": "X"}]  # type: ignore


def test_delete_appends_a_marker_and_live_skips_it() -> None:
    store = SandboxStore()
    store.put({"resourceType": "Patient", "id": "a"})
    store.put({"resourceType": "Patient", "id": "b"})
    marker = store.delete("Patient", "a")
    assert marker.deleted and marker.version_id == 2 and marker.resource is None
    assert [v.id for v in store.live("Patient")] == ["b"]
    with pytest.raises(FhirError) as caught:
        render(marker)
    assert caught.value.status == 410


def test_history_is_newest_first_at_every_level() -> None:
    store = SandboxStore()
    store.put({"resourceType": "Patient", "id": "a"})
    store.put({"resourceType": "Observation", "id": "o"})
    store.put({"resourceType": "Patient", "id": "a"})
    assert [(v.key, v.version_id) for v in store.versions()] == [
        ("Patient/a", 2), ("Observation/o", 1), ("Patient/a", 1)]
    assert [v.version_id for v in store.versions("Patient", "a")] == [2, 1]
    assert [v.key for v in store.versions("Observation")] == ["Observation/o"]


def test_rollback_undoes_everything_after_the_mark() -> None:
    store = SandboxStore()
    store.put({"resourceType": "Patient", "id": "a"})
    mark = store.mark()
    store.put({"resourceType": "Patient", "id": "a", "active": False})
    store.put({"resourceType": "Patient", "id": "new"})
    store.delete("Patient", "a")
    store.rollback(mark)
    assert store.current("Patient", "new") is None
    current = store.current("Patient", "a")
    assert current is not None and current.version_id == 1 and not current.deleted


def test_new_ids_skip_taken_ones() -> None:
    store = SandboxStore()
    store.put({"resourceType": "Patient", "id": "1"})
    assert store.new_id("Patient") == "2"
    assert store.new_id("Patient") == "3"


def test_invalid_ids_are_refused() -> None:
    with pytest.raises(FhirError) as caught:
        SandboxStore().put({"resourceType": "Patient", "id": "no spaces"})
    assert caught.value.status == 400


def test_binary_content_is_kept_as_bytes_and_rendered_as_base64() -> None:
    store = SandboxStore()
    raw = store.put_binary("b1", "application/pdf", b"%PDF-1.4", security_context="Patient/p1")
    assert raw.payload == b"%PDF-1.4" and "data" not in raw.resource  # type: ignore[operator]
    assert render(raw)["data"] == base64.b64encode(b"%PDF-1.4").decode()
    assert render(raw)["securityContext"] == {"reference": "Patient/p1"}
    from_json = store.put({"resourceType": "Binary", "id": "b2", "contentType": "text/plain",
                           "data": base64.b64encode(b"hello").decode()})
    assert from_json.payload == b"hello"
    with pytest.raises(FhirError):
        store.put({"resourceType": "Binary", "id": "b3", "data": "not base64!"})


def test_load_keeps_given_last_updated() -> None:
    store = SandboxStore()
    store.load([{"resourceType": "Patient", "id": "a",
                 "meta": {"lastUpdated": "2020-02-03T04:05:06Z"}}])
    version = store.current("Patient", "a")
    assert version is not None
    assert format_instant(version.last_updated) == "2020-02-03T04:05:06.000Z"
    assert version.resource["meta"]["versionId"] == "1"  # type: ignore[index]
