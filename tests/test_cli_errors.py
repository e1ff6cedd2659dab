"""Operators' and analysts' mistakes end in one line saying what to do, exit 1 (2 for a bad
option), never in a traceback; and no command overwrites the ledger or half-writes an -o file."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from bot.cli import main
from bot.store import open_db
from tests.analytics.history import build

ROOT = Path(__file__).resolve().parents[1]
FLOWS = str(ROOT / "flows")


def run(db: Path | str, *args: str, flows: str = FLOWS, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["--db", str(db), "--flows", flows, *args], env=env)


def one_line_error(result: Result, code: int = 1) -> str:
    assert result.exit_code == code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = result.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    return lines[0]


def fingerprint(db: Path) -> str:
    h = hashlib.sha256()
    for part in (db, db.with_name(db.name + "-wal")):
        h.update(part.read_bytes() if part.exists() else b"")
    return h.hexdigest()


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    db = tmp_path / "ledger.db"
    build(db).conn.close()
    return db


# --- 1. -o never overwrites the ledger, and writes all or nothing ----------------------------------


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
@pytest.mark.parametrize("command", [["export", "runs"], ["report", "--format", "html"]], ids=" ".join)
def test_an_output_file_that_is_the_ledger_is_refused(ledger: Path, command: list[str], suffix: str) -> None:
    open_db(ledger).conn.close()  # leaves its -wal and -shm
    before = fingerprint(ledger)
    target = ledger.with_name(ledger.name + suffix)
    line = one_line_error(run(ledger, *command, "-o", str(target)))
    assert line.startswith(f"Error: Refusing to write {target}: it is the ledger {ledger}")
    assert fingerprint(ledger) == before
    assert run(ledger, "export", "runs", "--format", "json").exit_code == 0


def test_the_ledger_is_recognised_by_another_path_to_it(ledger: Path, tmp_path: Path) -> None:
    before = fingerprint(ledger)
    (tmp_path / "sub").mkdir()
    other = tmp_path / "sub" / ".." / ledger.name
    link = tmp_path / "link.db"
    link.symlink_to(ledger)
    for target in (other, link):
        assert "Refusing to write" in one_line_error(run(ledger, "export", "runs", "-o", str(target)))
    assert fingerprint(ledger) == before


def test_a_failed_export_leaves_an_existing_output_file_as_it_was(ledger: Path, tmp_path: Path) -> None:
    keep = tmp_path / "out" / "keep.csv"
    keep.parent.mkdir()
    keep.write_text("keep\n")
    line = one_line_error(run(ledger, "export", "nosuch", "-o", str(keep)))
    assert "No table or view named 'nosuch'" in line
    assert keep.read_text() == "keep\n"
    assert sorted(p.name for p in keep.parent.iterdir()) == ["keep.csv"]  # no temporary file left


def test_a_written_output_file_replaces_the_old_one_and_keeps_its_mode(ledger: Path, tmp_path: Path) -> None:
    out = tmp_path / "runs.json"
    out.write_text("old")
    out.chmod(0o640)
    assert run(ledger, "export", "runs", "--format", "json", "-o", str(out)).exit_code == 0
    assert len(json.loads(out.read_text())) == 7 and out.stat().st_mode & 0o777 == 0o640
    fresh = tmp_path / "fresh.json"
    assert run(ledger, "export", "runs", "--format", "json", "-o", str(fresh)).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask  # as open() would have made it
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# --- 2. the ledger path and the port -------------------------------------------------------------


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database, just text that is long enough to have a header" * 20)
    before = garbage.read_bytes()
    commands = (["db", "migrate"], ["runs", "list"], ["report"], ["transcripts", "search", "x"], ["export", "runs"])
    for command in commands:
        line = one_line_error(run(garbage, *command))
        assert line.startswith(f"Error: {garbage} is not a decisionbot ledger (file is not a database). "), command
        assert "DECISIONBOT_DB" in line
    assert garbage.read_bytes() == before


def test_a_db_path_that_is_a_folder_or_under_a_file_is_refused(tmp_path: Path) -> None:
    line = one_line_error(run(tmp_path, "db", "migrate"))
    assert line.startswith(f"Error: The ledger {tmp_path} is a folder, not a file. ")
    copy = tmp_path / "copy.db"
    copy.write_bytes(b"")
    for command in (
        ["runs", "list"],
        ["jobs", "list"],
        ["report"],
        ["transcripts", "search", "x"],
        ["db", "restore", str(copy)],
    ):
        line = one_line_error(run(tmp_path, *command))  # (before: "No ledger at ...", and demo-data there)
        assert line.startswith(f"Error: The ledger {tmp_path} is a folder, not a file. "), command
    (tmp_path / "afile").write_text("")
    line = one_line_error(run(tmp_path / "afile" / "x.db", "db", "migrate"))
    under_a_file = tmp_path / "afile" / "x.db"
    assert line.startswith(f"Error: Cannot open the ledger {under_a_file}: {tmp_path / 'afile'} is not a folder. ")


def _foreign(path: Path, *statements: str) -> Path:
    conn = sqlite3.connect(path)
    for sql in statements:
        conn.execute(sql)
    conn.commit()
    conn.close()
    return path


def _schema(path: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    finally:
        conn.close()


@pytest.mark.parametrize(
    "table",
    ["CREATE TABLE runs (id INTEGER PRIMARY KEY, name TEXT)", "CREATE TABLE people (x)"],
    ids=["runs", "people"],
)
def test_another_applications_database_is_refused_unchanged(tmp_path: Path, table: str) -> None:
    other = _foreign(tmp_path / "shop.db", "CREATE TABLE customers (id INTEGER PRIMARY KEY)", table)
    before = _schema(other)
    name = table.split()[2]
    for command in (["db", "migrate"], ["runs", "list"]):
        line = one_line_error(run(other, *command))
        assert line.startswith(f"Error: {other} is not a decisionbot ledger: it already has table(s) decisionbot's")
        assert f"{name}); nothing was changed." in line  # runs list reads it as it is: (customers, {name})
    assert _schema(other) == before
    with sqlite3.connect(other) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_ledger_and_an_empty_file_are_still_migrated(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    assert "applied, by set of migrations: core m001_initial" in run(empty, "db", "migrate").output
    assert "schema up to date" in run(empty, "db", "migrate").output


def test_another_applications_database_is_refused_by_every_command_that_writes(tmp_path: Path) -> None:
    """A file with tables none of decisionbot's: before, the commands that write migrated it (a
    mistyped --db added sixty tables to a shop's database), while those that read refused it."""
    shop = _foreign(tmp_path / "shop.db", "CREATE TABLE customers (id INTEGER PRIMARY KEY)")
    before = _schema(shop)
    for command in (["db", "migrate"], ["trigger", "post_meeting", "--channel", "console", "-f", "alice"]):
        line = one_line_error(run(shop, *command))
        assert line.startswith(f"Error: {shop} is not a decisionbot ledger: it already has table(s)"), command
        assert "(customers); nothing was changed." in line
    assert _schema(shop) == before


