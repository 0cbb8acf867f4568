"""Configuration from the environment (SPEC §2)."""

from __future__ import annotations

import pytest

from ivr.config import ConfigError, from_environment, parse_settings


@pytest.fixture
def clean_env(monkeypatch):
    for name in (
        "IVR_PIN_PEPPER",
        "IVR_SECRET_KEY",
        "TWILIO_AUTH_TOKEN",
        "IVR_BCRYPT_ROUNDS",
        "IVR_DATABASE_URL",
        "IVR_TRUST_CALLER_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_secrets_are_required_outside_development(clean_env, tmp_path):
    with pytest.raises(ConfigError, match="IVR_SECRET_KEY and IVR_PIN_PEPPER"):
        from_environment(tmp_path)


def test_development_secrets_never_override_the_environment(clean_env, tmp_path):
    (tmp_path / "development.env").write_text(
        "IVR_PIN_PEPPER=dev-pepper\nIVR_SECRET_KEY=dev-key\nTWILIO_AUTH_TOKEN=dev-token\n"
    )
    clean_env.setenv("IVR_PIN_PEPPER", "real-pepper")
    settings = from_environment(tmp_path)
    assert settings["IVR_PIN_PEPPER"] == "real-pepper"
    assert settings["IVR_SECRET_KEY"] == "dev-key"
    assert settings["TWILIO_AUTH_TOKEN"] == "dev-token"
    assert settings["IVR_DEVELOPMENT"] is True


def test_defaults_and_types(clean_env):
    settings = parse_settings({"IVR_BCRYPT_ROUNDS": "10", "IVR_LOCKOUT_SECONDS": "900"})
    assert settings["IVR_BCRYPT_ROUNDS"] == 10
    assert settings["IVR_LOCKOUT_SECONDS"] == 900
    assert settings["IVR_DEFAULT_LANGUAGE"] == "en"
    assert settings["IVR_DEFAULT_REGION"] == "FR"
    assert settings["IVR_TRUST_CALLER_ID"] == "always"
    assert settings["IVR_TEMP_PIN_SECONDS"] == 7200


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IVR_BCRYPT_ROUNDS", "2"),
        ("IVR_BCRYPT_ROUNDS", "many"),
        ("IVR_DEFAULT_LANGUAGE", "es"),
        ("IVR_TRUST_CALLER_ID", "never"),
        ("IVR_LOCKOUT_SECONDS", "-1"),
    ],
)
def test_bad_values_are_named(name, value):
    with pytest.raises(ConfigError, match=name):
        parse_settings({name: value})
