"""(e) How long a pushed DAG takes to show up, as the smoke tier last measured it (smoke/test_dag_latency.py): the real
dag-processor and api-server with their rendered environment, git-sync's publication reproduced at the rendered
period. Absent until `make smoke` has run on this machine."""

from __future__ import annotations

import json
import os
from pathlib import Path

# Airflow's own listing interval (300 s) plus a period was the bound before; one period and a parse is the target.
TARGET_MARGIN_S = 15.0


def figures_file() -> Path:
    """Where the smoke tier keeps its figures, in its cache (smoke/cache.sh)."""
    cache = Path(os.environ.get("AIRFLOW_SMOKE_CACHE") or Path.home() / ".cache" / "airflow-smoke")
    return cache / "figures" / "dag-latency.json"


def rows() -> list[tuple[str, str, str]]:
    path = figures_file()
    if not path.is_file():
        return [("(e) DAG latency, push to API", f"not measured: no {path} (run `make smoke`)", "")]
    found = json.loads(path.read_text())
    period = float(found["period"])
    target = period + TARGET_MARGIN_S

    def verdict(seconds: float) -> str:
        return f"<= {target:g} s: {'ok' if seconds <= target else 'MISSED'}"

    return [
        (f"(e) DAG latency, commit to API, {period:g} s sync period", f"measured {found['measured']}", ""),
        ("    new DAG file served", f"{found['new']:.1f} s", verdict(found["new"])),
        ("    changed DAG served", f"{found['changed']:.1f} s", verdict(found["changed"])),
        ("    deleted DAG marked stale", f"{found['deleted']:.1f} s", ""),
    ]
