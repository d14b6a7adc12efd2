"""Shared fixtures: the program run under Pulumi's mocks, once per configuration."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import pytest

from components.settings import ConfigReader, SettingsError, read_settings
from tools.harness import DEFAULT_LB_ADDRESS, Capture, run_program

Run = Callable[..., Capture]


def config_of(**values: object) -> dict[str, str]:
    """Stack config as the CLI passes it: `airflow:<key>` to text (booleans lower-case)."""
    return {f"airflow:{key}": str(value).lower() if isinstance(value, bool) else str(value) for key, value in values.items()}


def settings_problems(config: Mapping[str, str], secret_keys: Iterable[str] = ()) -> list[str]:
    """What read_settings reports for this stack config (`airflow:<key>` to text); `secret_keys` are stored encrypted.
    Fails the test when the config is valid."""
    encrypted = set(secret_keys)
    with pytest.raises(SettingsError) as caught:
        read_settings(ConfigReader(raw=config.get, is_secret=lambda key: key in encrypted), "test")
    return caught.value.problems


@pytest.fixture(scope="session")
def default_run() -> Capture:
    """The program with Pulumi.yaml's defaults only; read-only, shared by the tests that inspect it."""
    return run_program()


@pytest.fixture
def run() -> Run:
    """Runs the program with `key=value` settings (and `secrets={key: value}` for encrypted ones)."""

    def runner(secrets: dict[str, str] | None = None, lb_address: str | None = None, **values: object) -> Capture:
        config = config_of(**values)
        secret_config = config_of(**(secrets or {}))
        return run_program(
            {**config, **secret_config}, list(secret_config), lb_address=DEFAULT_LB_ADDRESS if lb_address is None else lb_address
        )

    return runner
