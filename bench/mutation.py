"""(f) Mutation testing of components/, as `make mutate` last measured it (tools/mutate.py writes mutants/figures.json):
the score, what was tried and how long it took. Absent until `make mutate` has run in this checkout."""

from __future__ import annotations

import json

from tools.mutate import FIGURES


def rows() -> list[tuple[str, str, str]]:
    if not FIGURES.is_file():
        return [("(f) mutation score of components/", f"not measured: no {FIGURES.name} in mutants/ (run `make mutate`)", "")]
    found = json.loads(FIGURES.read_text())
    per_mutant = found["mutant_seconds"] / found["tried"] if found["tried"] else 0.0
    score = "-" if found["score"] is None else f"{found['score']:.2%}"
    statuses = ", ".join(f"{count} {status}" for status, count in sorted(found["statuses"].items()))
    return [
        (f"(f) mutation score of components/, {found['scope']}", f"{score} (measured {found['measured']})", ""),
        (f"    {found['tried']} mutants tried", statuses, ""),
        ("    run time", f"{found['seconds']:.0f} s on {found['workers']} worker(s), {per_mutant:.2f} s a mutant", ""),
    ]
