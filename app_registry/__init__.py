"""The app registry: which SMART apps may use this server, as EHR admins wrote them in YAML.

Pure after loading -- no aiohttp, redis, network or clock; time is passed in.
``load_registry(path)`` validates a YAML file or folder against
:data:`~app_registry.schema.APP_SCHEMA` and the cross-field rules, and either
returns an immutable :class:`Registry` or raises :class:`RegistryError` listing
every problem as ``file:line: key.path: message``.  :func:`vet` gives admins
advisory findings that, under 45 CFR 171, inform but never block.
"""

from app_registry.errors import Problem, RegistryError, format_path
from app_registry.loader import build_app, load_registry, load_registry_text
from app_registry.models import (
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
    RegisteredApp,
    TokenLifetimes,
)
from app_registry.registry import Registry
from app_registry.schema import APP_SCHEMA, REGISTRY_SCHEMA
from app_registry.vetting import Finding, Severity, vet

__all__ = [
    "APP_SCHEMA",
    "REGISTRY_SCHEMA",
    "AppStatus",
    "Attestation",
    "AttestationStatus",
    "Audience",
    "BulkExport",
    "ClientType",
    "Finding",
    "LaunchType",
    "LifecycleEvent",
    "Problem",
    "Publisher",
    "RateLimit",
    "RegisteredApp",
    "Registry",
    "RegistryError",
    "Severity",
    "TokenLifetimes",
    "build_app",
    "format_path",
    "load_registry",
    "load_registry_text",
    "vet",
]