def test_serve_on_a_port_in_use_says_so(tmp_path: Path, taken_port: int) -> None:
    result = run(tmp_path / "s.db", "serve", "--port", str(taken_port))
    line = one_line_error(result)
    assert line.startswith(f"Error: Cannot listen on 127.0.0.1:{taken_port}: Address already in use. Try another")
    assert "decisionbot serving on" not in result.output  # not announced before it listens


@pytest.mark.parametrize("host", ["192.0.2.1", "no-such-host.invalid"])
def test_serve_on_an_address_not_of_this_machine_blames_the_host(tmp_path: Path, host: str) -> None:
    result = run(tmp_path / "s.db", "serve", "--host", host, "--port", "3999")
    line = one_line_error(result)
    assert line.startswith(f"Error: Cannot listen on {host}:3999: "), line
    assert line.endswith("Check --host: an address of this machine, e.g. 127.0.0.1, or 0.0.0.0 for all of them.")


def test_rasa_actions_on_a_port_in_use_says_so(tmp_path: Path, taken_port: int) -> None:
    exe = Path(sys.executable).with_name("decisionbot")
    args = [str(exe), "--db", str(tmp_path / "r.db"), "--flows", FLOWS, "rasa-actions", "--port", str(taken_port)]
    out = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    expected = f"Error: Cannot listen on 127.0.0.1:{taken_port}: Address already in use. Try another --port"
    assert out.stderr.splitlines()[-1].startswith(expected)


