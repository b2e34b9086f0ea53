"""Configuration errors name the file, the line and the key; valid files load."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from scopes.membership import DEFAULT_SHARED_TYPES
from smart_proxy.config import ConfigError, load_config

VALID = """\
public_url: https://proxy.example.org/
listen: {host: 0.0.0.0, port: 9090}
upstream:
  url: http://fhir.internal:8080/fhir
  timeout_s: 12.5
  connect_timeout_s: 2
  auth: {type: basic, username: proxy, password_env: UPSTREAM_PASSWORD}
apps: registry/apps.yaml
state: redis://127.0.0.1:6379/0
audit: {sink: file, path: audit/disclosures.jsonl}
identity:
  local_users: users.yaml
  oidc: {issuer: https://portal.example.org, client_id: smart-proxy, client_secret_env: OIDC_SECRET}
limits: {max_request_body_bytes: 1048576}
signing_key: keys/id-token.pem
ehr_launch: {credential_hash: "scrypt$16384$8$1$c2FsdA$a2V5"}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "proxy.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_valid_file_loads_with_paths_relative_to_it(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    config = load_config(path, environ={"UPSTREAM_PASSWORD": "pw", "OIDC_SECRET": "s"})
    assert str(config.public_url) == "https://proxy.example.org"
    assert str(config.fhir_base) == "https://proxy.example.org/fhir"
    assert (config.host, config.port) == ("0.0.0.0", 9090)
    assert str(config.upstream.url) == "http://fhir.internal:8080/fhir"
    assert config.upstream.timeout_s == 12.5
    assert config.upstream.auth.authorization_header() == "Basic cHJveHk6cHc="
    assert config.apps == tmp_path / "registry/apps.yaml"
    assert config.audit.path == tmp_path / "audit/disclosures.jsonl"
    assert config.identity.local_users == tmp_path / "users.yaml"
    assert config.identity.oidc is not None and config.identity.oidc.client_secret is not None
    assert config.identity.oidc.client_secret.value == "s"
    assert config.limits.max_request_body_bytes == 1048576
    assert config.state == "redis://127.0.0.1:6379/0"
    assert config.signing_key == tmp_path / "keys/id-token.pem"
    assert config.ehr_launch is not None and config.ehr_launch.ttl_s == 300
    assert "scrypt" not in repr(config.ehr_launch)


def test_shared_state_requires_a_signing_key(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL.replace("state: memory", "state: redis://127.0.0.1:6379/0"))
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert caught.value.problems == [
        f"{tmp_path}/proxy.yaml:4: state: replicas sharing redis:// state need one id_token key: set signing_key"
    ]


def test_secrets_never_appear_in_repr(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, VALID), environ={"UPSTREAM_PASSWORD": "hunter2", "OIDC_SECRET": "s3"})
    assert "hunter2" not in repr(config)
    assert "s3'" not in repr(config)


MINIMAL = "public_url: http://127.0.0.1:8080\nupstream: {url: http://127.0.0.1:8081/fhir}\napps: apps.yaml\nstate: memory\n"


def test_minimal_file_gets_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL), environ={})
    assert (config.host, config.port, config.upstream.timeout_s) == ("127.0.0.1", 8080, 30.0)
    assert config.upstream.auth.authorization_header() is None
    assert config.policy.shared_types == DEFAULT_SHARED_TYPES


