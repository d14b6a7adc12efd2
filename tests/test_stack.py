"""The stack as a whole: test-only switches and how components are wired."""

from __future__ import annotations

from tests.conftest import Run
from tools.harness import Capture, run_program, stack_config

SKIP_AWAIT = "pulumi.com/skipAwait"


def test_should_mark_every_kubernetes_object_skip_await_when_asked(run: Run) -> None:
    objects = run(skipAwait=True).kubernetes_objects()
    assert objects
    for registration in objects:
        annotations = registration.plain_inputs["metadata"].get("annotations") or {}
        assert annotations.get(SKIP_AWAIT) == "true", registration.name


def test_should_wait_for_readiness_by_default(default_run: Capture) -> None:
    waiting = [
        r.name
        for r in default_run.kubernetes_objects()
        if (r.plain_inputs["metadata"].get("annotations") or {}).get(SKIP_AWAIT) != "true"
    ]
    # Only the database's and the backups' claims skip their wait: each binds after its pod is scheduled
    # (WaitForFirstConsumer), and the backups' pod first runs at the next schedule.
    assert "airflow-api-server" in waiting
    skipping = [r.name for r in default_run.kubernetes_objects() if r.name not in waiting]
    assert skipping == ["postgres-data", "database-backup-volume"]


def test_should_register_in_a_preview_every_resource_an_update_creates() -> None:
    """No resource may hide inside an `.apply`: the pull-request preview must list every object the update makes."""
    config, secret_keys = stack_config("staging")

    def resources(preview: bool) -> set[tuple[str, str]]:
        capture = run_program(config, secret_keys, stack="staging", preview=preview)
        return {(r.type, r.name) for r in capture.registrations}

    previewed, updated = resources(preview=True), resources(preview=False)
    assert len(updated) > 50
    assert previewed == updated, {"only in update": updated - previewed, "only in preview": previewed - updated}
