"""deploy.sh names the cluster a deploy goes to, read from the kubeconfig as the Kubernetes provider reads it, and
refuses a stack bound to another context than the current one."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from components.settings import PROJECT_DIR
from tools.kube_context import WrongContextError, check, describe, kubeconfig_paths, main, merged, stack_context

CONFIG = {
    "current-context": "kind-dev",
    "contexts": [
        {"name": "kind-dev", "context": {"cluster": "kind", "user": "me"}},
        {"name": "prod", "context": {"cluster": "managed", "user": "deployer"}},
    ],
    "clusters": [
        {"name": "kind", "cluster": {"server": "https://127.0.0.1:6443"}},
        {"name": "managed", "cluster": {"server": "https://203.0.113.5"}},
    ],
}


def test_should_describe_the_current_context_and_its_server() -> None:
    assert describe(CONFIG) == "kind-dev (cluster kind at https://127.0.0.1:6443)"


def test_should_describe_the_stacks_own_context_when_it_names_one() -> None:
    assert describe(CONFIG, "prod") == "prod (cluster managed at https://203.0.113.5)"


@pytest.mark.parametrize(
    ("config", "context", "described"),
    [({}, None, "(no current context)"), (CONFIG, "staging", "staging (not in the kubeconfig)")],
)
def test_should_say_when_there_is_no_such_context(config: dict[str, object], context: str | None, described: str) -> None:
    assert describe(config, context) == described


def test_should_merge_kubeconfig_files_first_one_winning(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    first.write_text(yaml.safe_dump({"contexts": CONFIG["contexts"][:1], "clusters": CONFIG["clusters"][:1]}))
    second.write_text(yaml.safe_dump(CONFIG))
    paths = kubeconfig_paths({"KUBECONFIG": f"{first}:{tmp_path / 'missing'}:{second}", "HOME": "/nowhere"})
    assert paths == [first, tmp_path / "missing", second]
    assert merged(paths) == CONFIG


def test_should_read_the_home_kubeconfig_without_kubeconfig_set(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".kube").mkdir()
    (tmp_path / ".kube" / "config").write_text(yaml.safe_dump(CONFIG))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["--stack", "dev"]) == 0
    assert capsys.readouterr().out == "kind-dev (cluster kind at https://127.0.0.1:6443)\n"


def test_should_deploy_an_unbound_stack_to_the_current_context() -> None:
    assert check(CONFIG, "dev", None) == "kind-dev (cluster kind at https://127.0.0.1:6443)"


def test_should_deploy_a_bound_stack_while_its_context_is_current() -> None:
    assert check({**CONFIG, "current-context": "prod"}, "prod", "prod") == "prod (cluster managed at https://203.0.113.5)"


@pytest.mark.parametrize(
    ("bound", "reason"),
    [
        pytest.param(
            "prod",
            "stack prod is bound to kube context 'prod', but the current context is 'kind-dev': run "
            "`kubectl config use-context prod` and deploy again, so that kubectl and the deploy see one cluster",
            id="another context is current",
        ),
        pytest.param(
            "managed-prod",
            "stack prod is bound to kube context 'managed-prod', which is not in the kubeconfig (KUBECONFIG, else "
            "~/.kube/config): add that context, or correct kubernetes:context in Pulumi.prod.yaml",
            id="not in the kubeconfig",
        ),
        pytest.param(
            "REPLACE-with-your-prod-kube-context",
            "stack prod is bound to the placeholder context 'REPLACE-with-your-prod-kube-context': set "
            "kubernetes:context in Pulumi.prod.yaml to the name `kubectl config get-contexts` shows for its cluster",
            id="the shipped placeholder",
        ),
    ],
)
def test_should_refuse_a_stack_bound_to_another_context(bound: str, reason: str) -> None:
    with pytest.raises(WrongContextError) as refused:
        check(CONFIG, "prod", bound)
    assert str(refused.value) == reason


def test_should_read_the_context_a_stack_file_binds_to(tmp_path: Path) -> None:
    (tmp_path / "Pulumi.ops.yaml").write_text("config:\n  kubernetes:context: ops-cluster\n  airflow:workerReplicas: 2\n")
    (tmp_path / "Pulumi.local.yaml").write_text("config:\n  airflow:workerReplicas: 2\n")
    assert stack_context("ops", tmp_path) == "ops-cluster"
    assert stack_context("local", tmp_path) is None
    assert stack_context("new", tmp_path) is None, "a stack deploy.sh is about to create has no file yet"
    assert stack_context("prod") == "REPLACE-with-your-prod-kube-context"
    assert stack_context("dev") is None


def run_deploy(tmp_path: Path, stack: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """deploy.sh with a stand-in `pulumi` on PATH that records its command lines, and the CONFIG kubeconfig."""
    bin_dir, log = tmp_path / "bin", tmp_path / "pulumi.log"
    bin_dir.mkdir()
    (bin_dir / "pulumi").write_text(f'#!/bin/sh\necho "$*" >> {log}\n')
    (bin_dir / "pulumi").chmod(0o755)
    (tmp_path / "kubeconfig").write_text(yaml.safe_dump(CONFIG))
    environ = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "KUBECONFIG": str(tmp_path / "kubeconfig")}
    result = subprocess.run([str(PROJECT_DIR / "deploy.sh"), stack, "--yes"], env=environ, capture_output=True, text=True,
                            timeout=60, check=False)  # fmt: skip
    return result, log.read_text().splitlines() if log.exists() else []


def test_should_refuse_in_deploy_sh_before_the_stack_is_selected(tmp_path: Path) -> None:
    result, pulumi_calls = run_deploy(tmp_path, "prod")
    assert result.returncode == 1
    assert "deploy refused: stack prod is bound to the placeholder context" in result.stderr
    assert pulumi_calls == ["whoami", "install"], "neither `stack select --create` nor `up` may run"


def test_should_name_the_context_in_deploy_sh_and_pass_flags_to_pulumi_up(tmp_path: Path) -> None:
    result, pulumi_calls = run_deploy(tmp_path, "dev")
    assert result.returncode == 0, result.stderr
    assert "deploy.sh: stack dev -> kube context kind-dev (cluster kind at https://127.0.0.1:6443)" in result.stderr
    assert pulumi_calls == ["whoami", "install", "stack select --create dev", "up --stack dev --yes"]
