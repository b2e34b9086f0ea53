"""Configuration: one YAML file, validated against a JSON Schema at start-up."""

from .loader import ConfigError, load_config
from .model import Config, Limits, Secret, UpstreamAuth, UpstreamConfig

__all__ = ["Config", "ConfigError", "Limits", "Secret", "UpstreamAuth", "UpstreamConfig", "load_config"]
