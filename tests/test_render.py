"""The offline render: three files a reviewer reads, with every object named and no secret in plain text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from components.settings import PROJECT_DIR, secret_keys
from tests.conftest import shared
from tools import harness, render
from tools.harness import reveal, run_stack

CLUSTER_SCOPED = {"Namespace", "ClusterIssuer", "ClusterRole", "ClusterRoleBinding", "IngressClass", "StorageClass"}
STACKS = sorted(p.name.split(".")[1] for p in PROJECT_DIR.glob("Pulumi.*.yaml"))


@pytest.fixture(scope=shared("module"))
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("render")
    assert render.main(["--stack", "dev", "--out", str(out)]) == 0
    return out


def test_should_write_the_three_files(rendered: Path) -> None:
    assert sorted(p.name for p in rendered.iterdir()) == ["helm-releases.yaml", "manifests.yaml", "resources.json"]


def test_should_name_every_object_and_its_namespace(rendered: Path) -> None:
    objects = list(yaml.safe_load_all((rendered / "manifests.yaml").read_text()))
    assert objects
    for obj in objects:
        where = f"{obj.get('kind')}/{obj.get('metadata', {}).get('name')}"
        assert obj["apiVersion"], where
        assert obj["kind"], where
        assert obj["metadata"]["name"], where
        if obj["kind"] not in CLUSTER_SCOPED:
            assert obj["metadata"]["namespace"], where


def test_should_render_the_workloads_of_airflow(rendered: Path) -> None:
    objects = {(o["kind"], o["metadata"]["name"]) for o in yaml.safe_load_all((rendered / "manifests.yaml").read_text())}
    for expected in [
        ("Deployment", "airflow-api-server"),
        ("Deployment", "airflow-scheduler"),
        ("Deployment", "airflow-dag-processor"),
        ("Deployment", "airflow-triggerer"),
        ("StatefulSet", "airflow-worker"),
        ("StatefulSet", "airflow-postgresql"),
        ("Deployment", "airflow-redis"),
    ]:
        assert expected in objects, expected
    assert any(kind == "Job" and name.startswith("airflow-db-migrate-") for kind, name in objects)


def test_should_write_no_secret_value_in_plain_text(rendered: Path) -> None:
    capture = run_stack("dev")
    secret_values: set[str] = set()
    for registration in capture.registrations:
        string_data = registration.inputs.get("stringData")
        if string_data is not None:
            secret_values.update(v for v in reveal(string_data).values() if len(v) >= 8)
    secret_values.update(str(capture.outputs[key]) for key in capture.secret_outputs)
    assert secret_values
    text = "".join(p.read_text() for p in rendered.iterdir())
    leaked = [value for value in secret_values if value in text]
    assert not leaked, f"{len(leaked)} secret values appear in the render"


def test_should_list_every_resource_with_parent_dependencies_and_secret_inputs(rendered: Path) -> None:
    entries = json.loads((rendered / "resources.json").read_text())
    by_name = {e["name"]: e for e in entries}
    assert set(entries[0]) == {"type", "name", "parent", "dependsOn", "secretInputs"}
    assert by_name["airflow-secrets"]["secretInputs"] == ["stringData"]
    assert by_name["airflow-secrets"]["parent"] == "airflow"
    assert "postgres-service" in by_name["airflow-secrets"]["dependsOn"]


def test_should_fail_with_the_settings_message_on_bad_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(harness, "PROJECT_DIR", tmp_path)
    (tmp_path / "Pulumi.bad.yaml").write_text("config:\n  airflow:workerReplicas: two\n")
    assert render.main(["--stack", "bad", "--out", str(tmp_path / "out")]) == 1
    assert "airflow:workerReplicas = 'two': must be a whole number from 1 to 100" in capsys.readouterr().err


@pytest.mark.parametrize("stack", STACKS)
def test_should_render_every_stack_file_in_the_repo(stack: str, tmp_path: Path) -> None:
    assert render.main(["--stack", stack, "--out", str(tmp_path)]) == 0, stack


def test_should_have_a_valid_stand_in_for_every_secret_key() -> None:
    """A `secure:` value the render cannot decrypt is replaced; a generic stand-in would fail a key's validation."""
    assert secret_keys() <= set(harness.RENDER_PLACEHOLDERS), secret_keys() - set(harness.RENDER_PLACEHOLDERS)


def test_should_render_a_stack_whose_secrets_are_encrypted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harness, "PROJECT_DIR", tmp_path)
    (tmp_path / "Pulumi.kept.yaml").write_text(
        "config:\n"
        "  airflow:fernetKey:\n    secure: v1:abc\n"
        "  airflow:postgresPassword:\n    secure: v1:def\n"
    )
    assert render.main(["--stack", "kept", "--out", str(tmp_path / "out")]) == 0
