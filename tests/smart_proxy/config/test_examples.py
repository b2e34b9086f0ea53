"""The configuration examples shipped in the repository stay valid."""

from __future__ import annotations

from pathlib import Path

from smart_proxy.config import load_config

ROOT = Path(__file__).resolve().parents[3]


def test_deploy_example_validates() -> None:
    config = load_config(
        ROOT / "deploy" / "proxy.example.yaml",
        environ={"UPSTREAM_FHIR_TOKEN": "t", "PORTAL_OIDC_CLIENT_SECRET": "s"},
    )
    assert str(config.fhir_base) == "https://fhir-apps.example.org/fhir"
    assert config.upstream.auth.authorization_header() == "Bearer t"
    assert config.apps == (ROOT / "deploy" / "../smart_proxy/demo/apps.yaml")
