"""(c) Wall time of the fast test tier, `pytest tests`, as test.sh runs it (checkov included when its venv exists)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass

from components.settings import PROJECT_DIR

TARGET_SECONDS = 60.0


@dataclass(frozen=True)
class SuiteRun:
    seconds: float
    passed: bool
    summary: str
    cores: int


def run_fast_tier() -> SuiteRun:
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "tests", "-p", "no:cacheprovider"],
        cwd=PROJECT_DIR,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    return SuiteRun(
        seconds=seconds,
        passed=completed.returncode == 0,
        summary=lines[-1].strip("= ") if lines else f"pytest exited {completed.returncode}",
        cores=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1,
    )
