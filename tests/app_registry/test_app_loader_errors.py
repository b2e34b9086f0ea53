"""Every way a registry file can be wrong -> the exact ``file:line: path: message`` lines.

Each case starts from a valid one-app file whose keys sit on known lines::

    1 apps:
    2   - client_id: viewer
    3     name: Viewer
    4     client_type: public
    5     audience: patient
    6     privacy_policy_uri: https://viewer.example/privacy
    7     launch_types: [standalone]
    8     redirect_uris: [https://viewer.example/cb]
    9     scopes: [launch/patient, openid, patient/Observation.rs]
   10     <extra lines>

A field set to None is replaced by a comment, so line numbers never shift.
"""

from __future__ import annotations

import base64
import textwrap

import pytest

from app_registry import Problem, RegistryError, load_registry_text

BASE = {
    "client_id": "viewer",
    "name": "Viewer",
    "client_type": "public",
    "audience": "patient",
    "privacy_policy_uri": "https://viewer.example/privacy",
    "launch_types": "[standalone]",
    "redirect_uris": "[https://viewer.example/cb]",
    "scopes": "[launch/patient, openid, patient/Observation.rs]",
}
HASH = "scrypt$16384$8$1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA"
N2048 = base64.urlsafe_b64encode(b"\xc1" + bytes(range(255))).rstrip(b"=").decode()
N1024 = base64.urlsafe_b64encode(b"\xc1" + bytes(range(127))).rstrip(b"=").decode()
ASYM = {"client_type": "confidential-asymmetric"}
SYM = {"client_type": "confidential-symmetric"}
BACKEND = {
    "client_type": "confidential-asymmetric",
    "audience": "system",
    "privacy_policy_uri": None,
    "launch_types": "[backend]",
    "redirect_uris": None,
    "scopes": "[system/Patient.rs]",
}


def one_app(extra: str = "", **fields: str | None) -> str:
    lines = ["apps:"]
    for index, (key, default) in enumerate(BASE.items()):
        value = fields.pop(key, default)
        prefix = "  - " if index == 0 else "    "
        lines.append(f"{prefix}# {key} omitted" if value is None else f"{prefix}{key}: {value}")
    assert not fields, f"unknown base fields {fields}"
    lines += ["    " + line for line in textwrap.dedent(extra).strip("\n").splitlines()]
    return "\n".join(lines) + "\n"


def errors_of(text: str) -> list[str]:
    with pytest.raises(RegistryError) as caught:
        load_registry_text(text, "apps.yaml")
    return [str(problem) for problem in caught.value.errors]


def test_the_base_file_is_valid() -> None:
    registry = load_registry_text(one_app(), "apps.yaml")
    assert list(registry) == ["viewer"]
    assert registry["viewer"].source == "apps.yaml:2"


