"""Third-party CustomResourceDefinitions the tests validate against, installed into `.schemas/` from Go modules.

    python -m tools.crd_schemas          install what is missing or stale (./test.sh and e2e/run.sh run it)
    python -m tools.crd_schemas --check  exit 1 when any set is missing or stale

The projects whose resources this program creates publish their CRDs in their Go module, at the release tag, so the
Go module proxy serves exactly the release's files by module name and version: `go mod download` fetches them (and
checks them against the checksum database), and each set is pinned here by its module hash too, so the files the
tests read are the release's own, byte for byte, whoever installs them. The same table takes any later CRD set
(KEDA, the Prometheus Operator, Gateway API): one row each.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = PROJECT_DIR / ".schemas"
SOURCE_FILE = ".source"


@dataclass(frozen=True)
class CrdSet:
    module: str
    version: str
    module_hash: str
    """The `h1:` hash `go mod download -json` reports for module@version: the pin of the files' content."""
    directory: str
    """Where the module keeps its CRD manifests, one CRD per `*.yaml` file."""
    files: str = "*.yaml"
    """Which of them to take (a glob), when the stack uses only some of the set's kinds."""

    @property
    def source(self) -> str:
        chosen = "" if self.files == "*.yaml" else f" {self.files}"
        return f"{self.module}@{self.version} {self.module_hash}{chosen}"


CRD_SETS: dict[str, CrdSet] = {
    # The release TlsIssuer installs (tests check the two pins agree).
    "cert-manager-v1.21.1": CrdSet(
        module="github.com/cert-manager/cert-manager",
        version="v1.21.1",
        module_hash="h1:0LttV37Q5c2CBNoHkjuI8sLKTXWZDC2SwQkxrBMKV9w=",
        directory="deploy/crds",
    ),
    # The release WorkerAutoscaler installs (its chart's version is KEDA's): ScaledObject, TriggerAuthentication.
    "keda-2.21.0": CrdSet(
        module="github.com/kedacore/keda/v2",
        version="v2.21.0",
        module_hash="h1:R6z2HZvstK4RLUMxroNACzBj74xGxt3kG59b5Xc+Xps=",
        directory="config/crd/bases",
    ),
    # MetricsExporter's ServiceMonitor (metricsServiceMonitor). The stack installs no Prometheus Operator, so no
    # release is its own to match: v0.85.0 is the only version of the root module the Go module proxy serves, and the
    # fields the exporter's ServiceMonitor uses (selector, endpoints' port, path, interval) are the resource's basic
    # ones in monitoring.coreos.com/v1. Only that CRD: the set's others are large, unused here, and one
    # (AlertmanagerConfig) holds an enum value `=` that PyYAML's safe loader cannot read.
    "prometheus-operator-v0.85.0": CrdSet(
        module="github.com/prometheus-operator/prometheus-operator",
        version="v0.85.0",
        module_hash="h1:M5xLCLEoaW2IJfnuCwFzzpL+jSVQu3KGT84Pye+fW8s=",
        directory="example/prometheus-operator-crd",
        files="monitoring.coreos.com_servicemonitors.yaml",
    ),
}


def schema_dir(name: str) -> Path:
    """Where the CRDs of one set are installed; `install` makes sure they are there."""
    return SCHEMAS_DIR / name


def is_current(name: str) -> bool:
    stamp = schema_dir(name) / SOURCE_FILE
    return stamp.is_file() and stamp.read_text().strip() == CRD_SETS[name].source


def download(crd_set: CrdSet) -> Path:
    """The module's extracted files in the Go module cache (read-only), after checking its hash."""
    go = shutil.which("go")
    if go is None:
        raise RuntimeError(f"the Go toolchain is needed to download {crd_set.module}@{crd_set.version}: install Go")
    # Outside any module, so no go.mod of a caller's directory is consulted or changed.
    with tempfile.TemporaryDirectory() as outside:
        result = subprocess.run(
            [go, "mod", "download", "-json", f"{crd_set.module}@{crd_set.version}"],
            cwd=outside, capture_output=True, text=True, check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"go mod download {crd_set.module}@{crd_set.version} failed:\n{result.stdout}{result.stderr}")
    info = json.loads(result.stdout)
    if info.get("Sum") != crd_set.module_hash:
        raise RuntimeError(
            f"{crd_set.module}@{crd_set.version} has hash {info.get('Sum')}, but {crd_set.module_hash} is pinned"
        )
    return Path(info["Dir"]) / crd_set.directory


def install(name: str) -> None:
    crd_set = CRD_SETS[name]
    files = sorted(download(crd_set).glob(crd_set.files))
    if not files:
        raise RuntimeError(f"{crd_set.module}@{crd_set.version} has no {crd_set.directory}/{crd_set.files}")
    target = schema_dir(name)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for path in files:
        shutil.copyfile(path, target / path.name)
    # Written last: an interrupted install leaves no stamp and is redone.
    (target / SOURCE_FILE).write_text(crd_set.source + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.crd_schemas", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report; exit 1 when a set is missing or stale")
    options = parser.parse_args(argv)
    stale = [name for name in CRD_SETS if not is_current(name)]
    if options.check:
        for name in stale:
            print(f"{schema_dir(name)}: missing or stale (python -m tools.crd_schemas installs it)", file=sys.stderr)
        return 1 if stale else 0
    for name in stale:
        try:
            install(name)
        except RuntimeError as error:
            print(f"crd_schemas: {error}", file=sys.stderr)
            return 1
        print(f"crd_schemas: installed {name} from {CRD_SETS[name].module}@{CRD_SETS[name].version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
