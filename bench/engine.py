"""(d) The real engine: the e2e toolchain's build times and the engine tier's timings on the loopback cluster.

Both are measured where the work happens and recorded in the toolchain cache: `e2e/build-toolchain.sh` appends
each piece's build time to `figures/builds.tsv`, and the engine tier (`e2e/test_airflow.py`) writes the wall time
of its first `pulumi preview`, `up`, no-op preview and `destroy` to `figures/engine.json`. Reported here, with when
they were measured; absent until `make e2e` has run on this machine.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENGINE_STEPS = ("first preview", "up", "no-op preview", "destroy")


def cache_dir() -> Path:
    """The toolchain cache, where e2e/cache.sh puts it."""
    return Path(os.environ.get("AIRFLOW_E2E_CACHE") or Path.home() / ".cache" / "airflow-e2e")


@dataclass(frozen=True)
class PieceBuilds:
    piece: str
    version: str
    first: float
    """The first build recorded in this cache, with whatever Go caches the machine had (cold on a new machine)."""
    fastest_rebuild: float | None
    """The fastest later build of the same version, with the Go module and build caches warm."""


def builds(cache: Path) -> list[PieceBuilds]:
    log = cache / "figures" / "builds.tsv"
    if not log.is_file():
        return []
    seen: dict[tuple[str, str], list[float]] = {}
    for line in log.read_text().splitlines():
        _, piece, version, seconds = line.split("\t")
        seen.setdefault((piece, version), []).append(float(seconds))
    return [
        PieceBuilds(piece, version, times[0], min(times[1:]) if len(times) > 1 else None)
        for (piece, version), times in seen.items()
    ]


def engine_timings(cache: Path) -> dict[str, Any]:
    path = cache / "figures" / "engine.json"
    loaded: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
    return loaded


def seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} s"


def rows() -> list[tuple[str, str, str]]:
    cache = cache_dir()
    found = builds(cache)
    timings = engine_timings(cache)
    if not found and not timings:
        return [("(d) real engine", f"not measured: no figures in {cache} (run `make e2e`)", "")]
    table = [("(d) e2e toolchain builds (first / fastest rebuild)", "", "")]
    table += [(f"    {b.piece} {b.version}", f"{b.first:.0f} s / {seconds(b.fastest_rebuild)}", "") for b in found]
    if found:
        table.append(("    all pieces", f"{sum(b.first for b in found):.0f} s first", ""))
    if timings:
        resources = timings.get("resources", "?")
        table.append((f"    engine on the loopback cluster ({resources} resources)", f"measured {timings['measured']}", ""))
        table += [(f"      {step}", f"{timings[step]:.1f} s", "") for step in ENGINE_STEPS if step in timings]
    return table
