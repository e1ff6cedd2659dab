"""The Home tab kept current beyond the server's own writes: a change committed by another process
(the CLI, a second connection on the ledger) drawn again within seconds on the tabs it changed and
on no other; the change triggers there only while someone may be looking; a bot token Slack
refuses said once in the log, not once a tab. The real server and slack_sdk against the fake Web
API, a real `decisionbot` process, real SQLite files."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from bot import texts
from tests.dates import JAN20
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import Harness, SlackPeople, bob_asked_to_accept, decided, message, wait_for
from tests.test_slack_home import day, opened, shown
from tests.test_slack_home_fresh import published, settled

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def slack_people() -> SlackPeople:
    return {"UA": ("Alice", "UTC"), "UB": ("Bob", "UTC"), "UC": ("Carol", "UTC")}


def ledger(slack: Harness) -> str:
    return str(slack.services.db.conn.execute("PRAGMA database_list").fetchone()[2])


def triggers(slack: Harness) -> list[str]:
    rows = slack.rows("SELECT name FROM sqlite_temp_master WHERE type = 'trigger' AND name LIKE 'home_%'")
    return sorted(name for (name,) in rows)


def redraws(slack: Harness) -> object:
    return slack.channel.inbound.app_home.redraws


async def cli(slack: Harness, *args: str) -> str:
    """``decisionbot ARGS`` run in a process of its own on the server's ledger; its output."""
    env = {**os.environ, "DECISIONBOT_DB": ledger(slack), "DECISIONBOT_FLOWS": str(ROOT / "flows")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, env=env, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    assert proc.returncode == 0, out.decode()
    return out.decode()


async def test_a_run_cancelled_from_the_cli_leaves_the_open_tab(slack: Harness, fake: FakeSlack) -> None:
    """Bob's tab shows run #1 waiting on him; the operator types `decisionbot runs cancel 1` on the
    server's machine: his tab is drawn again without it within seconds (before: only when he
    opened it again). Carol's tab, open too, shows nothing of it: not published again."""
    await bob_asked_to_accept(slack)
    await wait_for(lambda: slack.rows("SELECT 1 FROM runs WHERE state = 'owner_accepts'"))
    bob = await opened(slack, "UB")
    assert [t for t in shown(bob) if t.startswith("*#1 Weekly sync*")]
    await opened(slack, "UC")
    carol = await settled(fake, "UC")
    await cli(slack, "runs", "cancel", "1")
    assert slack.rows("SELECT status FROM runs") == [("cancelled",)]
    await wait_for(lambda: not [t for t in shown(fake.home("UB") or {"blocks": []}) if t.startswith("*#1")], 6)
    assert shown(fake.home("UB") or {}) == [texts.home_empty()]
    assert await settled(fake, "UC") == carol


async def test_a_second_connection_s_change_is_drawn_on_the_tabs_it_changes(slack: Harness, fake: FakeSlack) -> None:
    """Another connection on the ledger (a second server in a rolling restart) moves Bob's A1:
    his tab and Alice's (she leads its decision) show the new date, once each; Carol's, open, is
    compared and left alone; a commit of that connection that changes no tab publishes nothing."""
    await decided(slack)
    for user in ("UA", "UB", "UC"):
        await opened(slack, user)
    before = {u: await settled(fake, u) for u in ("UA", "UB", "UC")}
    other = sqlite3.connect(ledger(slack), timeout=5)
    try:
        with other:
            other.execute("UPDATE actions SET due = ? WHERE id = 1", (JAN20,))
        for user in ("UA", "UB"):
            await wait_for(lambda u=user: [t for t in shown(fake.home(u) or {"blocks": []}) if day(JAN20) in t], 6)
        after = {u: await settled(fake, u, quiet=2.5) for u in ("UA", "UB", "UC")}
        assert after == {"UA": before["UA"] + 1, "UB": before["UB"] + 1, "UC": before["UC"]}
        compared = redraws(slack).sweeps  # type: ignore[attr-defined]
        with other:
            other.execute("INSERT INTO people (id, name, fetched_at) VALUES ('slack:UZ', 'Zed', '2026-01-01')")
        await wait_for(lambda: redraws(slack).sweeps >= compared + 3, 6)  # type: ignore[attr-defined]
        assert {u: await settled(fake, u) for u in ("UA", "UB", "UC")} == after
    finally:
        other.close()


async def test_the_triggers_are_there_only_while_someone_may_be_looking(slack: Harness, fake: FakeSlack) -> None:
    """No tab open: no trigger on the connection, so a turn calls nothing of the Home tab's. Bob
    opens his: the triggers are created (between two transactions) and his tab follows his
    turns; once his look is too long ago they are dropped and nobody is watched any more."""
    await decided(slack)
    assert triggers(slack) == []
    watch = redraws(slack)
    watch.poll = 0.1  # type: ignore[attr-defined]
    await opened(slack, "UB")
    await wait_for(lambda: len(triggers(slack)) == 4)
    await slack.event(message("UB", f"due A1 {JAN20}", channel="DUB"))
    await wait_for(lambda: [t for t in shown(fake.home("UB") or {"blocks": []}) if day(JAN20) in t])
    watch.looked_for = 0.3  # type: ignore[attr-defined]
    await wait_for(lambda: triggers(slack) == [], 3)
    assert watch.looking == {} and watch.watch.done()  # type: ignore[attr-defined]
    published_before = len(published(fake, "UB"))
    await slack.event(message("UB", "done A1", channel="DUB"))
    await wait_for(lambda: slack.rows("SELECT status FROM actions") == [("done",)])
    assert await settled(fake, "UB") == published_before  # nobody looking: nothing published


async def test_a_refused_token_is_one_log_line_not_one_a_tab(
    slack: Harness, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack refuses the bot token (revoked) while Alice and Bob look at their tabs: the changes
    that would draw them again say so in one log line, not one each; once a tab is published
    again, one line says so."""
    await decided(slack)
    await opened(slack, "UA")
    await opened(slack, "UB")
    fake.refuse("views.publish", times=6, error="token_revoked")
    with caplog.at_level(logging.INFO, logger="decisionbot.slack"):
        for text in (f"due A1 {JAN20}", "due A1 2027-01-21", "due A1 2027-01-22"):
            await slack.event(message("UB", text, channel="DUB"))
            await wait_for(lambda t=text: slack.rows("SELECT due FROM actions")[0][0] == t.split()[-1])
            await settled(fake, "UB")
        assert len([c for c in fake.of("views.publish") if not c.result.get("ok")]) >= 4
        said = [r.getMessage() for r in caplog.records if "token_revoked" in r.getMessage()]
        assert said == [texts.slack_home_token_refused("token_revoked")]
        fake.refusals["views.publish"].clear()
        await slack.event(message("UB", "done A1", channel="DUB"))
        await wait_for(lambda: "published again" in caplog.text)
    assert len([r for r in caplog.records if "Home tabs" in r.getMessage()]) == 2


async def test_a_view_slack_refused_is_published_at_the_next_look_though_unchanged(
    slack: Harness, fake: FakeSlack
) -> None:
    """Another connection moves Bob's A1 while Slack refuses the bot token: his tab is not
    published. Once the token works again, the next commit of that connection (changing nothing
    on his tab) publishes the new date: before, the refused view counted as shown, so his tab
    stayed on the old date until its data changed again."""
    await decided(slack)
    await opened(slack, "UB")
    await settled(fake, "UB")
    fake.refuse("views.publish", times=1, error="token_revoked")
    other = sqlite3.connect(ledger(slack), timeout=5)
    try:
        with other:
            other.execute("UPDATE actions SET due = ? WHERE id = 1", (JAN20,))
        await wait_for(lambda: [c for c in published(fake, "UB") if not c.result.get("ok")], 6)
        assert not [t for t in shown(fake.home("UB") or {"blocks": []}) if day(JAN20) in t]
        compared = redraws(slack).sweeps  # type: ignore[attr-defined]
        with other:
            other.execute("INSERT INTO people (id, name, fetched_at) VALUES ('slack:UZ', 'Zed', '2026-01-01')")
        await wait_for(lambda: redraws(slack).sweeps > compared, 6)  # type: ignore[attr-defined]
        await wait_for(lambda: [t for t in shown(fake.home("UB") or {"blocks": []}) if day(JAN20) in t], 3)
    finally:
        other.close()
