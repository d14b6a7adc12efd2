"""Writes the options of airflow.cfg that Airflow and the providers of the smoke venv declare, for the settings to
catch a misspelled `airflowConfig` option at preview.

    ~/.cache/airflow-smoke/venv/bin/python smoke/airflow_options.py [--write]   (without --write: exit 1 when stale)

Runs with the smoke tier's Airflow (the version the program deploys), not in the project's .venv, which has no
Airflow; test_customisation.py checks the committed file against it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

OPTIONS_FILE = Path(__file__).resolve().parent.parent / "components" / "settings" / "airflow_options.json"


def generate() -> str:
    import airflow
    from airflow.configuration import conf

    sections = {name: sorted(section["options"]) for name, section in conf.configuration_description.items()}
    return json.dumps({"airflow": airflow.__version__, "sections": sections}, indent=1, sort_keys=True) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true")
    text = generate()
    if parser.parse_args().write:
        OPTIONS_FILE.write_text(text)
        return 0
    return 0 if OPTIONS_FILE.read_text() == text else 1


if __name__ == "__main__":
    sys.exit(main())
