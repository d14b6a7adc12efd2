"""The metric names a Grafana dashboard's PromQL reads: for the tests that hold the dashboard to the exporter's mapping
(tests/test_metrics_exporter.py) and to what the real exporter serves (smoke/test_metrics.py, which loads this file by
path: standard library only).

Not a PromQL parser: enough of one for the expressions a dashboard holds. Label matchers (`{...}`), grouping clauses
(`by (...)`, `without (...)`), the label of Grafana's `label_values(series, label)`, range selectors (`[5m]`), string
literals and numbers are removed; what is left are function names (followed by `(`), keywords and metric names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

KEYWORDS = frozenset(
    {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan"}
)
IDENTIFIER = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def expressions(dashboard: dict[str, Any]) -> Iterator[str]:
    """Every panel target's `expr` and every query variable's `query`."""
    for panel in dashboard.get("panels", []):
        for target in panel.get("targets", []):
            yield str(target["expr"])
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable["query"]
            yield str(query["query"] if isinstance(query, dict) else query)


def metric_names_of(expression: str) -> set[str]:
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expression)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    # Grafana's label_values(<series>, <label>): the label is no metric.
    text = re.sub(r"\blabel_values\s*\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\s*\)", r"label_values(\1)", text)
    names = set()
    for match in IDENTIFIER.finditer(text):
        rest = text[match.end() :].lstrip()
        if rest.startswith("(") or match.group().lower() in KEYWORDS:
            continue
        if match.start() > 0 and (text[match.start() - 1].isdigit() or text[match.start() - 1] == "$"):
            continue
        names.add(match.group())
    return names


def metric_names(dashboard: dict[str, Any]) -> set[str]:
    """The names of every metric the dashboard's queries read."""
    return {name for expression in expressions(dashboard) for name in metric_names_of(expression)}
