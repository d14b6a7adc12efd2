"""Stack files: accepted by the Pulumi CLI's own config validation, only declared keys, only what differs from
Pulumi.yaml's defaults, secrets only encrypted."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.settings import PROJECT_DIR, config_schema, project_file, secret_keys

STACK_FILES = sorted(PROJECT_DIR.glob("Pulumi.*.yaml"))


def cli_config_errors(project: dict[str, Any], stack: str, config: dict[str, Any]) -> list[str]:
    """What `pulumi preview` says of a stack's config before the program starts: the rules of the CLI's
    ValidateStackConfigAndApplyProjectConfig (pkg/workspace/config.go, v3.274.1), with its messages. A declared key
    without a default must be set; a `secret: true` key must be `secure:`; a value must parse as its declared type
    (the CLI sees a scalar as its text, a `secure:` one as its decrypted text, which this check cannot read)."""
    name = project["name"]
    declared: dict[str, Any] = project.get("config") or {}
    missing = sorted(
        key for key, schema in declared.items()
        if ":" not in key and "default" not in schema and "value" not in schema and f"{name}:{key}" not in config
    )
    if missing:
        quoted = [f"'{key}'" for key in missing]
        listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
        return [f"Stack '{stack}' is missing configuration value{'s' if len(missing) > 1 else ''} {listed}"]
    errors = []
    for key, schema in sorted(declared.items()):
        value = config.get(key if ":" in key else f"{name}:{key}")
        if value is None:
            continue
        secure = isinstance(value, dict) and set(value) == {"secure"}
        if schema.get("secret") and not secure:
            errors.append(f"Stack '{stack}' with configuration key '{key}' must be encrypted as it's secret")
        elif "type" in schema and not secure and not cli_accepts_type(schema["type"], value):
            errors.append(f"Stack '{stack}' with configuration key '{key}' must be of type '{schema.get('type')}'")
    return errors


def cli_accepts_type(type_name: str, value: Any) -> bool:
    if type_name in ("object", "array"):
        # An object value reaches the check as JSON, parsed back into a map or a list.
        return isinstance(json.loads(json.dumps(value)), dict if type_name == "object" else list)
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if type_name == "integer":
        return text.lstrip("+-").isdigit()
    if type_name == "boolean":
        return text in ("true", "false")
    return not isinstance(value, (dict, list))


def stack_config(path: Path) -> dict[str, Any]:
    config: dict[str, Any] = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    return config


def test_should_find_every_committed_stack_file() -> None:
    assert [p.name for p in STACK_FILES] == ["Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml"]


@pytest.mark.parametrize("path", STACK_FILES, ids=[p.name for p in STACK_FILES])
def test_should_pass_the_cli_config_validation(path: Path) -> None:
    stack = path.name.split(".")[1]
    assert cli_config_errors(project_file(), stack, stack_config(path)) == [], path.name


def test_should_pass_the_cli_config_validation_for_a_new_stack_with_no_config() -> None:
    """`pulumi stack init x && pulumi preview`: the README's quick start sets nothing before its first preview."""
    assert cli_config_errors(project_file(), "new", {}) == []


@pytest.mark.parametrize(
    ("declared", "config", "error"),
    [
        (
            {"token": {"type": "string", "secret": True}, "url": {"type": "string"}},
            {},
            "Stack 'x' is missing configuration values 'token' and 'url'",
        ),
        ({"token": {"type": "string", "secret": True}}, {"p:token": "plain"},
         "Stack 'x' with configuration key 'token' must be encrypted as it's secret"),
        ({"replicas": {"type": "integer", "default": 1}}, {"p:replicas": "two"},
         "Stack 'x' with configuration key 'replicas' must be of type 'integer'"),
        ({"on": {"type": "boolean", "default": False}}, {"p:on": "yes"},
         "Stack 'x' with configuration key 'on' must be of type 'boolean'"),
    ],
)
def test_should_apply_the_cli_rules_that_refused_the_stacks_before(
    declared: dict[str, Any], config: dict[str, Any], error: str
) -> None:
    assert cli_config_errors({"name": "p", "config": declared}, "x", config) == [error]


# Provider settings a stack file may hold beside the project's keys: the cluster a remote stack is bound to.
PROVIDER_KEYS = {"kubernetes:context"}


def project_keys(path: Path) -> dict[str, Any]:
    return {key: value for key, value in stack_config(path).items() if key not in PROVIDER_KEYS}


@pytest.mark.parametrize("path", STACK_FILES, ids=[p.name for p in STACK_FILES])
def test_should_set_only_declared_keys_of_this_project(path: Path) -> None:
    for key in project_keys(path):
        project, _, name = key.partition(":")
        assert project == "airflow", f"{path.name}: {key}"
        assert name in config_schema(), f"{path.name}: {key}"


@pytest.mark.parametrize("path", STACK_FILES, ids=[p.name for p in STACK_FILES])
def test_should_hold_only_what_differs_from_the_defaults(path: Path) -> None:
    for key, value in project_keys(path).items():
        declared = config_schema()[key.partition(":")[2]]
        assert "default" not in declared or value != declared["default"], f"{path.name}: {key} restates its default"


@pytest.mark.parametrize("path", STACK_FILES, ids=[p.name for p in STACK_FILES])
def test_should_hold_secrets_only_as_secure_values(path: Path) -> None:
    for key, value in stack_config(path).items():
        if key.partition(":")[2] in secret_keys():
            assert isinstance(value, dict), f"{path.name}: {key} is not encrypted"
            assert set(value) == {"secure"}, f"{path.name}: {key} is not encrypted"


def test_should_ship_a_local_dev_and_the_seed_cloud_set_up() -> None:
    dev = stack_config(PROJECT_DIR / "Pulumi.dev.yaml")
    prod = stack_config(PROJECT_DIR / "Pulumi.prod.yaml")
    assert "airflow:issuerKind" not in dev, "dev uses the default self-signed issuer"
    assert "airflow:domain" not in dev, "dev derives its host from the load balancer IP"
    assert prod["airflow:issuerKind"] == "letsencrypt-production"
    assert prod["airflow:workerLogsStorageClass"] == prod["airflow:postgresStorageClass"] == "yc-network-hdd"
    assert prod["airflow:gitSyncRepository"].startswith("git@")


def test_should_bind_the_remote_stacks_to_a_kube_context_and_leave_dev_on_the_current_one() -> None:
    """Staging and prod name their cluster's context, shipped as a placeholder deploy.sh refuses until it is replaced;
    dev follows whatever local cluster is current."""
    for stack in ("staging", "prod"):
        bound = stack_config(PROJECT_DIR / f"Pulumi.{stack}.yaml")["kubernetes:context"]
        assert bound == f"REPLACE-with-your-{stack}-kube-context"
    assert "kubernetes:context" not in stack_config(PROJECT_DIR / "Pulumi.dev.yaml")
