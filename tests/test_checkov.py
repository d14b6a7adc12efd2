"""checkov gate: zero failed checks over the rendered manifests; every skip sits on one object with a reason.

Needs `.checkov-venv` (test.sh creates it from requirements-checkov.txt); without it these tests skip and say why.
"""

from __future__ import annotations

import copy
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from components.settings import PROJECT_DIR
from tools import checkov_scan
from tools.checkov_scan import NO_REASON, ScanResult, scan_capture, scan_file
from tools.harness import Capture
from tools.render import manifest
from tools.validate import renders

pytestmark = pytest.mark.skipif(
    not checkov_scan.available(),
    reason=f"checkov is not installed at {checkov_scan.CHECKOV}: python3 -m venv .checkov-venv && "
    ".checkov-venv/bin/pip install -r requirements-checkov.txt (test.sh does this)",
)

SCANNED = [r for r in renders() if r.checkov]
BROKEN = "broken"


def broken_manifest(capture: Capture, directory: Path) -> Path:
    """The api-server Deployment alone, without its skip annotations, privileged: checkov must fail it."""
    (deployment,) = [
        manifest(r)
        for r in capture.kubernetes_objects()
        if r.inputs["kind"] == "Deployment" and r.plain_inputs["metadata"]["name"] == "airflow-api-server"
    ]
    broken = copy.deepcopy(deployment)
    broken["metadata"].pop("annotations", None)
    broken["spec"]["template"]["spec"]["containers"][0]["securityContext"]["privileged"] = True
    path = directory / "manifests.yaml"
    path.write_text(yaml.safe_dump(broken))
    return path


@pytest.fixture(scope="module")
def scans(default_run: Capture, tmp_path_factory: pytest.TempPathFactory) -> dict[str, ScanResult]:
    """One checkov run per render (in parallel: a run is mostly checkov's start-up); renders run one at a time,
    since the program under mocks uses process-wide state."""
    captures = {render.name: render.run() for render in SCANNED}
    broken = broken_manifest(default_run, tmp_path_factory.mktemp("broken"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(scan_capture, capture) for name, capture in captures.items()}
        futures[BROKEN] = pool.submit(scan_file, broken)
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("name", [r.name for r in SCANNED])
def test_should_pass_every_check_checkov_runs(scans: dict[str, ScanResult], name: str) -> None:
    result = scans[name]
    assert not result.parsing_errors, result.parsing_errors
    assert result.passed > 100, f"{name}: checkov ran only {result.passed} checks"
    assert not result.failed, f"{name}: {len(result.failed)} failed checks:\n" + "\n".join(map(str, result.failed))


@pytest.mark.parametrize("name", [r.name for r in SCANNED])
def test_should_give_every_skip_its_reason(scans: dict[str, ScanResult], name: str) -> None:
    unexplained = [str(f) for f in scans[name].skipped if f.reason in ("", NO_REASON) or len(f.reason) < 30]
    assert not unexplained, "\n".join(unexplained)


@pytest.mark.parametrize("name", [r.name for r in SCANNED])
def test_should_never_skip_the_network_policy_check(scans: dict[str, ScanResult], name: str) -> None:
    assert [str(f) for f in scans[name].skipped if f.check_id == "CKV2_K8S_6"] == []


def test_should_fail_an_object_that_loses_its_skips_or_its_hardening(scans: dict[str, ScanResult]) -> None:
    failed = {f.check_id for f in scans[BROKEN].failed}
    # privileged container; image by tag (its skip removed); a pod without a NetworkPolicy.
    assert failed >= {"CKV_K8S_16", "CKV_K8S_43", "CKV2_K8S_6"}, failed


def test_should_configure_no_skip_outside_the_objects() -> None:
    configs = [p.name for p in PROJECT_DIR.iterdir() if p.name.startswith((".checkov", "checkov")) and p.is_file()]
    assert configs == []
