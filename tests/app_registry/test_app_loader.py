"""load_registry: files, folders, what a loaded app looks like, and file-level errors."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from app_registry import (
    AppStatus,
    Attestation,
    AttestationStatus,
    Audience,
    BulkExport,
    ClientType,
    LaunchType,
    LifecycleEvent,
    Publisher,
    RateLimit,
    RegistryError,
    TokenLifetimes,
    load_registry,
    load_registry_text,
)

HASH = "scrypt$16384$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"


def app_yaml(client_id: str, indent: str = "") -> str:
    """A minimal valid clinician app as YAML lines (7 lines)."""
    lines = [
        f"client_id: {client_id}",
        f"name: App {client_id}",
        "client_type: public",
        "audience: clinician",
        "launch_types: [standalone]",
        f"redirect_uris: [https://{client_id}.example/cb]",
        "scopes: [openid]",
    ]
    return "".join(f"{indent}{line}\n" for line in lines)


def as_list(*client_ids: str) -> str:
    text = "apps:\n"
    for client_id in client_ids:
        text += "  - " + app_yaml(client_id, "    ")[4:]
    return text


FULL = """\
apps:
  - client_id: full.app
    name: Full App
    publisher: {name: Example Inc., url: https://example.org/}
    description: Everything set.
    logo_uri: https://example.org/logo.png
    homepage_uri: https://example.org/
    privacy_policy_uri: https://example.org/privacy
    tos_uri: https://example.org/tos
    contacts: [a@example.org, b@example.org]
    client_type: confidential-symmetric
    client_secret_hash: HASH
    audience: patient
    launch_types: [ehr, standalone]
    launch_uri: https://example.org/launch
    redirect_uris: [https://example.org/cb, 'com.example.full:/cb']
    scopes: [launch, openid, patient/Observation.rs]
    rate_limit: {requests_per_minute: 120, burst: 20, per_patient_per_minute: 60}
    token_lifetimes: {access_token_seconds: 900, authorization_code_seconds: 60, refresh_token_days: 90}
    attestation: {status: attested, by: CARIN, date: 2025-11-20, url: https://example.org/carin}
    lifecycle:
      - {status: pending, date: 2025-12-01, by: form}
      - {status: approved, date: '2026-01-01T12:00:00+02:00', by: admin}
      - {status: suspended, date: 2026-03-01T00:00:00Z, by: sec, reason: leaked key}
""".replace("HASH", HASH)


def test_a_loaded_app_has_every_field_typed() -> None:
    app = load_registry_text(FULL, "full.yaml")["full.app"]
    assert app.client_id == "full.app"
    assert app.name == "Full App"
    assert app.publisher == Publisher("Example Inc.", "https://example.org/")
    assert app.description == "Everything set."
    assert app.logo_uri == "https://example.org/logo.png"
    assert app.homepage_uri == "https://example.org/"
    assert app.privacy_policy_uri == "https://example.org/privacy"
    assert app.tos_uri == "https://example.org/tos"
    assert app.contacts == ("a@example.org", "b@example.org")
    assert app.client_type is ClientType.CONFIDENTIAL_SYMMETRIC
    assert app.client_secret_hash == HASH
    assert app.jwks is None and app.jwks_uri is None
    assert app.audience is Audience.PATIENT
    assert app.launch_types == frozenset({LaunchType.EHR, LaunchType.STANDALONE})
    assert app.launch_uri == "https://example.org/launch"
    assert app.redirect_uris == ("https://example.org/cb", "com.example.full:/cb")
    assert app.scopes == ("launch", "openid", "patient/Observation.rs")
    assert app.rate_limit == RateLimit(120, 20, 60)
    assert app.token_lifetimes == TokenLifetimes(900, 60, 90)
    assert app.attestation == Attestation(
        AttestationStatus.ATTESTED, "CARIN", date(2025, 11, 20), "https://example.org/carin"
    )
    assert app.lifecycle == (
        LifecycleEvent(AppStatus.PENDING, datetime(2025, 12, 1, tzinfo=UTC), "form"),
        LifecycleEvent(AppStatus.APPROVED, datetime(2026, 1, 1, 10, tzinfo=UTC), "admin"),
        LifecycleEvent(AppStatus.SUSPENDED, datetime(2026, 3, 1, tzinfo=UTC), "sec", "leaked key"),
    )
    assert app.source == "full.yaml:2"


def test_optional_fields_default_to_empty() -> None:
    app = load_registry_text(as_list("plain"), "a.yaml")["plain"]
    assert (app.publisher, app.description, app.logo_uri, app.launch_uri) == (
        None,
        None,
        None,
        None,
    )
    assert app.contacts == ()
    assert app.rate_limit == RateLimit(None, None, None)
    assert app.token_lifetimes == TokenLifetimes(None, None, None)
    assert app.attestation is None
    assert app.lifecycle == ()
    assert app.status_at(datetime(2030, 1, 1, tzinfo=UTC)) is AppStatus.PENDING


def test_inline_jwks_is_kept_and_returned_as_a_fresh_dict() -> None:
    text = (
        "client_id: svc\nname: Service\nclient_type: confidential-asymmetric\naudience: system\n"
        "launch_types: [backend]\nscopes: [system/Patient.rs]\n"
        "jwks: {keys: [{kty: EC, crv: P-384, x: AbC, y: dEf, kid: k1}]}\n"
    )
    app = load_registry_text(text, "svc.yaml")["svc"]
    expected = {"keys": [{"kty": "EC", "crv": "P-384", "x": "AbC", "y": "dEf", "kid": "k1"}]}
    assert app.jwks == expected
    app.jwks["keys"].clear()  # type: ignore[index]
    assert app.jwks == expected
    assert app.source == "svc.yaml:1"


def test_bulk_export_is_nothing_unless_registered() -> None:
    text = (
        "client_id: svc\nname: Service\nclient_type: confidential-asymmetric\naudience: system\n"
        "launch_types: [backend]\nscopes: [system/Patient.rs]\n"
        "jwks: {keys: [{kty: EC, crv: P-384, x: AbC, y: dEf, kid: k1}]}\n"
    )
    assert load_registry_text(text, "svc.yaml")["svc"].bulk_export == BulkExport()
    wide = text + "bulk_export: {groups: [g1, g-2.x], all_patients: true}\n"
    assert load_registry_text(wide, "svc.yaml")["svc"].bulk_export == BulkExport(
        frozenset({"g1", "g-2.x"}), all_patients=True)


def test_dates_stay_text_until_parsed_so_unquoted_dates_work() -> None:
    text = as_list("dated") + "    lifecycle: [{status: approved, date: 2026-01-01, by: admin}]\n"
    app = load_registry_text(text, "a.yaml")["dated"]
    assert app.lifecycle[0].at == datetime(2026, 1, 1, tzinfo=UTC)


def test_load_registry_reads_a_file_given_as_str_or_path(tmp_path: Path) -> None:
    path = tmp_path / "apps.yaml"
    path.write_text(as_list("one", "two"), encoding="utf-8")
    for given in (path, str(path)):
        registry = load_registry(given)
        assert list(registry) == ["one", "two"]
        assert registry.source == (str(path),)
        assert registry["two"].source == f"{path}:9"


def test_a_single_file_may_hold_one_app_mapping(tmp_path: Path) -> None:
    path = tmp_path / "one.yml"
    path.write_text(app_yaml("solo"), encoding="utf-8")
    assert list(load_registry(path)) == ["solo"]


def test_a_folder_loads_every_yaml_file_sorted_by_name(tmp_path: Path) -> None:
    (tmp_path / "20-list.yaml").write_text(as_list("app-b1", "app-b2"), encoding="utf-8")
    (tmp_path / "10-single.yml").write_text(app_yaml("app-a1"), encoding="utf-8")
    (tmp_path / "30-last.yaml").write_text(app_yaml("app-c1"), encoding="utf-8")
    (tmp_path / "README.txt").write_text("not yaml: [", encoding="utf-8")
    (tmp_path / "old.yaml.bak").write_text("not yaml: [", encoding="utf-8")
    (tmp_path / "nested.yaml").mkdir()
    (tmp_path / "nested.yaml" / "x.yaml").write_text("not yaml: [", encoding="utf-8")
    registry = load_registry(tmp_path)
    assert list(registry) == ["app-a1", "app-b1", "app-b2", "app-c1"]
    assert registry.source == tuple(
        os.path.join(str(tmp_path), name)
        for name in ("10-single.yml", "20-list.yaml", "30-last.yaml")
    )
    assert registry["app-b2"].source == os.path.join(str(tmp_path), "20-list.yaml") + ":9"


def test_duplicate_client_id_across_folder_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(as_list("app-x", "shared"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text("# second file\n" + app_yaml("shared"), encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        load_registry(tmp_path)
    a, b = os.path.join(str(tmp_path), "a.yaml"), os.path.join(str(tmp_path), "b.yaml")
    assert [str(p) for p in caught.value.errors] == [
        f"{b}:2: client_id: duplicate client_id 'shared' (first defined at {a}:9)"
    ]


def test_errors_from_several_files_come_in_file_then_line_order(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text(app_yaml("app-b") + "colour: red\n", encoding="utf-8")
    (tmp_path / "a.yaml").write_text(
        app_yaml("app-a").replace("name: App app-a", "name: 7"), encoding="utf-8"
    )
    (tmp_path / "c.yaml").write_text("apps: [\n", encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        load_registry(tmp_path)
    folder = str(tmp_path)
    assert [str(p) for p in caught.value.errors] == [
        f"{folder}/a.yaml:2: name: expected a string, got 7",
        f"{folder}/b.yaml:8: colour: unknown key 'colour'",
        (
            f"{folder}/c.yaml:2: YAML syntax error: while parsing a flow node: expected the node content,"
            " but found '<stream end>'"
        ),
    ]


def test_an_empty_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(RegistryError) as caught:
        load_registry(tmp_path)
    assert str(caught.value) == f"{tmp_path}: folder has no *.yaml or *.yml files"


def test_a_missing_path_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(RegistryError) as caught:
        load_registry(missing)
    assert caught.value.errors == [(str(missing), None, "", "no such file or folder")]


def test_a_file_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\u00e9\n".encode("latin-1"))
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    assert str(caught.value) == f"{path}: not UTF-8 text (invalid continuation byte at byte 9)"


def test_an_empty_apps_list_is_an_empty_registry() -> None:
    registry = load_registry_text("apps: []\n", "apps.yaml")
    assert len(registry) == 0
    assert registry.source == ("apps.yaml",)


def test_load_registry_text_defaults_its_file_name() -> None:
    with pytest.raises(RegistryError) as caught:
        load_registry_text("apps: 3\n")
    assert str(caught.value) == "<string>:1: apps: expected a list, got 3"


def test_status_follows_lifecycle_after_loading() -> None:
    registry = load_registry_text(FULL, "full.yaml")
    app = registry["full.app"]
    approved_at = datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert app.status_at(approved_at - timedelta(seconds=1)) is AppStatus.PENDING
    assert app.status_at(approved_at) is AppStatus.APPROVED
    assert app.status_at(datetime(2026, 3, 1, tzinfo=UTC)) is AppStatus.SUSPENDED