CASES = [
    # --- unknown keys, types, required keys -----------------------------------------------
    (
        "unknown-key",
        one_app("colour: blue"),
        ["apps.yaml:10: apps[0].colour: unknown key 'colour'"],
    ),
    (
        "typo-key",
        one_app("redirect_uri: https://viewer.example/cb"),
        [
            "apps.yaml:10: apps[0].redirect_uri: unknown key 'redirect_uri' (did you mean 'redirect_uris'?)"
        ],
    ),
    (
        "plaintext-secret-key",
        one_app("client_secret: hunter2", **SYM),
        [
            "apps.yaml:2: apps[0]: confidential-symmetric clients need client_secret_hash",
            (
                "apps.yaml:10: apps[0].client_secret: unknown key 'client_secret'"
                " (store only client_secret_hash, never the plaintext secret)"
            ),
        ],
    ),
    (
        "name-wrong-type",
        one_app(name="42"),
        ["apps.yaml:3: apps[0].name: expected a string, got 42"],
    ),
    ("name-empty", one_app(name='""'), ["apps.yaml:3: apps[0].name: must not be empty"]),
    (
        "name-null",
        one_app(name=""),
        ["apps.yaml:3: apps[0].name: expected a string, got an empty value"],
    ),
    (
        "scopes-not-list",
        one_app(scopes="openid"),
        ["apps.yaml:9: apps[0].scopes: expected a list, got 'openid'"],
    ),
    ("scopes-empty", one_app(scopes="[]"), ["apps.yaml:9: apps[0].scopes: must not be empty"]),
    (
        "scopes-duplicate",
        one_app(scopes="[openid, openid]"),
        ["apps.yaml:9: apps[0].scopes[1]: duplicate entry 'openid'"],
    ),
    (
        "scope-malformed",
        one_app(scopes="[patient/Observation.sr]"),
        [
            (
                "apps.yaml:9: apps[0].scopes[0]: 'patient/Observation.sr' is not a SMART scope"
                " (e.g. patient/Observation.rs, launch/patient, openid)"
            )
        ],
    ),
    (
        "client-type-enum",
        one_app(client_type="private"),
        [
            (
                "apps.yaml:4: apps[0].client_type: 'private' is not one of 'public',"
                " 'confidential-symmetric', 'confidential-asymmetric'"
            )
        ],
    ),
    ("missing-name", one_app(name=None), ["apps.yaml:2: apps[0]: missing required key 'name'"]),
    (
        "missing-client-id",
        one_app(client_id=None),
        ["apps.yaml:3: apps[0]: missing required key 'client_id'"],
    ),
    (
        "client-id-pattern",
        one_app(client_id="'my app'"),
        [
            (
                "apps.yaml:2: apps[0].client_id: 'my app' is not a valid client_id: 3-128 letters, digits,"
                " '.', '_', '~' or '-', starting with a letter or digit"
            )
        ],
    ),
    # --- redirect URIs (RFC 6749 3.1.2, RFC 8252 7) -----------------------------------------
    (
        "redirect-http-not-loopback",
        one_app(redirect_uris="[http://evil.example/cb]"),
        [
            "apps.yaml:8: apps[0].redirect_uris[0]: 'http://evil.example/cb' must use https (http is allowed only for loopback)"
        ],
    ),
    (
        "redirect-fragment",
        one_app(redirect_uris="['https://viewer.example/cb#top']"),
        [
            "apps.yaml:8: apps[0].redirect_uris[0]: 'https://viewer.example/cb#top' must not contain a fragment (RFC 6749 §3.1.2)"
        ],
    ),
    (
        "redirect-javascript",
        one_app(redirect_uris="['javascript:alert(1)']"),
        [
            (
                "apps.yaml:8: apps[0].redirect_uris[0]: 'javascript:alert(1)' must use https, http on a"
                " loopback host, or a private-use scheme such as com.example.app:/callback (RFC 8252 §7.1)"
            )
        ],
    ),
    (
        "redirect-relative",
        one_app(redirect_uris="[/cb]"),
        ["apps.yaml:8: apps[0].redirect_uris[0]: '/cb' is not an absolute URI"],
    ),
    (
        "redirect-userinfo",
        one_app(redirect_uris="['https://user@viewer.example/cb']"),
        [
            "apps.yaml:8: apps[0].redirect_uris[0]: 'https://user@viewer.example/cb' must not contain user info"
        ],
    ),
    (
        "redirect-wildcard",
        one_app(redirect_uris="['https://*.viewer.example/cb']"),
        [
            "apps.yaml:8: apps[0].redirect_uris[0]: 'https://*.viewer.example/cb' must not contain wildcards"
        ],
    ),
    (
        "redirect-second-on-own-line",
        one_app(redirect_uris="\n      - https://viewer.example/cb\n      - http://10.0.0.1/cb"),
        [
            "apps.yaml:10: apps[0].redirect_uris[1]: 'http://10.0.0.1/cb' must use https (http is allowed only for loopback)"
        ],
    ),
    (
        "redirect-duplicate",
        one_app(redirect_uris="[https://viewer.example/cb, https://viewer.example/cb]"),
        ["apps.yaml:8: apps[0].redirect_uris[1]: duplicate entry 'https://viewer.example/cb'"],
    ),
    (
        "redirect-missing-for-standalone",
        one_app(redirect_uris=None),
        ["apps.yaml:2: apps[0]: apps with an ehr or standalone launch need redirect_uris"],
    ),
    # --- other URIs ------------------------------------------------------------------------
    (
        "privacy-policy-http",
        one_app(privacy_policy_uri="http://viewer.example/privacy"),
        ["apps.yaml:6: apps[0].privacy_policy_uri: 'http://viewer.example/privacy' must use https"],
    ),
    (
        "privacy-policy-missing-for-patient-app",
        one_app(privacy_policy_uri=None),
        ["apps.yaml:2: apps[0]: patient-facing apps need privacy_policy_uri"],
    ),
    (
        "launch-uri-missing-for-ehr",
        one_app(launch_types="[ehr]"),
        ["apps.yaml:2: apps[0]: apps with an ehr launch need launch_uri"],
    ),
    (
        "launch-uri-http",
        one_app("launch_uri: http://viewer.example/launch", launch_types="[ehr]"),
        [
            "apps.yaml:10: apps[0].launch_uri: 'http://viewer.example/launch' must use https (http is allowed only for loopback)"
        ],
    ),
    (
        "publisher-url-and-name",
        one_app("publisher: {url: 'http://pub.example/'}"),
        [
            "apps.yaml:10: apps[0].publisher: missing required key 'name'",
            "apps.yaml:10: apps[0].publisher.url: 'http://pub.example/' must use https",
        ],
    ),
    (
        "contacts-not-email",
        one_app("contacts: [dev.viewer.example]"),
        ["apps.yaml:10: apps[0].contacts[0]: 'dev.viewer.example' is not an email address"],
    ),
    # --- client credentials ----------------------------------------------------------------
    (
        "symmetric-without-hash",
        one_app(**SYM),
        ["apps.yaml:2: apps[0]: confidential-symmetric clients need client_secret_hash"],
    ),
    (
        "plaintext-looking-hash",
        one_app("client_secret_hash: hunter2-correct-horse", **SYM),
        [
            (
                "apps.yaml:10: apps[0].client_secret_hash: must be a password hash such as"
                " 'scrypt$...' or '$argon2id$...', never the plaintext secret"
            )
        ],
    ),
    (
        "hash-wrong-type",
        one_app("client_secret_hash: 123456789", **SYM),
        [
            (
                "apps.yaml:10: apps[0].client_secret_hash: must be a password hash such as"
                " 'scrypt$...' or '$argon2id$...', never the plaintext secret"
            )
        ],
    ),
    (
        "hash-on-public-client",
        one_app(f"client_secret_hash: {HASH}"),
        [
            "apps.yaml:10: apps[0].client_secret_hash: only confidential-symmetric clients have a client_secret_hash"
        ],
    ),
    (
        "asymmetric-without-keys",
        one_app(**ASYM),
        ["apps.yaml:2: apps[0]: confidential-asymmetric clients need jwks or jwks_uri"],
    ),
    (
        "asymmetric-with-both",
        one_app(
            f"jwks_uri: https://viewer.example/jwks\njwks: {{keys: [{{kty: RSA, e: AQAB, n: {N2048}}}]}}",
            **ASYM,
        ),
        ["apps.yaml:2: apps[0]: give jwks or jwks_uri, not both"],
    ),
    (
        "jwks-uri-http",
        one_app("jwks_uri: http://viewer.example/jwks", **ASYM),
        ["apps.yaml:10: apps[0].jwks_uri: 'http://viewer.example/jwks' must use https"],
    ),
    (
        "jwks-private-member",
        one_app(
            f"jwks:\n  keys:\n    - kty: RSA\n      e: AQAB\n      n: {N2048}\n      d: c2VjcmV0",
            **ASYM,
        ),
        [
            "apps.yaml:15: apps[0].jwks.keys[0].d: private key member 'd' must not be registered: jwks holds public keys only"
        ],
    ),
    (
        "jwks-symmetric-key",
        one_app("jwks: {keys: [{kty: oct, k: c2VjcmV0}]}", **ASYM),
        [
            "apps.yaml:10: apps[0].jwks.keys[0].kty: kty 'oct' is not RSA, EC or OKP (jwks holds public keys; no 'oct' secrets)",
            "apps.yaml:10: apps[0].jwks.keys[0].k: private key member 'k' must not be registered: jwks holds public keys only",
        ],
    ),
    (
        "jwks-on-public-client",
        one_app("jwks_uri: https://viewer.example/jwks"),
        ["apps.yaml:10: apps[0].jwks_uri: only confidential-asymmetric clients have jwks_uri"],
    ),
    (
        "jwks-rsa-too-small",
        one_app(f"jwks: {{keys: [{{kty: RSA, e: AQAB, n: {N1024}}}]}}", **ASYM),
        ["apps.yaml:10: apps[0].jwks.keys[0].n: RSA key is 1024 bits; at least 2048 are required"],
    ),
    (
        "jwks-rsa-missing-modulus",
        one_app("jwks: {keys: [{kty: RSA, e: AQAB}]}", **ASYM),
        ["apps.yaml:10: apps[0].jwks.keys[0]: missing required key 'n'"],
    ),
    (
        "jwks-duplicate-kid",
        one_app(
            f"jwks:\n  keys:\n    - {{kty: RSA, kid: a, e: AQAB, n: {N2048}}}\n    - {{kty: RSA, kid: a, e: AQAB, n: {N2048}}}",
            **ASYM,
        ),
        ["apps.yaml:13: apps[0].jwks.keys[1].kid: duplicate kid 'a' (also keys[0])"],
    ),
    (
        "jwks-encryption-key",
        one_app(f"jwks: {{keys: [{{kty: RSA, use: enc, e: AQAB, n: {N2048}}}]}}", **ASYM),
        ["apps.yaml:10: apps[0].jwks.keys[0].use: use must be 'sig': client keys sign assertions"],
    ),
    (
        "jwks-not-base64url",
        one_app("jwks: {keys: [{kty: EC, crv: P-256, x: 'a+b', y: abc}]}", **ASYM),
        [
            "apps.yaml:10: apps[0].jwks.keys[0].x: 'a+b' is not base64url without padding (RFC 7515 section 2)"
        ],
    ),
    # --- launch types, audiences and scopes ------------------------------------------------
    (
        "backend-public-client",
        one_app(**{**BACKEND, "client_type": "public"}),
        [
            "apps.yaml:4: apps[0].client_type: backend services use private_key_jwt: client_type must be confidential-asymmetric"
        ],
    ),
    (
        "backend-with-patient-audience",
        one_app("jwks_uri: https://svc.example/jwks", **{**BACKEND, "audience": "clinician"}),
        ["apps.yaml:5: apps[0].audience: backend services have audience 'system'"],
    ),
    (
        "system-audience-with-standalone",
        one_app(
            "jwks_uri: https://svc.example/jwks",
            **{
                **BACKEND,
                "launch_types": "[backend, standalone]",
                "redirect_uris": "[https://svc.example/cb]",
            },
        ),
        [
            "apps.yaml:7: apps[0].launch_types: apps with audience 'system' have launch_types [backend] only"
        ],
    ),
    (
        "system-scope-without-backend",
        one_app(scopes="[openid, system/Patient.rs]"),
        [
            "apps.yaml:9: apps[0].scopes[1]: 'system/Patient.rs': system/ scopes are only for backend services"
        ],
    ),
    (
        "user-scope-on-backend",
        one_app(
            "jwks_uri: https://svc.example/jwks",
            **{**BACKEND, "scopes": "[system/Patient.rs, user/Patient.rs]"},
        ),
        [
            "apps.yaml:9: apps[0].scopes[1]: 'user/Patient.rs': a backend service gets only system/ scopes"
        ],
    ),
    (
        "launch-type-enum",
        one_app(launch_types="[standalone, portal]"),
        [
            "apps.yaml:7: apps[0].launch_types[1]: 'portal' is not one of 'ehr', 'standalone', 'backend'"
        ],
    ),
    # --- lifecycle -------------------------------------------------------------------------
    (
        "suspended-without-reason",
        one_app(
            "lifecycle:\n  - {status: approved, date: 2026-01-01, by: admin}\n  - {status: suspended, date: 2026-02-01, by: admin}"
        ),
        [
            "apps.yaml:12: apps[0].lifecycle[1]: suspended and revoked events need a reason (the security finding, 45 CFR 171.203)"
        ],
    ),
    (
        "revoked-without-reason",
        one_app("lifecycle:\n  - status: revoked\n    date: 2026-02-01\n    by: admin"),
        [
            "apps.yaml:11: apps[0].lifecycle[0]: suspended and revoked events need a reason (the security finding, 45 CFR 171.203)"
        ],
    ),
    (
        "lifecycle-date-format",
        one_app("lifecycle: [{status: approved, date: 2026/01/01, by: admin}]"),
        [
            "apps.yaml:10: apps[0].lifecycle[0].date: '2026/01/01' is not a YYYY-MM-DD date or an RFC 3339 date-time with offset"
        ],
    ),
    (
        "lifecycle-datetime-without-offset",
        one_app("lifecycle: [{status: approved, date: '2026-01-01T10:00:00', by: admin}]"),
        [
            "apps.yaml:10: apps[0].lifecycle[0].date: '2026-01-01T10:00:00' is not a YYYY-MM-DD date or an RFC 3339 date-time with offset"
        ],
    ),
    (
        "lifecycle-impossible-date",
        one_app("lifecycle: [{status: approved, date: 2026-02-30, by: admin}]"),
        ["apps.yaml:10: apps[0].lifecycle[0].date: '2026-02-30' is not a valid date"],
    ),
    (
        "lifecycle-out-of-order",
        one_app(
            "lifecycle:\n  - {status: approved, date: 2026-03-01, by: admin}\n  - {status: pending, date: 2026-01-01, by: form}"
        ),
        [
            "apps.yaml:12: apps[0].lifecycle[1].date: '2026-01-01' is before the previous event ('2026-03-01'); list events in date order"
        ],
    ),
    (
        "lifecycle-missing-by",
        one_app("lifecycle: [{status: approved, date: 2026-01-01}]"),
        ["apps.yaml:10: apps[0].lifecycle[0]: missing required key 'by'"],
    ),
    (
        "lifecycle-status-enum",
        one_app("lifecycle: [{status: active, date: 2026-01-01, by: admin}]"),
        [
            "apps.yaml:10: apps[0].lifecycle[0].status: 'active' is not one of 'pending', 'approved', 'suspended', 'revoked'"
        ],
    ),
    # --- attestation, limits, lifetimes ----------------------------------------------------
    (
        "attested-without-by-and-date",
        one_app("attestation: {status: attested}"),
        ["apps.yaml:10: apps[0].attestation: an attested attestation needs 'by' and 'date'"],
    ),
    (
        "attestation-status-enum",
        one_app("attestation: {status: yes}"),
        [
            "apps.yaml:10: apps[0].attestation.status: true is not one of 'attested', 'not-attested', 'not-reviewed'"
        ],
    ),
    (
        "attestation-impossible-date",
        one_app("attestation: {status: attested, by: CARIN, date: 2025-02-29}"),
        ["apps.yaml:10: apps[0].attestation.date: '2025-02-29' is not a valid date"],
    ),
    (
        "per-patient-above-per-app",
        one_app("rate_limit: {requests_per_minute: 60, per_patient_per_minute: 120}"),
        [
            "apps.yaml:10: apps[0].rate_limit.per_patient_per_minute: 120 exceeds requests_per_minute (60)"
        ],
    ),
    (
        "bulk-export-bad-values-and-not-a-backend-service",
        one_app("bulk_export: {groups: ['a b', ok-1], all_patients: 'yes', since: 1}"),
        [
            "apps.yaml:10: apps[0].bulk_export.since: unknown key 'since'",
            "apps.yaml:10: apps[0].bulk_export.groups[0]: 'a b' is not a FHIR id",
            "apps.yaml:10: apps[0].bulk_export.all_patients: expected true or false, got 'yes'",
            "apps.yaml:10: apps[0].bulk_export: only backend services (launch type 'backend') export in bulk",
        ],
    ),
    (
        "rate-limit-zero-and-unknown",
        one_app("rate_limit:\n  burst: 0\n  per_hour: 5"),
        [
            "apps.yaml:11: apps[0].rate_limit.burst: 0 is below the minimum 1",
            "apps.yaml:12: apps[0].rate_limit.per_hour: unknown key 'per_hour'",
        ],
    ),
    (
        "token-lifetimes-out-of-bounds",
        one_app(
            "token_lifetimes:\n  access_token_seconds: 7200\n  authorization_code_seconds: 5\n  refresh_token_days: 1000"
        ),
        [
            "apps.yaml:11: apps[0].token_lifetimes.access_token_seconds: 7200 is above the maximum 3600",
            "apps.yaml:12: apps[0].token_lifetimes.authorization_code_seconds: 5 is below the minimum 10",
            "apps.yaml:13: apps[0].token_lifetimes.refresh_token_days: 1000 is above the maximum 730",
        ],
    ),
    (
        "token-lifetime-not-integer",
        one_app("token_lifetimes: {access_token_seconds: '60'}"),
        [
            "apps.yaml:10: apps[0].token_lifetimes.access_token_seconds: expected an integer, got '60'"
        ],
    ),
    # --- YAML-level problems ---------------------------------------------------------------
    (
        "duplicate-yaml-key",
        one_app("name: Other Viewer"),
        ["apps.yaml:10: apps[0].name: duplicate key 'name' (first at line 3)"],
    ),
    (
        "non-string-key",
        one_app("yes: 1"),
        ["apps.yaml:10: apps[0]: key 'yes' must be a string (quote it)"],
    ),
    (
        "merge-key",
        one_app("<<: {description: shared}"),
        ["apps.yaml:10: apps[0]: YAML merge keys ('<<') are not supported"],
    ),
    (
        "custom-tag",
        one_app("description: !vault secret/path"),
        ["apps.yaml:10: apps[0].description: unsupported YAML tag '!vault'"],
    ),
    (
        "syntax-bad-indent",
        one_app().replace("    name: Viewer", "   name: Viewer"),
        [
            "apps.yaml:3: YAML syntax error: while parsing a block collection: expected <block end>, but found '<block mapping start>' (from line 2)"
        ],
    ),
    (
        "syntax-unclosed-flow",
        one_app(scopes="[openid,"),
        [
            "apps.yaml:10: YAML syntax error: while parsing a flow node: expected the node content, but found '<stream end>'"
        ],
    ),
    # --- document shape --------------------------------------------------------------------
    (
        "empty-file",
        "",
        ["apps.yaml:1: the file is empty: expected 'apps: [...]' or one app mapping"],
    ),
    (
        "top-level-list",
        "- client_id: a\n",
        ["apps.yaml:1: expected 'apps: [...]' or one app mapping, got a list"],
    ),
    ("apps-not-a-list", "apps: {}\n", ["apps.yaml:1: apps: expected a list, got a mapping"]),
    (
        "apps-item-not-mapping",
        "apps:\n  - viewer\n",
        ["apps.yaml:2: apps[0]: expected a mapping, got 'viewer'"],
    ),
    (
        "top-level-unknown-key",
        "version: 2\napps: []\n",
        ["apps.yaml:1: version: unknown key 'version'"],
    ),
    (
        "duplicate-client-id-in-one-file",
        one_app() + "  - client_id: viewer\n    name: Second\n",
        [
            "apps.yaml:10: apps[1]: missing required key 'client_type'",
            "apps.yaml:10: apps[1]: missing required key 'audience'",
            "apps.yaml:10: apps[1]: missing required key 'launch_types'",
            "apps.yaml:10: apps[1]: missing required key 'scopes'",
            "apps.yaml:10: apps[1].client_id: duplicate client_id 'viewer' (first defined at apps.yaml:2)",
        ],
    ),
]


