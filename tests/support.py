"""Helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path

from yarl import URL

from smart_proxy.config import Config, Limits, UpstreamConfig
from smart_proxy.config.model import Secret, UpstreamAuth

DEMO_APPS = Path(__file__).resolve().parent.parent / "smart_proxy" / "demo" / "apps.yaml"
UPSTREAM_SECRET = "proxy-own-upstream-credential"


def make_config(upstream_url: str, **overrides: object) -> Config:
    upstream = UpstreamConfig(
        url=URL(upstream_url),
        timeout_s=float(overrides.pop("timeout_s", 10.0)),  # type: ignore[arg-type]
        connect_timeout_s=2.0,
        auth=UpstreamAuth("bearer", Secret(UPSTREAM_SECRET)),
    )
    values: dict[str, object] = {
        "public_url": URL("https://proxy.example.org"),
        "upstream": upstream,
        "apps": DEMO_APPS,
        "state": "memory",
        "limits": Limits(),
    }
    values.update(overrides)
    return Config(**values)  # type: ignore[arg-type]
