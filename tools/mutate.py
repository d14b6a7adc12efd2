"""Mutation testing of components/ with mutmut and the unit tests: `make mutate [MUTATE_ARGS=...]`.

    python -m tools.mutate                  every mutant (about 8,800: a nightly run, hours)
    python -m tools.mutate --changed REF    the mutants of the functions whose lines changed since REF (for CI)
    python -m tools.mutate --every N        every Nth mutant: an estimate of the whole run, in minutes
    python -m tools.mutate --survivors      runs nothing: the survivors not marked equivalent, as diffs, and the score
    python -m tools.mutate --retry          those survivors again, against the tests as they are now
    (--workers N: mutants tried at once, 1 by default)

mutmut copies the project into mutants/, rewrites each function of components/ so that an environment variable picks its
original or one of its mutants, runs the tests once to learn which tests call which function, then forks one process
per mutant that runs only those tests, fastest first, and stops at the first failure. Results stay in mutants/: a rerun
tries only the mutants of functions that changed. tools/equivalent_mutants.py marks the survivors that change no
behaviour, each with why; they are counted apart, outside the score.

Prints the mutation score, a figure and not a gate: survivors do not fail the command. Also loaded by mutmut as a
pytest plugin (pyproject.toml's [tool.mutmut]), for `pytest_runtest_teardown` and `pytest_collection_finish` below.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import difflib
import fnmatch
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import libcst
import pytest
from mutmut.mutation.diff_apply import get_diff_for_mutant, read_mutant_function, read_original_function
from mutmut.mutation.file_mutation import mutate_file_contents
from mutmut.state import state
from mutmut.stats import status_by_exit_code

from components.settings import PROJECT_DIR, secret_keys
from tools.equivalent_mutants import EQUIVALENT, Equivalent

COMPONENTS = PROJECT_DIR / "components"
MUTANTS = PROJECT_DIR / "mutants"
FIGURES = MUTANTS / "figures.json"

# Which test files judge the mutants of a module of components/ (dotted below it: "settings.git_sync"): the file named
# after the module's last part, tests/test_stack.py, and those listed. Every test that runs the program calls every
# module, so without this map mutmut would try each mutant against all of them: a minute for each survivor instead of
# seconds. tests/test_stack.py holds the whole stack's tables (every resource's type and parent, every object's name,
# namespace and component): a renamed or re-parented resource is one that `pulumi up` replaces.
JUDGES_EVERY_MODULE = "test_stack.py"
SETTINGS_TESTS = ("test_settings.py", "test_stack_files.py")
BACKING_SERVICES = ("test_backing_services.py", "test_connection_pool.py", "test_database_backup.py")
# The rules and the reader that every area's settings share: judged by each file that checks its settings' messages.
SETTINGS_MESSAGES = (
    "test_airflow.py", "test_connection_pool.py", "test_customisation.py", "test_database_backup.py",
    "test_disruption_budgets.py", "test_git_sync.py", "test_ingress.py", "test_ingress_controller.py",
    "test_metadata_cleanup.py", "test_metrics_exporter.py", "test_network_policies.py", "test_secrets.py",
    "test_tls_issuer.py", "test_worker_logs.py",
)  # fmt: skip
EXTRA_JUDGES: dict[str, tuple[str, ...]] = {
    # git-sync's sidecar goes into the pods AirflowCore says parse DAGs; FAB's config into the api-server's.
    # Its outputs: the api-server's Service behind the Ingress, its Deployment and the workers' StatefulSet under the
    # autoscalers.
    "airflow": (
        "test_airflow_pods.py", "test_disruption_budgets.py", "test_git_sync.py", "test_customisation.py", "test_ingress.py",
        "test_api_server_autoscaler.py", "test_worker_autoscaler.py",
    ),
    "airflow_overrides": ("test_customisation.py",),
    "pod_customisation": ("test_customisation.py",),
    "database_url": (*BACKING_SERVICES, "test_secrets.py"),
    "kube": (
        "test_airflow.py", "test_airflow_pods.py", "test_backing_services.py", "test_pod_security.py", "test_schemas.py",
        "test_worker_autoscaler.py", "test_api_server_autoscaler.py",
        # The Secret volumes' modes: each is checked beside the feature that mounts one.
        "test_connection_pool.py", "test_database_backup.py", "test_customisation.py",
    ),
    "log_groomer": ("test_worker_logs.py",),
    "postgres": ("test_backing_services.py",),
    "redis": ("test_backing_services.py",),
    "tls_issuer": ("test_schemas.py",),
    "worker_logs": ("test_pod_security.py",),
    "network_policies": ("test_worker_autoscaler.py", "test_metrics_exporter.py"),
    "ingress_controller": ("test_metrics_exporter.py",),
    "worker_autoscaler": ("test_schemas.py",),
    "settings.autoscaling": ("test_worker_autoscaler.py", "test_api_server_autoscaler.py"),
    # The whole's own checks across areas: each is tested beside the feature it guards.
    "settings.core": (
        "test_airflow.py", "test_customisation.py", "test_worker_autoscaler.py", "test_metrics_exporter.py", *BACKING_SERVICES,
    ),
    "settings.customisation": ("test_metrics_exporter.py",),
    "settings.metrics": ("test_metrics_exporter.py",),
    "settings.scheduling": ("test_customisation.py",),
    # The database's and broker's ports: the network policies open them.
    "settings.database": (*BACKING_SERVICES, "test_metadata_cleanup.py", "test_worker_autoscaler.py", "test_network_policies.py"),
    "settings.edge": ("test_ingress.py", "test_ingress_controller.py", "test_tls_issuer.py"),
    "settings.git_repository": ("test_git_sync.py",),
    "settings.ssh": ("test_git_sync.py",),
    "settings.reader": SETTINGS_MESSAGES,
    "settings.rules": SETTINGS_MESSAGES,
}

# mutmut's names: components.<module>.x_<function>__mutmut_<n>, components.<module>.xǁ<Class>ǁ<method>__mutmut_<n>.
MUTANT_NAME = re.compile(r"^components\.(?P<module>[\w.]+?)\.x[_ǁ]")


def judges(module: str, test_file: str) -> bool:
    own = f"test_{module.rpartition('.')[2]}.py"
    settings = SETTINGS_TESTS if module == "settings" or module.startswith("settings.") else ()
    return test_file in (own, JUDGES_EVERY_MODULE, *settings, *EXTRA_JUDGES.get(module, ()))


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Every test reads the settings' secret keys afresh. mutmut forks each mutant's process from one that has run the
    tests unmutated, so secret_keys()'s cache would hand the mutant's tests the original's keys; and while mutmut
    records which test calls what, a cache filled by an earlier test would hide this test's calls into the settings."""
    secret_keys.cache_clear()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """While mutmut records which functions each test called (before mutmut's own teardown hook reads them), forget the
    calls into modules that the test's file does not judge."""
    if os.environ.get("MUTANT_UNDER_TEST") != "stats":
        return
    called: set[str] = state()._stats  # noqa: SLF001 - mutmut 3.8.1's record of the running test's calls (pinned)
    for name in list(called):
        found = MUTANT_NAME.match(name)
        if found and not judges(found["module"], item.path.name):
            called.discard(name)


