"""Datasette over the ledger (read-only, described, with canned queries); the catalog and the docs
describe every table, column and view a ledger has."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.analytics import catalog, explore
from bot.analytics import search as searching
from bot.analytics.sql import MEASURES, as_view
from bot.errors import BotError
from bot.store import open_db, open_readonly
from tests.analytics.history import build, renamed

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "docs" / "analytics.md").read_text()


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    build(path).conn.close()
    return path


async def test_datasette_describes_everything_and_runs_the_canned_queries(ledger: Path) -> None:
    ds = explore.build(ledger)
    meta = (await ds.client.get("/-/metadata.json")).json()["databases"]["ledger"]
    assert set(meta["tables"]) >= set(catalog.TABLES) - {"check_evaluations"} | set(MEASURES)
    assert meta["tables"]["actions"]["columns"]["due"].startswith("Due date (local date)")
    assert set(meta["queries"]) == set(explore.CANNED)
    for name in explore.CANNED:
        params = "&words=launch" if name == "search" else ""
        response = await ds.client.get(f"/ledger/{name}.json?_shape=array{params}")
        assert response.status_code == 200, (name, response.text[:200])
    people = (await ds.client.get("/ledger/participation.json?_shape=array")).json()
    assert [(p["person"], p["answers"]) for p in people][:2] == [("slack:alice", 9), ("slack:carol", 3)]
    found = (await ds.client.get("/ledger/search.json?_shape=array&words=quokka")).json()
    assert found == []
    found = (await ds.client.get("/ledger/search.json?_shape=array&words=referral")).json()
    assert [f["run_id"] for f in found] == [5]


async def test_datasette_cannot_write(ledger: Path) -> None:
    ds = explore.build(ledger)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await ds.get_database("ledger").execute_write("DELETE FROM runs")
    refused = await ds.client.get("/ledger.json?sql=DELETE+FROM+runs")
    assert refused.status_code == 400
    count = (await ds.client.get("/ledger.json?sql=select+count(*)+as+n+from+runs&_shape=array")).json()
    assert count == [{"n": 7}]


def test_immutable_refuses_a_ledger_with_changes_in_its_log(ledger: Path) -> None:
    db = open_db(ledger)
    db.execute("UPDATE runs SET updated_at = '2026-04-01T00:00:00.000Z' WHERE id = 6")
    with pytest.raises(BotError, match="write-ahead log"):
        explore.build(ledger, immutable=True)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    assert explore.build(ledger, immutable=True) is not None


def _live_schema(tmp_path: Path) -> dict[str, tuple[list[str], str]]:
    return catalog.live_schema(open_db(tmp_path / "fresh.db").conn)


def test_catalog_describes_every_table_and_column_of_a_fresh_ledger(tmp_path: Path) -> None:
    schema = _live_schema(tmp_path)
    assert {"runs", "answers", "messages", "actions"} <= schema.keys() and all(c for c, _ in schema.values())
    for table, (columns, ddl) in schema.items():
        for column in columns:
            assert catalog.describe(table, column, ddl), f"{table}.{column}: describe it in bot/analytics/catalog.py"


def test_docs_list_every_table_column_and_view(tmp_path: Path) -> None:
    for table, (columns, _) in _live_schema(tmp_path).items():
        assert f"### `{table}`" in DOCS, f"{table}: regenerate with python -m bot.analytics.catalog"
        section = DOCS.split(f"### `{table}`", 1)[1].split("\n### ", 1)[0]
        for column in columns:
            assert f"| `{column}` |" in section, f"{table}.{column} is not in docs/analytics.md"
    for view, sql in MEASURES.items():
        assert f"### `{view}`\n\n{catalog.VIEWS[view]}\n" in DOCS, f"{view}: its description differs from Datasette's"
        assert as_view(sql) in DOCS, f"the SQL of {view} in docs/analytics.md is out of date"
    for command in ("decisionbot report", "decisionbot transcripts search", "decisionbot export",
                    "decisionbot explore", "decisionbot demo-data"):  # fmt: skip
        assert command in DOCS


async def test_datasette_reads_the_ledger_named_whatever_its_path_holds_and_creates_no_file(tmp_path: Path) -> None:
    path = tmp_path / "team?x#1.db"  # Datasette's own URI would open (and create) 'team', writable
    build(path).conn.close()
    ds = explore.build(path)
    assert [n for n in ds.databases if n != "_internal"] == ["team-x-1"]  # a name a URL can hold
    count = await ds.client.get("/team-x-1.json?sql=select+count(*)+as+n+from+runs&_shape=array")
    assert count.json() == [{"n": 7}]
    ledger = ds.get_database("team-x-1")
    for sql in (f"ATTACH DATABASE '{tmp_path / 'new.db'}' AS x", f"VACUUM INTO '{tmp_path / 'copy.db'}'"):
        with pytest.raises(sqlite3.DatabaseError):  # what Datasette's SQL check lets through, SQLite refuses
            await ledger.execute(sql)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await ledger.execute("CREATE TEMP TABLE t (x)")
    with pytest.raises(sqlite3.DataError, match="too big"):  # not a gigabyte at once, past any time limit
        await ledger.execute("SELECT length(randomblob(999999999))")
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) == [path.name]


async def test_a_result_too_large_to_hold_is_refused_not_gathered(ledger: Path) -> None:
    """Each value may hold 32 MB; Datasette gathers up to 1,000 of them, then serialises them past the time limit."""
    ds = explore.build(ledger)
    rows = "with recursive c(x) as (select 1 union all select x+1 from c limit {n}) select randomblob(30000000) from c"
    refused = await ds.client.get("/ledger.json", params={"sql": rows.format(n=3)})
    assert refused.status_code == 400 and "Result too large" in refused.json()["error"]
    lengths = rows.format(n=3).replace("select randomblob(30000000)", "select length(randomblob(30000000))")
    sizes = await ds.client.get("/ledger.json", params={"sql": lengths})
    assert sizes.status_code == 200 and [r[0] for r in sizes.json()["rows"]] == [30_000_000] * 3
    fine = await ds.client.get("/ledger.json", params={"sql": rows.format(n=2), "_shape": "array"})
    assert fine.status_code == 200 and len(fine.json()) == 2


@pytest.mark.parametrize(("canned", "view"), [("latency", "latency_summary"), ("participation", "participation")])
def test_the_costly_canned_queries_read_the_summaries_and_agree_with_their_views(
    ledger: Path, canned: str, view: str
) -> None:
    """On 100,000 runs the views took longer than Datasette's 10 s: they read every answer and message."""
    renamed(ledger)
    conn = sqlite3.connect(ledger)
    sql = explore.CANNED[canned][1]
    plan = " ".join(str(row[3]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
    assert not {"messages", "answers", "transitions"} & set(plan.replace("(", " ").split()), plan

    def rows(query: str) -> list[tuple[object, ...]]:
        return sorted(tuple(round(v, 9) if isinstance(v, float) else v for v in r) for r in conn.execute(query))

    assert len(rows(sql)) > 3 and rows(sql) == rows(f"SELECT * FROM {view}")
    if canned == "participation":
        names = {person: name for person, name, *_ in rows(sql)}
        assert [names[f"slack:{p}"] for p in ("dan", "bob", "erin")] == ["dan", "bob", "erin"]
    conn.close()


def test_explore_refuses_a_ledger_an_older_version_made_as_the_other_commands_do(ledger: Path) -> None:
    conn = sqlite3.connect(ledger, isolation_level=None)
    conn.execute("DROP TABLE analytics_people")  # as before m003: its canned queries would fail
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm003_summary_tables'")
    conn.close()
    with pytest.raises(BotError, match=f"Try: decisionbot --db {ledger} db migrate"):
        explore.build(ledger)


async def test_the_search_page_opened_before_any_words_are_typed_shows_no_error(ledger: Path) -> None:
    """Datasette runs a canned query as soon as its page opens, with its parameters empty: an empty
    FTS5 query is a syntax error, which is what the search page showed first."""
    ds = explore.build(ledger)
    page = await ds.client.get("/ledger/search")
    assert page.status_code == 200 and "syntax error" not in page.text
    empty = await ds.client.get("/ledger/search.json?words=")
    assert empty.status_code == 200 and empty.json()["ok"] is True and empty.json()["rows"] == []
    found = (await ds.client.get("/ledger/search.json?_shape=array&words=referral")).json()
    assert [f["run_id"] for f in found] == [5]


@pytest.mark.parametrize(
    ("words", "runs"),
    [
        ("referral programme.", [5]),
        ("pause: referral", [5]),
        ("we-pause", [5]),
        ("programme's", []),
        ("referral AND", []),
    ],
)
async def test_the_search_page_takes_words_as_transcripts_search_does(
    ledger: Path, words: str, runs: list[int]
) -> None:
    """Its words went to FTS5 as query syntax: a full stop, a colon, a hyphen, an apostrophe (what
    people type) was a syntax error, and 'AND' an operator; ``transcripts search`` quotes each word
    (every word must match, stemmed), and so does the page now."""
    ds = explore.build(ledger)
    response = await ds.client.get("/ledger/search.json", params={"_shape": "array", "words": words})
    assert response.status_code == 200, response.text[:300]
    cli = searching.search(open_readonly(ledger).conn, words)
    assert [f["run_id"] for f in response.json()] == [r["run_id"] for r in cli] == runs


def test_docs_say_what_datasette_says(tmp_path: Path) -> None:
    """Datasette shows the catalog's words; docs/analytics.md's tables section is printed from the
    same catalog, and each view's line there is its description. When one was edited alone, an
    analyst read in the docs that a Teams edit is kept and in Datasette that only Slack's are."""
    tables = catalog.markdown(_live_schema(tmp_path))
    section = DOCS.split("\n### `_sqlite_migrations`", 1)[1].split("\n## ", 1)[0]
    assert "### `_sqlite_migrations`" + section.rstrip("\n") == tables.rstrip("\n")
    for view, description in catalog.VIEWS.items():
        assert f"### `{view}`\n\n{description}\n" in DOCS, view
