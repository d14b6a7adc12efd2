"""tools/mutate.py: which mutants `make mutate --changed` tries, which tests judge them, and the score it prints."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from mutmut.state import state

from tools import mutate

SOURCE = '''\
import pulumi


def helper(x):
    def inner():
        return x + 1

    return inner()


class Component(pulumi.ComponentResource):
    def __init__(self):
        super().__init__("t", "n")

    @staticmethod
    def build(y):
        return y * 2


LIMIT = 3
'''


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ({6}, {"x_helper"}),
        ({4, 13}, {"x_helper", "xǁComponentǁ__init__"}),
        ({15}, {"xǁComponentǁbuild"}),
        ({1, 11, 20}, set()),
    ],
)
def test_should_name_the_functions_and_methods_around_the_changed_lines(lines: set[int], expected: set[str]) -> None:
    """A nested function is mutated as part of the one around it; a class line or a constant holds no mutant."""
    assert mutate.enclosing_functions(SOURCE, lines) == expected


def test_should_read_the_new_lines_of_each_file_from_the_diff() -> None:
    diff = """\
diff --git a/components/airflow.py b/components/airflow.py
--- a/components/airflow.py
+++ b/components/airflow.py
@@ -10 +10 @@ def f():
-    a = 1
+    a = 2
@@ -20,0 +21,3 @@ def g():
+    b = 1
+    c = 2
+    d = 3
@@ -40,2 +42,0 @@ def h():
-    e = 1
-    f = 2
diff --git a/components/gone.py b/components/gone.py
--- a/components/gone.py
+++ /dev/null
@@ -1,2 +0,0 @@
-x = 1
-y = 2
"""
    assert mutate.added_lines(diff) == {Path("components/airflow.py"): {10, 21, 22, 23, 42}}


@pytest.mark.parametrize(
    ("module", "test_file", "expected"),
    [
        ("airflow", "test_airflow.py", True),
        ("airflow", "test_airflow_pods.py", True),
        ("airflow", "test_ingress.py", False),
        ("ingress", "test_stack.py", True),
        ("postgres", "test_backing_services.py", True),
        ("redis", "test_git_sync.py", False),
        ("kube", "test_pod_security.py", True),
        ("kube", "test_tls_issuer.py", False),
        ("database_backup", "test_database_backup.py", True),
        ("settings.git_sync", "test_git_sync.py", True),
        ("settings.git_sync", "test_stack_files.py", True),
        ("settings.edge", "test_tls_issuer.py", True),
        ("settings.core", "test_settings.py", True),
        ("settings.core", "test_airflow.py", True),
        ("settings.core", "test_git_sync.py", False),
        ("settings.rules", "test_database_backup.py", True),
        ("pod_customisation", "test_customisation.py", True),
        ("settings.scheduling", "test_customisation.py", True),
        ("airflow", "test_customisation.py", True),
    ],
)
def test_should_judge_a_module_by_its_own_tests_and_the_listed_ones(module: str, test_file: str, expected: bool) -> None:
    assert mutate.judges(module, test_file) is expected


CALLED = {
    "components.airflow.x_secrets_digest",
    "components.ingress.x_wildcard_host",
    "components.settings.core.x_read_settings",
    "components.settings.edge.xǁEdgeǁvalidate",
    "tools.harness.x_run",
}


@pytest.mark.parametrize(
    ("env", "kept"),
    [
        ("stats", {"components.ingress.x_wildcard_host", "components.settings.edge.xǁEdgeǁvalidate", "tools.harness.x_run"}),
        ("components.airflow.x_f__mutmut_1", CALLED),
    ],
)
def test_should_forget_calls_into_modules_the_test_does_not_judge_while_mutmut_records_them(
    monkeypatch: pytest.MonkeyPatch, env: str, kept: set[str]
) -> None:
    monkeypatch.setenv("MUTANT_UNDER_TEST", env)
    monkeypatch.setattr(state(), "_stats", set(CALLED))
    mutate.pytest_runtest_teardown(cast(pytest.Item, SimpleNamespace(path=Path("/x/tests/test_ingress.py"))))
    assert state()._stats == kept  # noqa: SLF001


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (Counter({"killed": 6, "timeout": 1, "survived": 2, "no tests": 1, "suspicious": 3}), 0.7),
        (Counter({"killed": 4}), 1.0),
        (Counter({"skipped": 2}), None),
    ],
)
def test_should_score_caught_over_judged_mutants(statuses: Counter[str], expected: float | None) -> None:
    """A mutant no test calls is missed; one whose result mutmut could not tell (suspicious, skipped) is not judged."""
    assert mutate.score(statuses) == expected
