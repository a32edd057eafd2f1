""".env.example lists every setting of every service, and its secret placeholders are refused outside development."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from pydantic import AliasChoices, ValidationError
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = {
    "auth_service.settings": "AuthSettings",
    "catalog_service.settings": "CatalogSettings",
    "inventory_service.settings": "InventorySettings",
    "analytics_service.settings": "AnalyticsSettings",
    "moysklad_connector.settings": "ConnectorSettings",
    "bitrix24_connector.settings": "ConnectorSettings",
    "gateway_service.settings": "GatewaySettings",
}


def settings_class(module: str) -> type[BaseSettings]:
    return getattr(importlib.import_module(module), SETTINGS[module])  # type: ignore[no-any-return]


def env_names(cls: type[BaseSettings]) -> list[list[str]]:
    """For each field, the environment names that set it."""
    prefix = cls.model_config.get("env_prefix", "")
    found = []
    for name, field in cls.model_fields.items():
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            found.append([str(choice) for choice in alias.choices])
        else:
            found.append([str(alias) if alias else f"{prefix}{name}".upper()])
    return found


def example_values() -> dict[str, str]:
    """Every ``NAME=value`` in .env.example, commented-out (optional) ones included."""
    text = (ROOT / ".env.example").read_text()
    return dict(re.findall(r"(?m)^#? ?([A-Z][A-Z0-9_]+)=(.*)$", text))


@pytest.mark.parametrize("module", SETTINGS)
def test_every_setting_is_listed(module: str) -> None:
    listed = example_values()
    missing = [names[0] for names in env_names(settings_class(module)) if not set(names) & set(listed)]
    assert not missing, f".env.example lacks {missing}"


@pytest.mark.parametrize("module", SETTINGS)
def test_the_example_is_accepted_in_development(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in _active_values().items():
        monkeypatch.setenv(name, value)
    settings_class(module)(_env_file=None)  # type: ignore[call-arg]


@pytest.mark.parametrize("module", SETTINGS)
def test_the_example_secrets_are_refused_in_production(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in _active_values().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match=r"SECRET_KEY|AUTH_ADMIN_PASSWORD"):
        settings_class(module)(_env_file=None)  # type: ignore[call-arg]


def test_the_admin_password_placeholder_alone_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "a-real-secret-of-sufficient-length-0123456789")
    monkeypatch.setenv("AUTH_ADMIN_PASSWORD", example_values()["AUTH_ADMIN_PASSWORD"])
    with pytest.raises(ValidationError, match="AUTH_ADMIN_PASSWORD"):
        settings_class("auth_service.settings")(_env_file=None)  # type: ignore[call-arg]


def _active_values() -> dict[str, str]:
    text = (ROOT / ".env.example").read_text()
    return dict(re.findall(r"(?m)^([A-Z][A-Z0-9_]+)=(.*)$", text))