@pytest.mark.parametrize(("text", "expected"), [pytest.param(t, e, id=i) for i, t, e in CASES])
def test_each_problem_names_file_line_path_and_reason(text: str, expected: list[str]) -> None:
    assert errors_of(text) == expected


def test_case_ids_are_unique() -> None:
    ids = [case[0] for case in CASES]
    assert len(ids) == len(set(ids))


def test_all_problems_are_collected_across_apps_in_line_order() -> None:
    text = one_app("colour: blue", name="42") + (
        "  - client_id: second\n"
        "    name: Second\n"
        "    client_type: public\n"
        "    audience: clinician\n"
        "    launch_types: [standalone]\n"
        "    redirect_uris: ['http://second.example/cb']\n"
        "    scopes: [openid]\n"
    )
    assert errors_of(text) == [
        "apps.yaml:3: apps[0].name: expected a string, got 42",
        "apps.yaml:10: apps[0].colour: unknown key 'colour'",
        "apps.yaml:16: apps[1].redirect_uris[0]: 'http://second.example/cb' must use https (http is allowed only for loopback)",
    ]


def test_error_carries_tuples_and_str_lists_every_problem() -> None:
    with pytest.raises(RegistryError) as caught:
        load_registry_text(one_app("colour: blue", name="42"), "apps.yaml")
    error = caught.value
    assert error.errors == [
        Problem("apps.yaml", 3, "apps[0].name", "expected a string, got 42"),
        Problem("apps.yaml", 10, "apps[0].colour", "unknown key 'colour'"),
    ]
    assert str(error) == (
        "apps.yaml:3: apps[0].name: expected a string, got 42\n"
        "apps.yaml:10: apps[0].colour: unknown key 'colour'"
    )
    file, line, path, message = error.errors[0]
    assert (file, line, path, message) == (
        "apps.yaml",
        3,
        "apps[0].name",
        "expected a string, got 42",
    )


@pytest.mark.parametrize(
    "secret",
    ["hunter2-correct-horse", "s3cr3t!", "a-very-long-plaintext-client-secret-value-0123456789"],
)
def test_a_pasted_secret_is_never_echoed(secret: str) -> None:
    with pytest.raises(RegistryError) as caught:
        load_registry_text(one_app(f"client_secret_hash: '{secret}'", **SYM), "apps.yaml")
    assert secret not in str(caught.value)
    assert secret not in repr(caught.value.errors)