def pytest_collection_finish(session: pytest.Session) -> None:
    """mutmut's fork server collects the tests once and then forks a process per mutant. Running the program here, in
    the fork server, imports the modules pulumi_kubernetes loads lazily and reads the schema files once, so that each
    mutant's process starts with them: its first run of the program takes 0.3 s instead of 1.1 s, on a few seconds
    per mutant. Only the unmutated reads of files stay cached: secret_keys() calls functions that have mutants."""
    if not session.config.option.collectonly:
        return
    from tools.harness import run_program, run_stack

    run_stack("prod")
    run_program()
    secret_keys.cache_clear()


def enclosing_functions(source: str, lines: set[int]) -> set[str]:
    """mutmut's names (without the mutant number) of the top-level functions and methods that hold any of `lines`:
    mutmut mutates nested functions as part of the function around them."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found = [(node, f"x_{node.name}")]
        elif isinstance(node, ast.ClassDef):
            methods = [n for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
            found = [(m, f"xǁ{node.name}ǁ{m.name}") for m in methods]
        else:
            continue
        for function, name in found:
            first = min([function.lineno, *(d.lineno for d in function.decorator_list)])
            if any(first <= line <= (function.end_lineno or function.lineno) for line in lines):
                names.add(name)
    return names


def added_lines(diff: str) -> dict[Path, set[int]]:
    """The new side's line numbers of each hunk of a `git diff --unified=0`, by file (relative to the project)."""
    found: dict[Path, set[int]] = {}
    current: Path | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            current = None if line == "+++ /dev/null" else Path(line.removeprefix("+++ b/"))
        elif current is not None and (hunk := re.match(r"@@ -\S+ \+(\d+)(?:,(\d+))? @@", line)):
            start, count = int(hunk[1]), int(hunk[2] if hunk[2] is not None else 1)
            # A hunk that only deletes names the line before the gap: the function around it changed too.
            found.setdefault(current, set()).update(range(start, start + max(count, 1)))
    return found


