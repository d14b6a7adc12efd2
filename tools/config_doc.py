"""The configuration reference (docs/configuration.md), made from Pulumi.yaml so the two cannot drift apart.

    python -m tools.config_doc          print the table
    python -m tools.config_doc --write  rewrite the table between the markers in docs/configuration.md
"""

from __future__ import annotations

import argparse
import re
import sys

from components.settings import PROJECT_DIR, config_schema, secret_keys

DOCUMENT = PROJECT_DIR / "docs" / "configuration.md"
START, END = "<!-- config-reference:start -->", "<!-- config-reference:end -->"
BLOCK = re.compile(re.escape(START) + r"\n(.*?)" + re.escape(END), re.DOTALL)


def default_text(key: str, declared: dict[str, object]) -> str:
    if key in secret_keys():
        return "(secret, unset)"
    default = declared.get("default")
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    return "(empty)" if default == "" else f"`{default}`"


def table() -> str:
    rows = ["| Key | Type | Default | Description |", "| --- | --- | --- | --- |"]
    for key, declared in config_schema().items():
        description = str(declared.get("description", "")).replace("|", "\\|")
        rows.append(f"| `{key}` | {declared.get('type', 'string')} | {default_text(key, declared)} | {description} |")
    return "\n".join(rows) + "\n"


def documented_table(document: str) -> str:
    match = BLOCK.search(document)
    if not match:
        raise ValueError(f"{DOCUMENT.name} has no {START} ... {END} block")
    return match.group(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.config_doc", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite the table in docs/{DOCUMENT.name}")
    options = parser.parse_args(argv)
    if not options.write:
        sys.stdout.write(table())
        return 0
    document = DOCUMENT.read_text()
    documented_table(document)
    DOCUMENT.write_text(BLOCK.sub(lambda _: f"{START}\n{table()}{END}", document))
    return 0


if __name__ == "__main__":
    sys.exit(main())
