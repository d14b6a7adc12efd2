"""(a) Whole-program evaluation under the mocks against the import of the same SDK modules, in fresh interpreters.

Importing pulumi, pulumi_kubernetes and pulumi_random is a floor no program can go under; the ratio says how much the
program itself (settings, components, the mocked registrations) adds on top. Runs alternate between the two, so a
busy machine slows both alike; the medians are compared.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from components.settings import PROJECT_DIR

RATIO_TARGET = 1.5


@dataclass(frozen=True)
class Timing:
    evaluation: list[float]
    imports: list[float]
    resources: int
    modules: int

    @property
    def evaluation_median(self) -> float:
        return statistics.median(self.evaluation)

    @property
    def import_median(self) -> float:
        return statistics.median(self.imports)

    @property
    def ratio(self) -> float:
        return self.evaluation_median / self.import_median


def worker(*args: str, stdin: str = "") -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.worker", *args],
        cwd=PROJECT_DIR,
        input=stdin,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def measure(stack: str, runs: int) -> Timing:
    evaluation: list[float] = []
    imports: list[float] = []
    resources, modules = 0, []
    for _ in range(runs):
        evaluated = worker("evaluate", stack)
        evaluation.append(float(evaluated["seconds"]))
        resources = int(evaluated["resources"])
        # The modules this very run loaded, so both sides import the same set.
        modules = [str(module) for module in evaluated["modules"]]
        imported = worker("import", stdin=json.dumps(modules))
        imports.append(float(imported["seconds"]))
    return Timing(evaluation=evaluation, imports=imports, resources=resources, modules=len(modules))