@pytest.mark.parametrize("command", [["serve", "--port"], ["rasa-actions", "--port"]], ids=" ".join)
def test_a_port_out_of_range_is_a_usage_error(tmp_path: Path, command: list[str]) -> None:
    result = run(tmp_path / "p.db", *command, "99999")
    assert result.exit_code == 2 and "99999 is not a port: use 1 to 65535." in result.output
    assert not (tmp_path / "p.db").exists()


@pytest.mark.parametrize("command", [["runs", "list"], ["jobs", "list"]], ids=" ".join)
@pytest.mark.parametrize("limit", ["0", "-1"])
def test_a_limit_below_one_is_a_usage_error(ledger: Path, command: list[str], limit: str) -> None:
    """--limit -1 listed every row (SQLite's LIMIT -1: no limit), --limit 0 none, both without a word."""
    result = run(ledger, *command, "--limit", limit)
    assert result.exit_code == 2 and f"Invalid value for '--limit': {limit} is not in the range 1<=x<=" in result.output


# --- 3. a bad value from the environment names the variable --------------------------------------


def test_a_bad_port_from_the_environment_names_the_variable(tmp_path: Path) -> None:
    result = run(tmp_path / "p.db", "serve", env={"DECISIONBOT_PORT": "abc"})
    assert result.exit_code == 2
    assert "Error: Invalid value for environment variable DECISIONBOT_PORT: 'abc' is not a valid port." in result.output
    assert "'--port'" not in result.output
    typed = run(tmp_path / "p.db", "serve", "--port", "abc", env={"DECISIONBOT_PORT": "1"})
    assert "Invalid value for '--port': 'abc' is not a valid port." in typed.output


# --- 4. a flows folder that does not exist, or holds no flow -------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["serve"],
        ["chat", "post_meeting"],
        ["flows", "validate"],
        ["flows", "list"],
        ["rasa-actions"],
        ["demo-data"],
        ["jobs", "run-due"],
    ],
    ids=lambda c: c[0] + (" " + c[1] if c[0] == "flows" else ""),
)
@pytest.mark.parametrize("made", [False, True], ids=["missing", "empty"])
def test_commands_that_run_flows_refuse_a_folder_without_flows(
    tmp_path: Path, command: list[str], made: bool, taken_port: int
) -> None:
    if command[0] in ("serve", "rasa-actions"):
        command = [*command, "--port", str(taken_port)]  # should it start anyway, it stops at once
    folder = tmp_path / "flowz"
    if made:
        folder.mkdir()
        (folder / "routes.yaml").write_text("routes: []\n")  # not a flow
    line = one_line_error(run(tmp_path / "f.db", *command, flows=str(folder)))
    why = "holds no flow file (*.yaml)" if made else "does not exist"
    assert line == (
        f"Error: The flows folder {folder} {why}. Point --flows (env DECISIONBOT_FLOWS) at the folder of your flow files."
    )
    assert not (tmp_path / "f.db").exists()


