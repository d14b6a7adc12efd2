"""Benchmarks: `.venv/bin/python -m bench [--runs 5] [--stack dev] [--skip-tests]` prints one table.

  (a) whole-program evaluation of the stack under the mocks vs. importing the same SDK modules (fresh interpreters,
      median of --runs each); target ratio <= 1.5
  (b) the number of resources and the critical path of the resource graph, beside the true data-dependency chain
  (c) wall time of the fast test tier, `pytest tests`; target under 60 s on 2 cores
  (d) the real engine: e2e toolchain build times and the engine tier's preview/up/destroy, as last measured by `make e2e`
  (e) how long a pushed DAG takes to show up, as last measured by `make smoke`; target one sync period + 15 s
  (f) the mutation score of components/ under the unit tests, as last measured by `make mutate`

Figures, not assertions: nothing here fails a build. Read bench/graph.py for what the true chain is and why.
"""

from __future__ import annotations

import argparse
import sys

from bench import dag_latency, engine, graph, mutation, suite, timing
from tools.harness import run_stack


def table(rows: list[tuple[str, str, str]]) -> str:
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows)


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each timing, medians compared (default 5)")
    parser.add_argument("--stack", default="dev", help="stack to evaluate (default dev)")
    parser.add_argument("--skip-tests", action="store_true", help="do not time the fast test tier")
    options = parser.parse_args(argv)

    rows = [("measure", "value", "target")]
    timed = timing.measure(options.stack, options.runs)
    rows += [
        (
            f"(a) program evaluation, {options.stack} stack under mocks",
            f"{timed.evaluation_median:.3f} s (median of {options.runs})",
            "",
        ),
        (f"    import of the same {timed.modules} SDK modules", f"{timed.import_median:.3f} s (median of {options.runs})", ""),
        (
            "    ratio evaluation / import",
            f"{timed.ratio:.2f}",
            f"<= {timing.RATIO_TARGET}: {verdict(timed.ratio <= timing.RATIO_TARGET)}",
        ),
    ]

    capture = run_stack(options.stack)
    links = graph.critical_path(capture)
    rows += [
        ("(b) resources registered", str(len(capture.registrations)), ""),
        ("    Kubernetes objects among them", str(len(capture.kubernetes_objects())), ""),
        ("    critical path (dependencies + parent)", f"{len(links)} resources, {max(len(links) - 1, 0)} waits", ""),
    ]
    rows += [
        (f"      {index}. {link.label}", f"<- {link.reason}" if link.reason else "", "") for index, link in enumerate(links, 1)
    ]
    matched = graph.matches_true_chain(links)
    rows += [("    equals the true data-dependency chain (below)", "yes" if matched else "no", verdict(matched))]

    if not options.skip_tests:
        run = suite.run_fast_tier()
        rows += [
            (
                "(c) fast test tier, pytest tests",
                f"{run.seconds:.1f} s on {run.cores} cores ({run.summary})",
                f"< {suite.TARGET_SECONDS:.0f} s: {verdict(run.seconds < suite.TARGET_SECONDS and run.passed)}",
            )
        ]
    rows += engine.rows()
    rows += dag_latency.rows()
    rows += mutation.rows()
    print(table(rows))
    print(f"\ntrue data-dependency chain ({len(graph.TRUE_CHAIN)} resources): " + " -> ".join(graph.TRUE_CHAIN))
    return 0


if __name__ == "__main__":
    sys.exit(main())
