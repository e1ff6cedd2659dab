"""Datasette's CSV downloads (``decisionbot explore``) of what chat users typed: a cell a
spreadsheet would read as a formula is text, as in ``decisionbot export``'s CSV. A ledger written
by ``decisionbot chat`` as a user would; Datasette's own app, through its client."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.analytics import explore
from bot.analytics.explore_csv import CsvGuard
from bot.cli import main
from tests.dates import JAN15, JAN16

ROOT = Path(__file__).resolve().parents[2]
TYPED = ['=HYPERLINK("http://evil.example/?q=1","Open")', "+cmd|' /C calc'!A0", "@SUM(1,2)", "-2+3"]
MEETING = [
    {"text": TYPED[0]},
    {"text": TYPED[1]},
    {"text": "@bob"},
    {"text": JAN15},
    {"text": TYPED[2]},
    {"text": "@bob"},
    {"text": JAN16},
    {"text": "done"},
    {"as": "bob", "text": "yes"},
    {"as": "bob", "text": TYPED[3]},  # not an answer to a yes/no question: kept in the transcript
    {"as": "bob", "text": "yes"},
    {"as": "alice", "text": "ok"},
]


def cli(db: Path, *args: str, lines: list[dict[str, str]] | None = None) -> str:
    result = CliRunner().invoke(
        main,
        ["--db", str(db), "--flows", str(ROOT / "flows"), *args],
        input="".join(json.dumps(line) + "\n" for line in lines or []),
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    path = tmp_path / "ledger.db"
    cli(path, "chat", "post_meeting", "-f", "alice", "-p", "bob", "--jsonl", lines=MEETING)
    return path


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("url", "typed"),
    [
        ("/ledger/messages.csv?_size=max", TYPED),
        ("/ledger/messages.csv?_stream=on&_dl=1", TYPED),
        ("/ledger/decisions.csv", TYPED[:1]),
        ("/ledger/actions.csv", TYPED[1:3]),
    ],
)
async def test_datasettes_csv_of_typed_text_is_what_export_writes(ledger: Path, url: str, typed: list[str]) -> None:
    """Before, Datasette wrote '=HYPERLINK(...)' as it was typed: Excel opened it as a formula."""
    table = url.split("/")[2].split(".")[0]
    response = await explore.build(ledger).client.get(url)
    assert response.status_code == 200
    got = rows(response.text)
    assert got == rows(cli(ledger, "export", table, "--format", "csv"))
    cells = {cell for row in got for cell in row}
    assert {"'" + t for t in typed} <= cells
    assert not any(cell.startswith(("=", "+", "@", "-")) for cell in cells)


async def test_a_query_csv_is_guarded_and_numbers_and_other_formats_are_left_alone(ledger: Path) -> None:
    ds = explore.build(ledger)
    sql = "select text, -1 as n, 2.5e3 as m from messages where direction = 'in' order by id"
    got = rows((await ds.client.get("/ledger.csv", params={"sql": sql})).text)
    assert got[0] == ["text", "n", "m"]
    assert [r[0] for r in got[1:4]] == ["'" + TYPED[0], "'" + TYPED[1], "'@bob"]
    assert {(r[1], r[2]) for r in got[1:]} == {("-1", "2500.0")}
    shown = (await ds.client.get("/ledger.json", params={"sql": sql, "_shape": "array"})).json()
    assert shown[0]["text"] == TYPED[0]  # the JSON and the pages show what was typed


def test_the_guard_reads_a_stream_cut_anywhere() -> None:
    text = 'a,b\r\n"=x,""y""",é=\r\n+1,"\n-z"\r\n'
    whole = CsvGuard().feed(text.encode(), done=True)
    guard = CsvGuard()
    data = text.encode()
    cut = b"".join(guard.feed(data[i : i + 1]) for i in range(len(data))) + guard.feed(b"", done=True)
    assert cut == whole
    assert rows(whole.decode()) == [["a", "b"], ['\'=x,"y"', "é="], ["+1", "\n-z"]]