def test_shared_types_may_be_chosen(tmp_path: Path) -> None:
    text = MINIMAL + "policy: {shared_types: [Organization, Endpoint, Questionnaire]}\n"
    config = load_config(write(tmp_path, text), environ={})
    assert config.policy.shared_types == {"Organization", "Endpoint", "Questionnaire"}
    assert load_config(write(tmp_path, MINIMAL + "policy: {shared_types: []}\n"),
                       environ={}).policy.shared_types == frozenset()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (MINIMAL + "audti: {sink: file}\n", "proxy.yaml:5: (top level): unknown key audti"),
        (MINIMAL.replace("url: http://127.0.0.1:8081/fhir", "url: http://127.0.0.1:8081/fhir, timeout: 3"),
         "proxy.yaml:2: upstream: unknown key timeout"),
        (MINIMAL + "listen:\n  host: 127.0.0.1\n  port: eighty\n",
         "proxy.yaml:7: listen.port: 'eighty' is not of type 'integer'"),
        (MINIMAL + "listen:\n  port: 70000\n", "proxy.yaml:6: listen.port: 70000 is greater than the maximum of 65535"),
        (MINIMAL.replace("state: memory", "state: postgres://db"),
         "proxy.yaml:4: state: 'postgres://db' must be 'memory' or a redis://, rediss:// or unix:// URL"),
        (MINIMAL.replace("http://127.0.0.1:8080", "ftp://x"),
         "proxy.yaml:1: public_url: 'ftp://x' must be an http(s) URL without query or fragment"),
        ("upstream: {url: http://x/fhir}\napps: a\nstate: memory\n",
         "proxy.yaml:1: (top level): 'public_url' is a required property"),
        (MINIMAL + "upstream: {url: http://y}\n", "proxy.yaml:5: duplicate key 'upstream'"),
        (MINIMAL + "audit: {sink: file}\n", "proxy.yaml:5: audit: 'path' is a required property"),
        (MINIMAL + "audit: {sink: syslog, path: x}\n", "proxy.yaml:5: audit.sink: 'syslog' is not one of ['file', 'redis']"),
        (MINIMAL.replace("{url: http://127.0.0.1:8081/fhir}", "{url: http://u/fhir, auth: {type: bearer}}"),
         "proxy.yaml:2: upstream.auth: needs exactly one of token, token_env"),
        (MINIMAL.replace("{url: http://127.0.0.1:8081/fhir}", "{url: http://u/fhir, auth: {type: kerberos}}"),
         "proxy.yaml:2: upstream.auth: type must be one of none, bearer, basic"),
        (MINIMAL.replace("{url: http://127.0.0.1:8081/fhir}",
                         "{url: http://u/fhir, auth: {type: basic, username: u, password: p, verify: false}}"),
         "proxy.yaml:2: upstream.auth: unknown key verify"),
        (MINIMAL + "identity: {}\n", "proxy.yaml:5: identity: {} should be non-empty"),
        (MINIMAL + "policy:\n  shared_types: [Practitioner, Observation]\n",
         "proxy.yaml:6: policy.shared_types.1: 'Observation' is confined to the patient in "
         "context, it cannot be shared"),
        (MINIMAL + "policy:\n  shared_types:\n    - Organization\n    - Device\n",
         "proxy.yaml:8: policy.shared_types.1: 'Device' is confined to the patient in context"),
        (MINIMAL + "policy: {shared_types: [Binary]}\n",
         "proxy.yaml:5: policy.shared_types.0: 'Binary' is never shown as shared data"),
        (MINIMAL + "policy: {shared_types: [Group]}\n",
         "proxy.yaml:5: policy.shared_types.0: 'Group' is"),
        (MINIMAL + "policy: {shared_types: [practitioner]}\n",
         "proxy.yaml:5: policy.shared_types.0: 'practitioner' does not match"),
        (MINIMAL + "policy: {shared: []}\n", "proxy.yaml:5: policy: unknown key shared"),
        ("public_url: [unclosed\n", "proxy.yaml:2: YAML syntax error: while parsing a flow sequence"),
        ("- just\n- a list\n", "proxy.yaml:1: (top level): ['just', 'a list'] is not of type 'object'"),
    ],
)
def test_errors_name_file_line_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert any(problem.startswith(f"{tmp_path}/{message}") for problem in caught.value.problems), (
        caught.value.problems
    )


def test_all_errors_are_reported_in_line_order(tmp_path: Path) -> None:
    path = write(tmp_path, "public_url: 7\nupstream: {url: http://u/fhir, timeout_s: -1}\napps: a\nstate: memory\nextra: 1\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    lines = [int(p.split(":")[1]) for p in caught.value.problems]
    assert lines == [1, 2, 5]
    assert str(caught.value).startswith("invalid configuration:\n  ")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yaml")
    assert caught.value.problems == [f"{tmp_path}/nope.yaml:0: file not found"]


def test_unset_secret_variable_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, VALID), environ={"OIDC_SECRET": "x"})
    assert caught.value.problems == [
        f"{tmp_path}/proxy.yaml:7: upstream.auth.password_env: variable UPSTREAM_PASSWORD is not set"
    ]
