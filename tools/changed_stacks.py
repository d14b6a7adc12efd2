"""Which stacks a change touches, for the pull-request preview.

    python -m tools.changed_stacks BASE_REF   prints `stacks=<JSON list>` (a GitHub Actions step output line)

A change to the program (anything but docs, tests and other stacks' files) can change every stack; a change to
`Pulumi.<stack>.yaml` alone touches only that stack. A local stack (`dev`, a developer's own cluster) is never previewed
by CI: no runner can reach its cluster.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from components.settings import PROJECT_DIR

STACK_FILE = re.compile(r"^Pulumi\.([A-Za-z0-9_.-]+)\.yaml$")
# Stacks deployed to a developer's own cluster (Pulumi.dev.yaml says so): rendered in CI, never previewed there.
LOCAL_STACKS = frozenset({"dev"})
# Paths that cannot change what a stack deploys.
NOT_THE_PROGRAM = re.compile(
    r"^(tests/|bench/|e2e/|tools/|\.github/|\.ci/|.*\.md$|LICENSE|\.gitignore$|requirements-(dev|checkov)\.txt$"
    r"|package(-lock)?\.json$|pyproject\.toml$|pytest\.ini$|Makefile$|test\.sh$|deploy\.sh$)"
)


def all_stacks(project_dir: Path = PROJECT_DIR) -> list[str]:
    return sorted(m.group(1) for p in project_dir.glob("Pulumi.*.yaml") if (m := STACK_FILE.match(p.name)))


def remote_stacks(project_dir: Path = PROJECT_DIR) -> list[str]:
    """The stacks whose cluster a CI runner can reach."""
    return [stack for stack in all_stacks(project_dir) if stack not in LOCAL_STACKS]


def touched_stacks(changed_paths: list[str], stacks: list[str]) -> list[str]:
    touched: set[str] = set()
    for path in changed_paths:
        match = STACK_FILE.match(path)
        if match:
            touched.add(match.group(1))
        elif not NOT_THE_PROGRAM.match(path):
            return sorted(stacks)
    return sorted(touched & set(stacks))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    diff = subprocess.run(
        ["git", "diff", "--name-only", f"{argv[0]}...HEAD"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    )
    print("stacks=" + json.dumps(touched_stacks(diff.stdout.split(), remote_stacks())))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