def changed_patterns(ref: str) -> list[str]:
    """mutmut name patterns for the mutants of every function of components/ changed since `ref` (working tree)."""
    diff = subprocess.run(
        ["git", "diff", "--unified=0", "--no-color", ref, "--", "components/*.py"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    patterns = []
    for path, lines in sorted(added_lines(diff).items()):
        module = path.with_suffix("").as_posix().replace("/", ".")
        source = (PROJECT_DIR / path).read_text()
        patterns += [f"{module}.{name}__mutmut_*" for name in sorted(enclosing_functions(source, lines))]
    return patterns


def every_nth_mutant(every: int) -> list[str]:
    """Every `every`th mutant of components/, in a fixed order, as mutmut names them."""
    names = []
    for path in sorted(COMPONENTS.rglob("*.py")):
        relative = path.relative_to(PROJECT_DIR)
        module = relative.with_suffix("").as_posix().replace("/", ".")
        names += [f"{module}.{name}" for name in mutate_file_contents(str(relative), path.read_text()).mutant_names]
    return names[::every]


@dataclass(frozen=True)
class Figures:
    measured: str
    scope: str
    tried: int
    statuses: dict[str, int]
    score: float | None
    workers: int
    seconds: float
    """Wall time of the whole command: mutant generation, mutmut's test-call record, the clean run and the mutants."""
    mutant_seconds: float
    """Wall time of the mutants alone, as mutmut recorded each one."""


@dataclass(frozen=True)
class Tried:
    name: str
    status: str
    """mutmut's word: killed, survived, timeout, no tests, ..."""
    source: Path
    """The mutated file, relative to the project: components/airflow.py."""
    seconds: float


def tried_mutants(patterns: list[str]) -> list[Tried]:
    """The tried mutants that match `patterns` (all when empty), as mutants/ records them."""
    found = []
    for meta in sorted(MUTANTS.glob("components/**/*.py.meta")):
        data: dict[str, Any] = json.loads(meta.read_text())
        source = meta.relative_to(MUTANTS).with_suffix("")
        for name, exit_code in data["exit_code_by_key"].items():
            if exit_code is not None and (not patterns or any(fnmatch.fnmatchcase(name, p) for p in patterns)):
                found.append(Tried(name, status_by_exit_code[exit_code], source, data["durations_by_key"].get(name, 0.0)))
    return found


def function_of(mutant_name: str) -> str:
    return mutant_name.rpartition("__mutmut_")[0]


def mutant_change(diff: str) -> tuple[str, str]:
    """The lines a mutant's diff (as `mutmut show` prints it) removes and adds, stripped, each side joined by newlines."""
    body = diff.splitlines()[2:]  # below the "--- file" and "+++ file" header
    removed = [line[1:].strip() for line in body if line.startswith("-")]
    added = [line[1:].strip() for line in body if line.startswith("+")]
    return "\n".join(removed), "\n".join(added)


def changes_made(path: Path, functions: set[str]) -> set[tuple[str, str, str]]:
    """(function, removed lines, added lines) of every mutant mutmut makes of `functions` (mutmut's names without the
    number) in the file at `path` (relative to the project). Parses the mutated file once: mutmut's own diff parses it
    again for each mutant, minutes for a large file."""
    module = path.with_suffix("").as_posix().replace("/", ".")
    mutated = mutate_file_contents(str(path), (PROJECT_DIR / path).read_text())
    tree = libcst.parse_module(mutated.code)
    found = set()
    for name in mutated.mutant_names:
        function = f"{module}.{function_of(name)}"
        if function in functions:
            readers = (read_original_function, read_mutant_function)
            original, mutant = (libcst.Module([read(tree, name)]).code.strip().split("\n") for read in readers)
            found.add((function, *mutant_change("\n".join(difflib.unified_diff(original, mutant, lineterm="")))))
    return found


def mutant_diff(mutant: Tried) -> str:
    with contextlib.chdir(PROJECT_DIR):  # mutmut reads the mutated file from mutants/ below the working directory
        return get_diff_for_mutant(mutant.name, path=mutant.source)


def marked_equivalent(
    mutants: list[Tried], marks: tuple[Equivalent, ...], diff: Callable[[Tried], str]
) -> tuple[dict[str, Equivalent], list[Equivalent]]:
    """The survivors a mark names (by mutant name), and the stale marks: those naming a mutant that was tried and
    caught. A mark whose mutant was not tried (a sample, or a function changed since the run) is neither."""
    by_change = {(mark.function, mark.original, mark.mutant): mark for mark in marks}
    marked_functions = {mark.function for mark in marks}
    named: dict[str, Equivalent] = {}
    stale: list[Equivalent] = []
    for mutant in mutants:
        if function_of(mutant.name) in marked_functions:
            mark = by_change.get((function_of(mutant.name), *mutant_change(diff(mutant))))
            if mark is not None and mutant.status == "survived":
                named[mutant.name] = mark
            elif mark is not None and mutant.status in ("killed", "timeout"):
                stale.append(mark)
    return named, stale


def statuses_of(mutants: list[Tried], equivalent: dict[str, Equivalent]) -> Counter[str]:
    """mutmut's statuses, with the survivors marked equivalent counted apart."""
    return Counter("equivalent" if mutant.name in equivalent else mutant.status for mutant in mutants)


def score(statuses: Counter[str]) -> float | None:
    """Caught (killed, or so slow it timed out) over every mutant that was judged; a mutant no test calls counts as
    missed."""
    caught = statuses["killed"] + statuses["timeout"]
    judged = caught + statuses["survived"] + statuses["no tests"]  # a survivor marked equivalent is not judged
    return caught / judged if judged else None


def report(figures: Figures) -> str:
    counts = ", ".join(f"{count} {status}" for status, count in sorted(figures.statuses.items()))
    per_mutant = figures.mutant_seconds / figures.tried if figures.tried else 0.0
    shown = "-" if figures.score is None else f"{figures.score:.2%}"
    return (
        f"mutation score {shown} ({figures.scope}): {figures.tried} mutants tried ({counts})\n"
        f"run time {figures.seconds:.0f} s on {figures.workers} worker(s), of which mutants {figures.mutant_seconds:.0f} s,"
        f" {per_mutant:.2f} s a mutant"
    )


def explain(mutants: list[Tried]) -> tuple[Counter[str], list[Tried], list[Equivalent]]:
    """The statuses (survivors marked equivalent apart), the survivors left unexplained and the stale marks."""
    equivalent, stale = marked_equivalent(mutants, EQUIVALENT, mutant_diff)
    unexplained = [mutant for mutant in mutants if mutant.status in ("survived", "no tests") and mutant.name not in equivalent]
    return statuses_of(mutants, equivalent), unexplained, stale


def stale_lines(stale: list[Equivalent]) -> list[str]:
    return [
        f"stale mark in tools/equivalent_mutants.py (a test catches this mutant of {mark.function}; remove the mark): "
        f"{mark.original!r} -> {mark.mutant!r}"
        for mark in stale
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.mutate", description=__doc__.splitlines()[0])
    chosen = parser.add_mutually_exclusive_group()
    chosen.add_argument("--changed", metavar="REF", help="only the functions changed since this git ref")
    chosen.add_argument("--every", type=int, metavar="N", help="only every Nth mutant, for an estimate")
    chosen.add_argument(
        "--survivors", action="store_true", help="run nothing: show the last run's unexplained survivors as diffs"
    )
    chosen.add_argument("--retry", action="store_true", help="retry the last run's unexplained survivors")
    # One worker by default: the machine's other core belongs to whoever else works on it.
    parser.add_argument("--workers", type=int, default=1, metavar="N", help="mutants tried at once (default 1)")
    options = parser.parse_args(argv)

    if options.survivors:
        mutants = tried_mutants([])
        statuses, unexplained, stale = explain(mutants)
        for mutant in unexplained:
            print(f"# {mutant.name}: {mutant.status}\n{mutant_diff(mutant)}\n")
        counts = ", ".join(f"{count} {status}" for status, count in sorted(statuses.items()))
        shown = "-" if score(statuses) is None else f"{score(statuses):.2%}"
        print("\n".join([*stale_lines(stale), f"mutants/ holds {len(mutants)} tried ({counts}): score {shown}"]))
        return 0
    if options.changed:
        names = changed_patterns(options.changed)
        scope = f"functions changed since {options.changed}"
        if not names:
            print(f"mutate: no function of components/ changed since {options.changed}")
            return 0
    elif options.every:
        names = every_nth_mutant(options.every)
        scope = f"every {options.every}th mutant"
    elif options.retry:
        _, unexplained, _ = explain(tried_mutants([]))
        if not unexplained:
            print("mutate: the last run left no unexplained survivor")
            return 0
        names = [mutant.name for mutant in unexplained]
        scope = f"every mutant, the last run's {len(names)} unexplained survivors retried"
    else:
        names = []
        scope = "every mutant"
    if options.workers < 1:
        parser.error(f"--workers {options.workers}: needs 1 or more")

    started = time.perf_counter()
    mutmut = [str(Path(sys.executable).parent / "mutmut"), "run", "--max-children", str(options.workers), *names]
    completed = subprocess.run(mutmut, cwd=PROJECT_DIR)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        print(f"mutate: mutmut exited {completed.returncode}", file=sys.stderr)
        return completed.returncode

    # A retry changes the whole run's figures: they cover every mutant tried, retried or not.
    mutants = tried_mutants([] if options.retry else names)
    statuses, unexplained, stale = explain(mutants)
    figures = Figures(
        measured=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        scope=scope,
        tried=len(mutants),
        statuses=dict(statuses),
        score=score(statuses),
        workers=options.workers,
        seconds=seconds,
        mutant_seconds=sum(mutant.seconds for mutant in mutants),
    )
    FIGURES.write_text(json.dumps(asdict(figures), indent=2) + "\n")
    print("\n".join([report(figures), *stale_lines(stale)]))
    if unexplained:
        print(f"{len(unexplained)} survivors unexplained: `python -m tools.mutate --survivors` shows them")
    return 0


if __name__ == "__main__":
    sys.exit(main())
