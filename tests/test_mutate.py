"""tools/mutate.py: which mutants `make mutate --changed` tries, which tests judge them, and the score it prints."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from mutmut.state import state

from components.settings import secret_keys
from tools import mutate
from tools.equivalent_mutants import EQUIVALENT

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
        ("airflow", "test_ingress.py", True),
        ("airflow", "test_tls_issuer.py", False),
        ("airflow", "test_worker_autoscaler.py", True),
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
    "components.postgres.xǁPostgresǁ__init__",
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


@pytest.mark.parametrize("env", ["stats", "components.settings.reader.xǁConfigReaderǁsecret__mutmut_8"])
def test_should_read_the_secret_keys_afresh_in_each_test_of_a_mutant_or_of_the_record_of_calls(
    monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    secret_keys()
    monkeypatch.setenv("MUTANT_UNDER_TEST", env)
    mutate.pytest_runtest_setup(cast(pytest.Item, SimpleNamespace(path=Path("/x/tests/test_settings.py"))))
    assert secret_keys.cache_info().currsize == 0


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


DIFF = """\
--- components/settings/ssh.py
+++ components/settings/ssh.py
@@ -1,4 +1,4 @@
 def cipher(data):
-    (length,) = struct.unpack(">I", data[:4])
+    (length,) = struct.unpack(">i", data[:4])
     return data[4 : 4 + length]
