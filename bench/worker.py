"""Runs in a fresh interpreter, times one thing, prints the result as JSON on its last line (bench/timing.py starts it).

python -m bench.worker evaluate <stack>     the whole program under mocks, SDK imports included
python -m bench.worker import               the SDK modules named on stdin (a JSON list), nothing else
"""

from __future__ import annotations

import importlib
import json
import sys
import time

# The SDK packages whose import the program pays for.
SDK_PACKAGES = ("pulumi", "pulumi_kubernetes", "pulumi_random")


def sdk_modules() -> list[str]:
    return sorted(name for name in sys.modules if name.split(".")[0] in SDK_PACKAGES)


def evaluate(stack: str) -> dict[str, object]:
    started = time.perf_counter()
    # Imported here: the SDK imports it brings are part of what is timed.
    from tools.harness import run_stack

    capture = run_stack(stack)
    elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "resources": len(capture.registrations), "modules": sdk_modules()}


def import_modules(modules: list[str]) -> dict[str, object]:
    started = time.perf_counter()
    for module in modules:
        importlib.import_module(module)
    return {"seconds": time.perf_counter() - started, "modules": len(modules)}


def main(argv: list[str]) -> int:
    if argv[:1] == ["evaluate"] and len(argv) == 2:
        result = evaluate(argv[1])
    elif argv == ["import"]:
        result = import_modules(json.loads(sys.stdin.read()))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
