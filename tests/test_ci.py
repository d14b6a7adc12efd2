"""CI's own rules for the unit tier: where every tier must run, nothing may skip."""

from __future__ import annotations

import pytest

from tests.conftest import fail_a_skip_where_every_tier_must_run


def skipped_report() -> pytest.TestReport:
    return pytest.TestReport(
        "tests/test_checkov.py::test_x", ("tests/test_checkov.py", 1, "test_x"), {}, "skipped",
        ("tests/test_checkov.py", 22, "Skipped: .checkov-venv is missing"), "call",
    )  # fmt: skip


def test_should_fail_a_skipped_test_where_every_tier_must_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_REQUIRE_TIERS", "1")
    report = skipped_report()
    fail_a_skip_where_every_tier_must_run(report)
    assert (report.outcome, report.longrepr) == (
        "failed",
        "skipped where every tier must run (AIRFLOW_REQUIRE_TIERS): Skipped: .checkov-venv is missing",
    )


def test_should_let_a_developers_run_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_REQUIRE_TIERS", raising=False)
    report = skipped_report()
    fail_a_skip_where_every_tier_must_run(report)
    assert report.outcome == "skipped"
