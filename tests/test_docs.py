"""The docs stay true: the configuration reference is Pulumi.yaml's, the README names the two set-up commands, and
every relative link points at a file and heading that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.settings import PROJECT_DIR, config_schema
from tools import config_doc


def test_should_document_exactly_the_keys_pulumi_yaml_declares() -> None:
    table = config_doc.documented_table(config_doc.DOCUMENT.read_text())
    documented = set(re.findall(r"^\| `([A-Za-z]+)` \|", table, re.M))
    declared = set(config_schema())
    assert documented == declared, {"undocumented": declared - documented, "not declared": documented - declared}


def test_should_keep_the_reference_identical_to_the_generated_one() -> None:
    assert config_doc.documented_table(config_doc.DOCUMENT.read_text()) == config_doc.table(), (
        "docs/configuration.md is stale: run `.venv/bin/python -m tools.config_doc --write`"
    )


def test_should_rewrite_only_the_table_between_the_markers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    document = tmp_path / "configuration.md"
    document.write_text(f"# Intro\n\n{config_doc.START}\n| stale |\n{config_doc.END}\n\nAfter.\n")
    monkeypatch.setattr(config_doc, "DOCUMENT", document)
    assert config_doc.main(["--write"]) == 0
    assert document.read_text() == f"# Intro\n\n{config_doc.START}\n{config_doc.table()}{config_doc.END}\n\nAfter.\n"


def test_should_give_every_key_a_description() -> None:
    for key, declared in config_schema().items():
        assert len(str(declared.get("description", ""))) > 20, key


README = PROJECT_DIR / "README.md"
DOCS = PROJECT_DIR / "docs"


def section(markdown: str, heading: str) -> str:
    return markdown.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def shell_lines(markdown: str) -> list[str]:
    """The commands of a section's sh blocks, comments dropped."""
    blocks = re.findall(r"```sh\n(.*?)\n```", markdown, re.S)
    return [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()]


def test_should_name_the_deploy_and_test_commands_that_exist() -> None:
    readme = README.read_text()
    assert "./deploy.sh dev" in shell_lines(section(readme, "Quick start on a local cluster"))
    assert shell_lines(section(readme, "Tests")) == ["./test.sh"]
    for script in ("deploy.sh", "test.sh"):
        assert (PROJECT_DIR / script).stat().st_mode & 0o111, script
    assert "./test.sh" in (PROJECT_DIR / ".ci" / "run").read_text()


def test_should_keep_the_readme_a_front_page() -> None:
    """The depth lives in docs/; the README is what a reader deciding whether to adopt reads in full."""
    assert len(README.read_text().splitlines()) <= 180


def test_should_index_every_docs_page_in_the_readme() -> None:
    index = set(re.findall(r"\]\((docs/[a-z-]+\.md)\)", section(README.read_text(), "Docs")))
    assert index == {f"docs/{p.name}" for p in DOCS.glob("*.md")}


def test_should_document_every_stack_output() -> None:
    exported = set(re.findall(r'pulumi\.export\("([A-Za-z]+)"', (PROJECT_DIR / "__main__.py").read_text()))
    outputs_line = (DOCS / "access.md").read_text().split("Stack outputs:", 1)[1].split("\n\n", 1)[0]
    documented = set(re.findall(r"`([A-Za-z]+)`", outputs_line))
    assert exported
    assert exported == documented, {"undocumented": exported - documented, "not exported": documented - exported}


def test_should_give_the_quick_start_a_dag_that_compiles() -> None:
    source = (DOCS / "examples" / "hello.py").read_text()
    compile(source, "hello.py", "exec")
    assert 'dag_id="hello"' in source


MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


def heading_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a file's headings: lower-case, punctuation dropped, spaces to hyphens."""
    headings = re.findall(r"^#+ (.+)$", re.sub(r"```.*?```", "", markdown, flags=re.S), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


def broken_links(document: Path) -> list[str]:
    broken = []
    for target in MARKDOWN_LINK.findall(document.read_text()):
        if re.match(r"^[a-z]+:", target):
            continue  # an external address: not checked offline
        path, _, anchor = target.partition("#")
        linked = (document.parent / path) if path else document
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and anchor not in heading_anchors(linked.read_text()):
            broken.append(f"{target}: no such heading")
    return broken


def test_should_link_only_to_files_and_headings_that_exist() -> None:
    documents = [p for p in PROJECT_DIR.rglob("*.md") if not {".venv", ".checkov-venv", "node_modules"} & set(p.parts)]
    assert {README, *DOCS.glob("*.md")} <= set(documents)
    assert len(list(DOCS.glob("*.md"))) >= 14, "one page per topic of the README's docs index"
    assert {str(p.relative_to(PROJECT_DIR)): broken_links(p) for p in documents if broken_links(p)} == {}


def test_should_report_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## Data, upgrades and `pulumi destroy`\n")
    document = tmp_path / "page.md"
    document.write_text(
        "[a](other.md) [b](other.md#data-upgrades-and-pulumi-destroy) [c](#top) [d](gone.md) [e](other.md#nowhere) "
        "[f](https://example.com/x)\n\n# Top\n"
    )
    assert broken_links(document) == ["gone.md: no such file", "other.md#nowhere: no such heading"]
