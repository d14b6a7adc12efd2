"""deploy.sh names the cluster a deploy goes to, read from the kubeconfig as the Kubernetes provider reads it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tools.kube_context import describe, kubeconfig_paths, main, merged

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
    assert main([""]) == 0
    assert capsys.readouterr().out == "kind-dev (cluster kind at https://127.0.0.1:6443)\n"