-    # --- a removed line that looks like a header
+    # +++ an added one
"""


def test_should_read_a_mutants_change_as_the_stripped_lines_it_removes_and_adds() -> None:
    assert mutate.mutant_change(DIFF) == (
        '(length,) = struct.unpack(">I", data[:4])\n# --- a removed line that looks like a header',
        '(length,) = struct.unpack(">i", data[:4])\n# +++ an added one',
    )


def tried(name: str, status: str) -> mutate.Tried:
    return mutate.Tried(name, status, Path("components/settings/ssh.py"), 1.0)


SIGNED = mutate.Equivalent("components.settings.ssh.x_cipher", '">I"', '">i"', "a length of 2 GiB fails either way")
STALE = mutate.Equivalent("components.settings.ssh.x_cipher", '"ascii"', '"ASCII"', "codec names ignore case")
UNTRIED = mutate.Equivalent("components.airflow.x_other", "a", "b", "not tried in this run")
# A function the run tried, but not this mutant of it (mutmut made it since, when the function changed): not stale.
UNTRIED_OF_TRIED = mutate.Equivalent("components.settings.ssh.x_cipher", '">I"', '">H"', "not tried in this run")


def test_should_count_a_survivor_a_mark_names_as_equivalent_and_name_the_marks_whose_mutant_a_test_catches() -> None:
    mutants = [
        tried("components.settings.ssh.x_cipher__mutmut_1", "survived"),
        tried("components.settings.ssh.x_cipher__mutmut_2", "survived"),
        tried("components.settings.ssh.x_cipher__mutmut_3", "killed"),
        # The same change in another function is not the marked mutant.
        tried("components.settings.ssh.x_other__mutmut_1", "survived"),
    ]
    changes = {
        "components.settings.ssh.x_cipher__mutmut_1": ('">I"', '">i"'),
        "components.settings.ssh.x_cipher__mutmut_2": ('">I"', "None"),
        "components.settings.ssh.x_cipher__mutmut_3": ('"ascii"', '"ASCII"'),
        "components.settings.ssh.x_other__mutmut_1": ('">I"', '">i"'),
    }

    def diff(mutant: mutate.Tried) -> str:
        removed, added = changes[mutant.name]
        return f"--- f\n+++ f\n@@ -1 +1 @@\n-{removed}\n+{added}"

    marked, stale = mutate.marked_equivalent(mutants, (SIGNED, STALE, UNTRIED, UNTRIED_OF_TRIED), diff)
    assert (marked, stale) == ({"components.settings.ssh.x_cipher__mutmut_1": SIGNED}, [STALE])
    assert mutate.statuses_of(mutants, marked) == Counter({"equivalent": 1, "survived": 2, "killed": 1})
    assert mutate.score(mutate.statuses_of(mutants, marked)) == 1 / 3


def test_should_match_every_equivalent_mark_to_a_mutant_that_mutmut_makes() -> None:
    """A mark with a typo, or one whose line has since changed, would match nothing: found here, without a run."""
    functions = {mark.function for mark in EQUIVALENT}
    modules = {found["module"] for function in functions if (found := mutate.MUTANT_NAME.match(function))}
    makes = set()
    for module in sorted(modules):
        makes |= mutate.changes_made(Path("components", *module.split(".")).with_suffix(".py"), functions)
    assert [mark for mark in EQUIVALENT if (mark.function, mark.original, mark.mutant) not in makes or not mark.why] == []


def test_should_retry_only_the_unexplained_survivors_and_score_the_whole_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    meta = tmp_path / "components" / "settings" / "ssh.py.meta"
    meta.parent.mkdir(parents=True)
    exit_codes = {
        "components.settings.ssh.x_cipher__mutmut_1": 0,  # survived, marked equivalent
        "components.settings.ssh.x_cipher__mutmut_2": 0,  # survived
        "components.settings.ssh.x_cipher__mutmut_3": 1,  # killed
        "components.settings.ssh.x_cipher__mutmut_4": 33,  # no tests
    }
    meta.write_text(json.dumps({"exit_code_by_key": exit_codes, "durations_by_key": dict.fromkeys(exit_codes, 2.0)}))
    monkeypatch.setattr(mutate, "MUTANTS", tmp_path)
    monkeypatch.setattr(mutate, "FIGURES", tmp_path / "figures.json")
    monkeypatch.setattr(mutate, "EQUIVALENT", (SIGNED,))
    monkeypatch.setattr(mutate, "mutant_diff", lambda mutant: DIFF_OF[mutant.name])
    ran: list[list[str]] = []

    def mutmut(argv: list[str], cwd: Path) -> SimpleNamespace:
        ran.append(argv[1:])
        exit_codes["components.settings.ssh.x_cipher__mutmut_2"] = 1  # the new test kills it
        meta.write_text(json.dumps({"exit_code_by_key": exit_codes, "durations_by_key": dict.fromkeys(exit_codes, 2.0)}))
        return SimpleNamespace(returncode=0)

    monkeypatch.setattr(mutate.subprocess, "run", mutmut)
    assert mutate.main(["--retry", "--workers", "2"]) == 0
    assert ran == [
        ["run", "--max-children", "2", "components.settings.ssh.x_cipher__mutmut_2", "components.settings.ssh.x_cipher__mutmut_4"]
    ]
    figures = json.loads((tmp_path / "figures.json").read_text())
    assert {key: figures[key] for key in ("scope", "tried", "statuses", "score", "workers", "mutant_seconds")} == {
        "scope": "every mutant, the last run's 2 unexplained survivors retried",
        "tried": 4,
        "statuses": {"equivalent": 1, "killed": 2, "no tests": 1},
        "score": 2 / 3,
        "workers": 2,
        "mutant_seconds": 8.0,
    }
    assert "1 survivors unexplained" in capsys.readouterr().out


def test_should_show_the_unexplained_survivors_and_the_score_without_running_anything(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    meta = tmp_path / "components" / "settings" / "ssh.py.meta"
    meta.parent.mkdir(parents=True)
    exit_codes = {"components.settings.ssh.x_cipher__mutmut_1": 0, "components.settings.ssh.x_cipher__mutmut_2": 0}
    meta.write_text(json.dumps({"exit_code_by_key": exit_codes, "durations_by_key": {}}))
    monkeypatch.setattr(mutate, "MUTANTS", tmp_path)
    monkeypatch.setattr(mutate, "EQUIVALENT", (SIGNED,))
    monkeypatch.setattr(mutate, "mutant_diff", lambda mutant: DIFF_OF[mutant.name])
    monkeypatch.setattr(mutate.subprocess, "run", None)  # nothing may run
    assert mutate.main(["--survivors"]) == 0
    assert capsys.readouterr().out == (
        "# components.settings.ssh.x_cipher__mutmut_2: survived\n"
        f"{DIFF_OF['components.settings.ssh.x_cipher__mutmut_2']}\n\n"
        "mutants/ holds 2 tried (1 equivalent, 1 survived): score 0.00%\n"
    )


DIFF_OF = {
    "components.settings.ssh.x_cipher__mutmut_1": "--- f\n+++ f\n@@ -1 +1 @@\n-\">I\"\n+\">i\"",
    "components.settings.ssh.x_cipher__mutmut_2": "--- f\n+++ f\n@@ -1 +1 @@\n-\">I\"\n+None",
    "components.settings.ssh.x_cipher__mutmut_3": "--- f\n+++ f\n@@ -1 +1 @@\n-\">I\"\n+\">I\" * 2",
    "components.settings.ssh.x_cipher__mutmut_4": "--- f\n+++ f\n@@ -1 +1 @@\n-\">I\"\n+\">J\"",
}