def test_commands_that_only_read_the_ledger_need_no_flows_folder(ledger: Path, tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere")
    for command in (["runs", "list"], ["runs", "show", "1"], ["report"], ["export", "runs"], ["db", "migrate"]):
        result = run(ledger, *command, flows=missing)
        assert result.exit_code == 0, (command, result.output)


# --- 6. table output ------------------------------------------------------------------------------


def test_search_table_keeps_the_match_and_one_line_per_row(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    text = "We talked through every option at length and in the end\nwe move the quokka launch to March"
    chat = CliRunner().invoke(
        main,
        ["--db", str(db), "--flows", FLOWS, "chat", "post_meeting", "-f", "alice", "--jsonl"],
        input=json.dumps({"text": text}) + "\n",
    )
    assert chat.exit_code == 1, chat.output  # the input ends before the run completes: fine here
    assert run(db, "db", "migrate").exit_code == 0  # indexes its messages
    out = run(db, "transcripts", "search", "quokka")
    assert out.exit_code == 0, out.output
    lines = out.output.splitlines()
    assert lines[0].split() == ["run_id", "created_at", "direction", "who", "step", "snippet"]
    assert len(lines) == 2 and "[quokka]" in lines[1] and "\n" not in lines[1]
    assert "length and in the end we move" in lines[1]


def test_what_a_chat_that_stopped_half_way_stored_is_searchable_at_once(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    stopped = CliRunner().invoke(
        main, ["--db", str(db), "--flows", FLOWS, "chat", "post_meeting", "-f", "alice"], input="Launch in Zanzibar\n"
    )
    assert stopped.exit_code == 1 and "Input ended before run #1 completed" in stopped.output
    found = run(db, "transcripts", "search", "zanzibar", "--json")
    assert found.exit_code == 0, found.output
    assert [hit["run_id"] for hit in json.loads(found.output)] == [1]


def test_an_output_through_a_link_replaces_its_target_all_or_nothing_and_the_link_stays(
    ledger: Path, tmp_path: Path
) -> None:
    target = tmp_path / "report.csv"
    target.write_text("old\n")
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    one_line_error(run(ledger, "export", "no_such_table", "-o", str(link)))
    assert target.read_text() == "old\n"  # a failed command leaves the file behind the link as it was
    result = run(ledger, "export", "runs", "--format", "csv", "-o", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and target.read_text().startswith("id,flow_id")


@pytest.mark.parametrize("through", ["/proc/self/fd/1", "/dev/stdout", "a link to /dev/stdout"])
def test_an_output_to_stdout_goes_where_stdout_goes_keeping_what_is_there(
    ledger: Path, tmp_path: Path, through: str
) -> None:
    out = through
    if through.startswith("a link"):
        (tmp_path / "out.csv").symlink_to("/dev/stdout")
        out = str(tmp_path / "out.csv")
    exe = Path(sys.executable).with_name("decisionbot")
    args = [str(exe), "--db", str(ledger), "export", "runs", "--format", "csv", "-o", out]
    log = tmp_path / "app.log"
    log.write_text("HEADER\n")
    with log.open("a") as stdout:  # as `... -o /dev/stdout >> app.log` in a shell
        done = subprocess.run(args, stdout=stdout, stderr=subprocess.PIPE, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert log.read_text().startswith("HEADER\nid,flow_id")  # appended to, not replaced or truncated
    piped = subprocess.run(args, capture_output=True, text=True, timeout=60)  # as `... | head`
    assert piped.returncode == 0 and piped.stdout.startswith("id,flow_id"), piped.stderr


def test_a_regular_file_under_dev_is_still_written_all_or_nothing(ledger: Path) -> None:
    shm = Path("/dev/shm")
    if not shm.is_dir():
        pytest.skip("no /dev/shm here")
    kept = shm / f"decisionbot-test-{os.getpid()}.csv"
    kept.write_text("keep\n")
    try:
        one_line_error(run(ledger, "export", "no_such_table", "-o", str(kept)))
        assert kept.read_text() == "keep\n"
    finally:
        kept.unlink()


def test_the_ledgers_wal_is_refused_when_the_ledger_is_named_through_a_link(ledger: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.db"
    link.symlink_to(ledger)
    wal = ledger.with_name(ledger.name + "-wal")
    line = one_line_error(run(link, "export", "runs", "-o", str(wal)))
    assert "ledger" in line


def test_only_a_failed_bind_is_blamed_on_the_port() -> None:
    import errno as errnos

    from bot.cli_listen import listen_error

    taken = OSError(errnos.EADDRINUSE, "Address already in use")
    assert "Cannot listen on 127.0.0.1:3978: Address already in use" in str(listen_error("127.0.0.1", 3978, taken))
    reset = ConnectionResetError(errnos.ECONNRESET, "Connection reset by peer")  # a channel reaching its platform
    assert listen_error("127.0.0.1", 3978, reset) is reset


def test_the_port_type_shows_its_metavar_under_click_8_1_and_8_2() -> None:
    from bot.cli_listen import PORT

    option = next(p for p in main.commands["serve"].params if p.name == "port")
    assert PORT.get_metavar(option) == PORT.get_metavar(option, None) == "INTEGER"


def test_explore_on_a_port_in_use_says_so(ledger: Path, taken_port: int) -> None:
    line = one_line_error(run(ledger, "explore", "--port", str(taken_port)))
    assert line.startswith(f"Error: Cannot listen on 127.0.0.1:{taken_port}: Address already in use.")


@pytest.mark.parametrize("given", [":memory:", "file:ledger.db?cache=shared"])
def test_a_ledger_sqlite_would_not_keep_in_that_file_is_a_usage_error_naming_where_it_came_from(
    tmp_path: Path, given: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``DECISIONBOT_DB=:memory:``: ``serve`` took alerts with 200 and lost them at its stop;
    ``file:ledger.db?...``: it named an empty file as its ledger and wrote the runs to another,
    which backups and the operator's commands never saw. Now refused before anything is opened."""
    monkeypatch.chdir(tmp_path)
    result = run(given, "runs", "list")
    assert result.exit_code == 2 and f"Invalid value for '--db': '{given}' is SQLite's name for" in result.output
    from_env = CliRunner().invoke(main, ["runs", "list"], env={"DECISIONBOT_DB": given})
    assert from_env.exit_code == 2
    assert f"Invalid value for environment variable DECISIONBOT_DB: '{given}'" in from_env.output
    assert "Give the ledger's path, e.g. data/decisions.db." in from_env.output
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "args",
    [
        ["runs", "show", "9223372036854775808"],
        ["runs", "cancel", "9223372036854775808"],
        ["runs", "invite", "9223372036854775808"],
        ["runs", "list", "--limit", "9223372036854775808"],
        ["jobs", "list", "--limit", "9223372036854775808"],
    ],
    ids=" ".join,
)
def test_a_number_beyond_sqlites_integers_is_a_usage_error_not_a_traceback(ledger: Path, args: list[str]) -> None:
    """Before: OverflowError: Python int too large to convert to SQLite INTEGER, a traceback."""
    result = run(ledger, *args)
    assert result.exit_code == 2 and "9223372036854775808 is not in the range" in result.output


def test_a_servers_hints_name_the_ledger_and_flows_by_their_whole_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve`` started by systemd with ``DECISIONBOT_DB`` (or the default): its log's hints
    (``slack retry Ev...`` for an event given up) named no ledger, so pasted in another folder they
    said "No ledger at data/decisions.db". A server's hints name both by their whole paths."""
    from bot import texts

    said: list[str] = []
    monkeypatch.setattr(main.commands["serve"], "callback", lambda **_: said.append(texts.command()))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["serve"], env={"DECISIONBOT_DB": "data/x.db"})
    assert result.exit_code == 0, result.output
    assert said[0].endswith(f" --db {tmp_path / 'data' / 'x.db'} --flows {tmp_path / 'flows'}")
    said.clear()
    monkeypatch.setattr(main.commands["report"], "callback", lambda **_: said.append(texts.command()))
    CliRunner().invoke(main, ["report"], env={"DECISIONBOT_DB": "data/x.db"})
    assert "--db" not in said[0]  # at the terminal: only what was typed


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["trigger", "post_meeting", "--channel", "console", "-f", ""], "--facilitator names nobody"),
        (["trigger", "post_meeting", "--channel", "console", "-f", " "], "--facilitator names nobody"),
        (["trigger", "post_meeting", "--channel", "console", "-f", "U1,U2"], "names one person, not a list"),
        (["chat", "post_meeting", "-f", "alice,bob"], "names one person, not a list"),
        (["chat", "--as", ""], "--as names nobody"),
    ],
)
def test_an_option_naming_one_person_refuses_none_and_a_list(tmp_path: Path, args: list[str], said: str) -> None:
    """'-f ""' started a run "nobody has taken yet"; '-f U1,U2' one led by a person called "U1,U2"."""
    line = one_line_error(run(tmp_path / "t.db", *args))
    assert said in line
    assert not (tmp_path / "t.db").exists()  # refused before the ledger is opened
