"""checkov over the rendered manifests of a stack, offline, from its own virtualenv.

    python -m tools.checkov_scan [--stack dev ...]      (default: every render of tools.validate.renders() it scans)

checkov pins packaging versions that clash with the program's, so it lives in `.checkov-venv` (from
requirements-checkov.txt). `--skip-download` keeps it offline: without it, it fetches guidelines and prints a traceback
when there is no network. No check is skipped on the command line or in a config file: a check that does not apply to
an object is skipped on that object, with its reason, by a `checkov.io/skip<n>: CKV_K8S_xx=<reason>` annotation in the
object's metadata (see `components/kube.py`). Prints every failed check and every skip with its reason.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.settings import PROJECT_DIR
from tools.harness import Capture
from tools.render import write_render
from tools.validate import renders, stack_render

CHECKOV_VENV = PROJECT_DIR / ".checkov-venv"
CHECKOV = CHECKOV_VENV / "bin" / "checkov"
# What checkov prints when a skip annotation has no `=reason`.
NO_REASON = "No comment provided"


@dataclass(frozen=True)
class Finding:
    """One check on one resource (`Kind.namespace.name`)."""

    check_id: str
    check_name: str
    resource: str
    reason: str = ""

    def __str__(self) -> str:
        because = f": {self.reason}" if self.reason else ""
        return f"{self.check_id} {self.resource} ({self.check_name}){because}"


@dataclass
class ScanResult:
    passed: int = 0
    failed: list[Finding] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)
    parsing_errors: list[str] = field(default_factory=list)


def available() -> bool:
    return CHECKOV.is_file()


def findings(checks: list[dict[str, Any]]) -> list[Finding]:
    return [
        Finding(
            check_id=str(check["check_id"]),
            check_name=str(check.get("check_name", "")),
            resource=str(check.get("resource", "")),
            reason=str((check.get("check_result") or {}).get("suppress_comment", "")),
        )
        for check in checks
    ]


def scan_file(manifests: Path) -> ScanResult:
    """Runs checkov's Kubernetes checks on one multi-document YAML file."""
    completed = subprocess.run(
        [str(CHECKOV), "--skip-download", "--framework", "kubernetes", "--output", "json", "--file", str(manifests)],
        # Its own working directory: a .checkov.yaml in the repository must not be able to skip checks for everyone.
        cwd=manifests.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    # Exit 1 means "some check failed"; anything else without JSON is checkov itself failing.
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"checkov exited {completed.returncode} without a report:\n{completed.stderr[-4000:]}") from None
    if isinstance(report, list):
        report = next((r for r in report if r.get("check_type") == "kubernetes"), {})
    if not report.get("results"):
        # checkov's report when it found nothing to check: a summary only.
        return ScanResult(parsing_errors=[f"nothing scanned in {manifests}"])
    results = report["results"]
    return ScanResult(
        passed=len(results.get("passed_checks", [])),
        failed=findings(results.get("failed_checks", [])),
        skipped=findings(results.get("skipped_checks", [])),
        parsing_errors=list(results.get("parsing_errors", [])),
    )


def scan_capture(capture: Capture) -> ScanResult:
    """checkov over exactly what the render writes for this run of the program."""
    with tempfile.TemporaryDirectory(prefix="checkov-") as directory:
        out = Path(directory)
        write_render(capture, out)
        return scan_file(out / "manifests.yaml")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.checkov_scan", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", action="append", help="stack to scan (repeatable; default: every render marked checkov)")
    options = parser.parse_args(argv)
    if not available():
        print(
            f"no checkov at {CHECKOV}: python3 -m venv .checkov-venv && .checkov-venv/bin/pip install -r "
            "requirements-checkov.txt",
            file=sys.stderr,
        )
        return 2
    chosen = [stack_render(stack) for stack in options.stack] if options.stack else renders()
    status = 0
    for render in (r for r in chosen if r.checkov):
        result = scan_capture(render.run())
        print(f"{render.name}: {result.passed} passed, {len(result.failed)} failed, {len(result.skipped)} skipped")
        for finding in result.failed:
            print(f"  FAILED  {finding}")
        for finding in result.skipped:
            print(f"  skipped {finding}")
        for error in result.parsing_errors:
            print(f"  PARSING ERROR {error}")
        if result.failed or result.parsing_errors or any(f.reason in ("", NO_REASON) for f in result.skipped):
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
