"""Shared fixtures: the program run under Pulumi's mocks, once per configuration."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Literal

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
        read_settings(ConfigReader(raw=config.get, is_secret=lambda key: key in encrypted))
    return caught.value.problems


ScopeName = Literal["session", "package", "module", "class", "function"]


def shared(scope: ScopeName) -> Callable[[str, pytest.Config], ScopeName]:
    """A fixture scope for a program run that tests share, except while mutmut collects which tests call which function
    (`make mutate`): mutmut credits the calls made in a fixture to the one test that first asked for it, so a mutant
    that only a later test catches would be tried against the wrong tests and survive. Then each test runs the program
    itself; the mutants are tried with the shared run again."""

    def scope_now(fixture_name: str, config: pytest.Config) -> ScopeName:
        return "function" if os.environ.get("MUTANT_UNDER_TEST") == "stats" else scope

    return scope_now


@pytest.fixture(autouse=True)
def an_event_loop_for_outputs() -> None:
    """Reading a secret setting makes a pulumi Output, which needs the thread's event loop; a test that called
    asyncio.run before leaves none set. Whether one did depends on the order, which mutmut's per-test runs change."""
    try:
        asyncio.get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())


@pytest.fixture(scope=shared("session"))
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


def fail_a_skip_where_every_tier_must_run(report: pytest.TestReport) -> None:
    """Where every tier must run (.ci/run sets AIRFLOW_REQUIRE_TIERS), a skipped test fails, with its reason: a
    missing scanner must not pass CI silently. A developer's run may skip, and says why."""
    if report.skipped and os.environ.get("AIRFLOW_REQUIRE_TIERS") and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped where every tier must run (AIRFLOW_REQUIRE_TIERS): {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    fail_a_skip_where_every_tier_must_run(outcome.get_result())  # type: ignore[attr-defined]
