"""Console runs a trigger started share one conversation (console:triggers): what another run of
it said while nobody was at the terminal is printed as the run continued opens, and named as that
run's. Before, ``chat --run 2`` opened with "Run cancelled by the bot's operator." alone, read as
run 2's own cancellation."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_another_runs_notice_is_named_as_that_runs(tmp_path: Path) -> None:
    base = ["--db", str(tmp_path / "t.db"), "--flows", str(ROOT / "flows")]
    runner = CliRunner()
    for title in ("First", "Second"):
        args = [*base, "trigger", "post_meeting", "--channel", "console", "-f", "alice", "--title", title]
        assert runner.invoke(main, args).exit_code == 0
    assert runner.invoke(main, [*base, "runs", "cancel", "1"]).exit_code == 0
    out = runner.invoke(main, [*base, "chat", "--run", "2"], input="We ship\n").output
    cancelled = next(line for line in out.splitlines() if "cancelled" in line)
    assert cancelled.startswith("bot (run #1): "), out
    assert "bot -> alice: What was decided in Second?" in out  # its own question: no run named


def test_a_line_typed_under_a_question_another_terminal_changed_is_not_taken(tmp_path: Path) -> None:
    """Bob's terminal shows 'Task', due 2026-12-03; in Alice's, the due date moves to 2027-01-15 and
    he is asked again there. Before, his 'yes' typed under the old question was stored as his yes to
    terms he never saw; now it is not taken, and the question as it stands is shown to him."""
    import io
    from zoneinfo import ZoneInfo

    from bot.channels.console import ConsoleSession, person
    from bot.dispatch import Dispatcher
    from bot.flow_catalog import FlowCatalog
    from bot.model import Trigger
    from bot.store import open_db

    db = open_db(tmp_path / "t.db")
    bot = Dispatcher(db, FlowCatalog(ROOT / "flows", db), ZoneInfo("UTC"))
    alice, bob = person("alice"), person("bob")
    hers, his = ConsoleSession(bot, io.StringIO()), ConsoleSession(bot, io.StringIO())
    hers.start(Trigger(flow="post_meeting", title="Sync", facilitator=alice, participants=[bob]))
    for text in ("We ship", "Task", "bob", "2026-12-03", "done"):
        hers.take(alice, text)
    assert his.show_waiting(bob) == 1 and "due 2026-12-03. Do you accept it?" in his.out.getvalue()
    hers.take(alice, "change the due date of action 1 to 2027-01-15")
    his.take(bob, "yes")
    told = his.out.getvalue().split("due 2026-12-03. Do you accept it?", 1)[1]
    assert "Your line was not taken: the question changed" in told and "due 2027-01-15. Do you accept it?" in told
    accepted = "SELECT count(*) FROM answers WHERE step = 'owner_accepts'"
    assert db.conn.execute(accepted).fetchone() == (0,)
    his.take(bob, "yes")  # now to the question he was shown
    assert db.conn.execute(accepted).fetchone() == (1,)
    db.conn.close()


def test_as_in_other_letters_is_the_person_the_run_knows_not_a_new_name(tmp_path: Path) -> None:
    """'/as ALICE' (and a JSON line's "as": "ALICE") renamed the run's facilitator "ALICE" for good."""
    base = ["--db", str(tmp_path / "t.db"), "--flows", str(ROOT / "flows")]
    runner = CliRunner()
    runner.invoke(main, [*base, "chat", "post_meeting", "-f", "alice", "-p", "bob"], input="We ship\n/as ALICE\nTask\n")
    jsonl = '{"as": "ALICE", "text": "bob"}\n'
    runner.invoke(main, [*base, "chat", "--run", "1", "--jsonl"], input=jsonl)
    shown = runner.invoke(main, [*base, "runs", "show", "1"]).output
    assert "facilitator: alice" in shown and "ALICE" not in shown, shown


def test_a_reminder_of_the_question_shown_is_the_same_question(tmp_path: Path) -> None:
    """A reminder re-sends the question (a new message): the line typed under the one shown was
    refused as under a changed question, and no answer stored."""
    import asyncio
    import io
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from bot.channels.console import ConsoleSession, person
    from bot.dispatch import Dispatcher
    from bot.flow_catalog import FlowCatalog
    from bot.model import Trigger
    from bot.scheduler import Scheduler
    from bot.store import open_db
    from tests.clock import Clock

    clock = Clock(datetime(2026, 12, 1, 9, tzinfo=UTC))
    db = open_db(tmp_path / "t.db")
    bot = Dispatcher(db, FlowCatalog(ROOT / "flows", db), ZoneInfo("UTC"), clock=clock)
    alice, bob = person("alice"), person("bob")
    hers, his = ConsoleSession(bot, io.StringIO()), ConsoleSession(bot, io.StringIO())
    hers.start(Trigger(flow="post_meeting", title="Sync", facilitator=alice, participants=[bob]))
    for text in ("We ship", "Task", "bob", "2026-12-23", "done"):
        hers.take(alice, text)
    assert his.show_waiting(bob) == 1
    clock.now += timedelta(hours=5)
    asyncio.run(Scheduler(bot, {}).run_due(clock.now))  # the reminder, as jobs run-due or serve sends it
    assert db.conn.execute("SELECT count(*) FROM messages WHERE text LIKE 'Reminder%'").fetchone() == (1,)
    his.take(bob, "yes")
    assert "not taken" not in his.out.getvalue()
    assert db.conn.execute("SELECT count(*) FROM answers WHERE step = 'owner_accepts'").fetchone() == (1,)
    db.conn.close()


def test_a_line_for_another_runs_question_never_shown_here_shows_it_first(tmp_path: Path) -> None:
    """After its own run, a terminal's line went to a run whose question it never showed; it was
    then told the question had "changed", which sent the user looking for another terminal."""
    base = ["--db", str(tmp_path / "t.db"), "--flows", str(ROOT / "flows")]
    runner = CliRunner()
    runner.invoke(main, [*base, "trigger", "post_meeting", "--channel", "console", "-f", "alice", "--title", "Ops"])
    said = ["Quick one", "Plan", "me", "tomorrow", "done", "ok", "ok", "hello there", "We ship"]
    out = runner.invoke(main, [*base, "chat", "post_meeting", "-f", "alice"], input="\n".join(said) + "\n").output
    told = out.split("alice> hello there\n", 1)[1]
    assert told.startswith("bot -> alice: Your line was not taken: run #1 asks you something this terminal has not")
    assert "What was decided in Ops?" in told and "changed" not in told
    answered = runner.invoke(main, [*base, "runs", "show", "1"]).output
    assert "We ship" in answered and "hello there" not in answered


def test_as_refuses_what_the_options_refuse(tmp_path: Path) -> None:
    base = ["--db", str(tmp_path / "t.db"), "--flows", str(ROOT / "flows"), "chat", "post_meeting", "-f", "alice"]
    out = CliRunner().invoke(main, base, input="/as a<b>|c\nWe ship\n").output
    assert "'/as' names 'a<b>|c', which is not a person's id" in out and "alice> We ship" in out  # alice types on
    jsonl = CliRunner().invoke(main, [*base, "--jsonl"], input='{"as": "x|y<z>", "text": "hi"}\n')
    assert jsonl.exit_code != 0 and "names 'x|y<z>', which is not a person's id" in jsonl.output
