"""The real Pulumi CLI, isolated in a temporary directory: its own PULUMI_HOME, a local file backend,
a passphrase secrets provider, the plugins built into the toolchain cache as ambient plugins on PATH, and
language_host.py standing in for the Python language host."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml

PASSPHRASE = "airflow-e2e"
# Generous for a first `pulumi up` on two shared cores (plugin start, Python start, a few dozen objects).
COMMAND_TIMEOUT_S = 900

# What a staged copy of the project leaves out: hidden entries (version control, virtualenvs, caches,
# CI), the test tiers and tooling, and any committed stack file, since the e2e stack's configuration
# is written by the test.
NOT_PROJECT = shutil.ignore_patterns(
    ".*", "__pycache__", "node_modules", "e2e", "tests", "tools", "bench", "render", "Pulumi.*.yaml")


def stage_project(source: Path, dest: Path, virtualenv: Path) -> Path:
    """Copies the program to dest so the run writes nothing into the working tree; the virtualenv is
    linked, not copied, so the program runs with exactly the packages the unit tiers use."""
    shutil.copytree(source, dest, ignore=NOT_PROJECT)
    (dest / ".venv").symlink_to(virtualenv)
    return dest


def install_language_host(directory: Path, virtualenv: Path) -> Path:
    """Puts `pulumi-language-python` in directory: language_host.py on the project's interpreter. `exec` keeps the
    CLI its parent, which language_host.py watches."""
    directory.mkdir(parents=True, exist_ok=True)
    host = directory / "pulumi-language-python"
    stand_in = Path(__file__).with_name("language_host.py")
    host.write_text(f"#!/bin/sh\nexec '{virtualenv / 'bin' / 'python'}' '{stand_in}' \"$@\"\n")
    host.chmod(0o755)
    return directory


@dataclass
class Pulumi:
    bin_dir: Path
    language_host_dir: Path
    home: Path
    project_dir: Path
    kubeconfig: Path
    stack: str = "e2e"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               # The harness runs in its own virtualenv; the program must not inherit it.
               if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
        env.update(
            # The resource plugins are not the versions the SDKs ask for (versions.env says why): found on PATH,
            # the engine uses them whatever their version, and warns.
            PATH=os.pathsep.join([str(self.language_host_dir), str(self.bin_dir), env.get("PATH", "")]),
            PULUMI_HOME=str(self.home),
            PULUMI_CONFIG_PASSPHRASE=PASSPHRASE,
            # Every plugin comes from the toolchain cache; a download attempt would be a failure.
            PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION="true",
            PULUMI_SKIP_UPDATE_CHECK="true",
            PULUMI_SKIP_CONFIRMATIONS="true",
            KUBECONFIG=str(self.kubeconfig),
        )
        return env

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(self.bin_dir / "pulumi"), *args, "--non-interactive"],
            cwd=self.project_dir, env=self.env(), capture_output=True, text=True,
            timeout=COMMAND_TIMEOUT_S, stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            raise AssertionError(
                f"pulumi {' '.join(args)} exited {result.returncode}\n"
                f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}")
        return result

    def setup(self) -> None:
        """Logs in to a file backend under home and creates the stack."""
        state = self.home / "state"
        state.mkdir(parents=True)
        self.run("login", f"file://{state}")
        self.run("stack", "init", self.stack, "--secrets-provider", "passphrase")

    @property
    def stack_file(self) -> Path:
        return self.project_dir / f"Pulumi.{self.stack}.yaml"

    def set_config(self, values: dict[str, object]) -> None:
        """Writes typed values into the stack file (a YAML bool stays a bool, an int an int, as the
        project's config schema expects), keyed by the project's own name."""
        project = yaml.safe_load((self.project_dir / "Pulumi.yaml").read_text())["name"]
        doc = yaml.safe_load(self.stack_file.read_text()) or {}
        doc.setdefault("config", {}).update({f"{project}:{k}": v for k, v in values.items()})
        self.stack_file.write_text(yaml.safe_dump(doc, sort_keys=False))

    def up(self) -> None:
        self.run("up", "--yes", "--skip-preview")

    def preview_steps(self) -> list[dict]:
        """The steps of a preview, as `pulumi preview --json` reports them."""
        return json.loads(self.run("preview", "--json").stdout).get("steps", [])

    def export(self) -> list[dict]:
        """The resources in the stack's state, secrets in plain text."""
        out = self.run("stack", "export", "--show-secrets").stdout
        return json.loads(out)["deployment"].get("resources", [])

    def outputs(self) -> dict:
        return json.loads(self.run("stack", "output", "--json", "--show-secrets").stdout)
