"""README.md and docs/*.md say what the code does, as a new operator reads them: each command's row
names every option it takes (its long or its short form); each setting's row gives the default
bot/config.py has (secrets none); every table of the ledger is listed where its guide lists tables;
the sections the README points to and the links between the pages exist. Before, `decisionbot
serve`'s row left out `--log-level`, `action_changes` and `slack_moves` had no row, and "After the
decision" was no section."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from bot import config
from bot.cli import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _commands(group: click.Group, prefix: str = "decisionbot") -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            found.extend(_commands(cmd, f"{prefix} {name}"))
        else:
            found.append((f"{prefix} {name}", cmd))
    return found


def _rows(start: str) -> list[str]:
    """The lines of the README's tables whose first cell starts with ``start``."""
    return [line for line in README.splitlines() if line.startswith(f"| `{start}")]


@pytest.mark.parametrize("path,command", _commands(main), ids=[p for p, _ in _commands(main)])
def test_the_cli_table_names_every_option_of_each_command(path: str, command: click.Command) -> None:
    rows = [row.split(" | ")[0] for row in _rows(f"{path} ") + _rows(f"{path}`")]
    assert rows, f"README's CLI table has no row for {path}"
    said = " ".join(rows)
    for param in command.params:
        if not isinstance(param, click.Option) or param.name == "help":
            continue
        assert any(re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", said) for opt in param.opts), (
            f"README's row of {path} does not name {'/'.join(param.opts)}"
        )


@pytest.mark.parametrize("setting", config.SETTINGS, ids=[s.env for s in config.SETTINGS])
def test_the_settings_table_gives_each_default(setting: config.Setting) -> None:
    [row] = _rows(f"{setting.env}`")
    default = row.split(" | ")[1]
    if setting.secret:
        assert default == "(secret)", row
    elif setting.default is None:
        assert default == "(none)", row
    else:
        assert default == f"`{setting.default}`", row


def _titles(text: str) -> list[str]:
    """A text's section titles: its headings and the bold words that open a paragraph."""
    found = re.findall(r"^#+ (.+)$", text, re.M) + re.findall(r"\*\*([^*\n]{3,60}?)\.?\*\*", text)
    return [re.sub(r"\s+", " ", title).strip("` ").lower() for title in found]


def test_the_sections_the_readme_points_to_within_itself_exist() -> None:
    """`see "X"`, `"X" below` and `"X" above` name a section of the README. Before, three places
    pointed to "After the decision", a section without a heading."""
    pointed = re.findall(r'(?:see|of) "([^"]{3,80})"(?! in)|"([^"]{3,80})" (?:below|above)', README)
    assert pointed
    titles = _titles(README)
    for see, where in pointed:
        name = re.sub(r"\s+", " ", see or where).lower()
        assert any(title.startswith(name) for title in titles), f'README points to "{name}": no such section'


def test_the_ledger_section_names_every_table(tmp_path: Path) -> None:
    """README's "The ledger (SQLite)" gives every table a new ledger has a row of its table, or names
    it among the areas' tables (the analysts' summary tables as `analytics_*`). Before,
    `action_changes` had neither."""
    from bot.store import open_db

    db = open_db(tmp_path / "l.db")
    try:
        tables = [row[0] for row in db.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    finally:
        db.conn.close()
    section = README.split("## The ledger (SQLite)")[1].split("\n## ")[0]
    areas = section.split("Each area adds its own tables")[1].split("\n\n")[0]
    for table in tables:
        if table.startswith(("sqlite_", "messages_fts_", "analytics_", "_sqlite_migrations")):
            continue
        assert f"| `{table}` |" in section or f"`{table}`" in areas, f"README's ledger tables leave out {table}"


@pytest.mark.parametrize("prefix,doc", [("slack_", "docs/slack.md"), ("teams_", "docs/teams.md")])
def test_each_platform_guide_lists_its_tables(tmp_path: Path, prefix: str, doc: str) -> None:
    """docs/slack.md's and docs/teams.md's "Tables" have a row for each of their platform's tables.
    Before, docs/slack.md left out `slack_moves`."""
    from bot.store import open_db

    db = open_db(tmp_path / "l.db")
    try:
        tables = [
            row[0]
            for row in db.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE ?", (f"{prefix}%",)
            )
        ]
    finally:
        db.conn.close()
    guide = (Path(__file__).resolve().parents[1] / doc).read_text()
    rows = guide.split("\n## Tables\n")[1].split("\n## ")[0]
    assert tables
    for table in tables:
        assert f"| `{table}` |" in rows, f"{doc}'s Tables has no row for {table}"


def _anchors(text: str) -> set[str]:
    """The anchors GitHub gives a text's headings."""
    return {
        re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
        for title in re.findall(r"^#+ (.+)$", text, re.M)
    }


def test_every_link_between_the_readme_and_the_docs_leads_somewhere() -> None:
    """Each relative link of README.md and docs/*.md names a file that exists and, after a #, a
    heading of it."""
    root = Path(__file__).resolve().parents[1]
    pages = [root / "README.md", *sorted((root / "docs").glob("*.md"))]
    links = 0
    for page in pages:
        for link in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if link.startswith(("http://", "https://", "mailto:")):
                continue
            links += 1
            path, _, anchor = link.partition("#")
            target = (page.parent / path).resolve() if path else page
            assert target.exists(), f"{page.name} links to {link}: no such file"
            if anchor and target.suffix == ".md":
                assert anchor in _anchors(target.read_text()), f"{page.name} links to {link}: no such heading"
    assert links
