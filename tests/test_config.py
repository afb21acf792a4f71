"""Settings from ROADMAP_* variables: defaults, conversions, and errors that name the variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from roadmap_svc.config import ConfigError, Settings, load_settings


def test_defaults_without_any_variable() -> None:
    settings = load_settings(environ={})

    assert settings == Settings()
    assert settings.database_url is None
    assert settings.data_dir == ".roadmap"
    assert settings.data_path == Path(".roadmap")
    assert settings.admin_token is None
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.require_if_match is False
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.read_wait_seconds == 2.0
    assert settings.db_pool_size == 10
    assert settings.log_level == "INFO"


def test_variables_without_the_prefix_are_ignored() -> None:
    settings = load_settings(environ={"PORT": "1", "HOME": "/root", "XROADMAP_PORT": "2"})

    assert settings == Settings()


def test_every_setting_is_read_from_its_variable() -> None:
    settings = load_settings(
        environ={
            "ROADMAP_DATABASE_URL": "postgresql://app@db:5432/roadmap",
            "ROADMAP_DATA_DIR": "/var/lib/roadmap",
            "ROADMAP_ADMIN_TOKEN": "a" * 16,
            "ROADMAP_HOST": "10.0.0.5",
            "ROADMAP_PORT": "9000",
            "ROADMAP_REQUIRE_IF_MATCH": "true",
            "ROADMAP_MAX_BODY_BYTES": "2048",
            "ROADMAP_READ_WAIT_SECONDS": "0.5",
            "ROADMAP_DB_POOL_SIZE": "25",
            "ROADMAP_LOG_LEVEL": "DEBUG",
        }
    )

    assert settings == Settings(
        database_url="postgresql://app@db:5432/roadmap",
        data_dir="/var/lib/roadmap",
        admin_token="a" * 16,
        host="10.0.0.5",
        port=9000,
        require_if_match=True,
        max_body_bytes=2048,
        read_wait_seconds=0.5,
        db_pool_size=25,
        log_level="DEBUG",
    )
    assert settings.data_path == Path("/var/lib/roadmap")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("false", False), ("1", True), ("0", False)],
)
def test_booleans(text: str, expected: bool) -> None:
    assert load_settings(environ={"ROADMAP_REQUIRE_IF_MATCH": text}).require_if_match is expected


def test_a_word_that_is_not_a_boolean_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"ROADMAP_REQUIRE_IF_MATCH": "maybe"})

    assert "ROADMAP_REQUIRE_IF_MATCH" in str(caught.value)


@pytest.mark.parametrize("port", ["abc", "70000", "0", "-1", "65536", "80 80"])
def test_an_invalid_port_is_refused_naming_the_variable(port: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"ROADMAP_PORT": port})

    assert str(caught.value).startswith("ROADMAP_PORT: ")


@pytest.mark.parametrize("port", ["1", "65535"])
def test_ports_at_the_bounds_are_accepted(port: str) -> None:
    assert load_settings(environ={"ROADMAP_PORT": port}).port == int(port)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ROADMAP_MAX_BODY_BYTES", "1023"),
        ("ROADMAP_MAX_BODY_BYTES", str(64 * 1024 * 1024 + 1)),
        ("ROADMAP_READ_WAIT_SECONDS", "-0.1"),
        ("ROADMAP_READ_WAIT_SECONDS", "31"),
        ("ROADMAP_READ_WAIT_SECONDS", "soon"),
        ("ROADMAP_DB_POOL_SIZE", "0"),
        ("ROADMAP_DB_POOL_SIZE", "201"),
    ],
)
def test_values_out_of_range_are_refused_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={variable: value})

    assert str(caught.value).startswith(f"{variable}: ")


def test_an_unknown_variable_is_refused_naming_it() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"ROADMAP_PORT": "9000", "ROADMAP_FOO": "bar"})

    message = str(caught.value)
    assert "ROADMAP_FOO" in message
    assert "unknown setting" in message


def test_a_short_admin_token_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"ROADMAP_ADMIN_TOKEN": "a" * 15})

    assert str(caught.value).startswith("ROADMAP_ADMIN_TOKEN: ")
    assert "16" in str(caught.value)


def test_an_admin_token_of_sixteen_characters_is_accepted() -> None:
    assert load_settings(environ={"ROADMAP_ADMIN_TOKEN": "x" * 16}).admin_token == "x" * 16


def test_empty_values_are_ignored() -> None:
    settings = load_settings(
        environ={
            "ROADMAP_PORT": "",
            "ROADMAP_ADMIN_TOKEN": "",
            "ROADMAP_DATABASE_URL": "",
            "ROADMAP_FOO": "",
            "ROADMAP_HOST": "::1",
        }
    )

    assert settings == Settings(host="::1")


def test_the_process_environment_is_read_when_no_mapping_is_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [name for name in os.environ if name.startswith("ROADMAP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ROADMAP_PORT", "9123")

    assert load_settings().port == 9123


def test_settings_are_frozen() -> None:
    settings = load_settings(environ={})

    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]
