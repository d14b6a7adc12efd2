"""Stack files: only declared keys, only what differs from Pulumi.yaml's defaults, secrets only encrypted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from components.settings import config_schema

STACK_FILES = sorted(Path(".").glob("Pulumi.*.yaml"))


def stack_config(path: Path) -> dict[str, Any]:
    config: dict[str, Any] = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    return config


@pytest.mark.parametrize("path", STACK_FILES, ids=[p.name for p in STACK_FILES])
def test_should_set_only_declared_keys_of_this_project(path: Path) -> None:
    for key in stack_config(path):
        project, _, name = key.partition(":")
        assert project == "airflow", f"{path.name}: {key}"
        assert name in config_schema(), f"{path.name}: {key}"


@pytest.mark.parametrize("path", STACK_FILES, ids=[p.name for p in STACK_FILES])
def test_should_hold_only_what_differs_from_the_defaults(path: Path) -> None:
    for key, value in stack_config(path).items():
        declared = config_schema()[key.partition(":")[2]]
        assert "default" not in declared or value != declared["default"], f"{path.name}: {key} restates its default"


@pytest.mark.parametrize("path", STACK_FILES, ids=[p.name for p in STACK_FILES])
def test_should_hold_secrets_only_as_secure_values(path: Path) -> None:
    for key, value in stack_config(path).items():
        if config_schema()[key.partition(":")[2]].get("secret"):
            assert isinstance(value, dict), f"{path.name}: {key} is not encrypted"
            assert set(value) == {"secure"}, f"{path.name}: {key} is not encrypted"


def test_should_ship_a_local_dev_and_the_seed_cloud_set_up() -> None:
    dev = stack_config(Path("Pulumi.dev.yaml"))
    prod = stack_config(Path("Pulumi.prod.yaml"))
    assert "airflow:issuerKind" not in dev, "dev uses the default self-signed issuer"
    assert "airflow:domain" not in dev, "dev derives its host from the load balancer IP"
    assert prod["airflow:issuerKind"] == "letsencrypt-production"
    assert prod["airflow:workerLogsStorageClass"] == prod["airflow:postgresStorageClass"] == "yc-network-hdd"
    assert prod["airflow:gitSyncRepository"].startswith("git@")
