"""Where the e2e tier finds the repository, the third-party CRDs, the project's virtualenv and the toolchain."""

import os
import re
from pathlib import Path

E2E = Path(__file__).resolve().parent
REPO = E2E.parent
# Installed by `python -m tools.crd_schemas` (run.sh runs it): the sets the unit tier validates against, one directory
# each, which the clusters get as the installed operators would have left them.
CRD_SETS = REPO / ".schemas"
VENV = REPO / ".venv"
# run.sh passes the cache's bin directory; the fallback mirrors cache.sh for a bare pytest run.
BIN = Path(os.environ.get("AIRFLOW_E2E_BIN") or Path(
    os.environ.get("AIRFLOW_E2E_CACHE") or Path.home() / ".cache" / "airflow-e2e") / "bin")
# The engine tier's timings of its last run, which `python -m bench` reports.
ENGINE_FIGURES = BIN.parent / "figures" / "engine.json"
VERSIONS = dict(re.findall(r"^(\w+)=(\S+)$", (E2E / "versions.env").read_text(), re.M))
