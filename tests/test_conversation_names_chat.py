"""The names of the channels runs live in, kept where the platforms give them without being asked
(bot/store/names.py): a Slack slash command's ``channel_name`` and the channels its text links
(``<#C2|ops-review>``), a Teams activity's channel and team. ``decisionbot runs list`` shows where
each run lives now by them, and where it was moved from; the analytics views name the
conversation. Before, the ledger kept ids only (``slack:C1``). The real server, requests signed as
Slack signs them, slack-sdk against the fake Web API; the fake Bot Connector for Teams; the CLI on
the ledger file."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from click.testing import CliRunner

from bot.channels.teams_activities import conversation_name, key_for
from bot.cli import main
from tests.fakes.slack_api import FakeSlack
from tests.flows_support import shipped_flows
from tests.slack_support import Harness, harness, slash_body, wait_for
from tests.teams_support import ALICE, BOB, CHANNEL, TEAM, at, in_channel, installed
from tests.teams_support import Harness as TeamsHarness
from tests.test_teams_removed import team_update


async def slash_in(
    slack: Harness, text: str, channel: str, channel_name: str, response_url: str = "http://127.0.0.1:1/never"
) -> dict[str, Any]:
    """``/decision text`` typed in ``channel``, which Slack names ``channel_name`` in the command."""
    body = slash_body("UA", text, channel, response_url=response_url)
    body += b"&" + urlencode({"channel_name": channel_name}).encode()
    resp = await slack.post(body, form=True)
    assert resp.status == 200
    return await resp.json()


def runs_list(db: Path, *extra: str) -> str:
    done = CliRunner().invoke(main, ["--db", str(db), "runs", "list", *extra])
    assert done.exit_code == 0, done.output
    return done.output


async def test_slack_names_from_commands_shown_by_runs_list_and_the_views(
    slack: Harness, fake: FakeSlack, tmp_path: Path
) -> None:
    fake.describe("C1", "general")
    fake.describe("C2", "ops-review")
    await slash_in(slack, "start post_meeting Weekly sync", "C1", "general")
    await slack.posts(2)
    await slash_in(slack, "start post_meeting Retro", "C3", "privategroup")  # Slack's word, not the name
    await slack.posts(4)
    await slash_in(slack, "help", "DUA", "directmessage")
    assert slack.rows("SELECT conversation, platform, name FROM conversation_names") == [
        ("slack:C1", "slack", "general")
    ]
    [(seen,)] = slack.rows("SELECT seen_at FROM conversation_names")
    await slash_in(slack, "help", "C1", "general")  # the same name again: nothing written
    assert slack.rows("SELECT seen_at FROM conversation_names") == [(seen,)]

    told = await slash_in(slack, "move 1 <#C2|ops-review>", "C1", "general")
    assert told["text"].startswith("Run #1 moves to #ops-review")
    await asyncio.sleep(0.2)
    assert slack.rows("SELECT conversation, name FROM conversation_names ORDER BY 1") == [
        ("slack:C1", "general"),
        ("slack:C2", "ops-review"),
    ]
    assert slack.rows("SELECT run_id, conversation, conversation_name FROM run_latency") == [
        (1, "slack:C2", "ops-review"),
        (2, "slack:C3", None),
    ]
    await slack.client.close()
    path = tmp_path / "slack.db"
    listed = json.loads(await asyncio.to_thread(runs_list, path, "--json"))
    where = [{k: r[k] for k in ("id", "where", "platform", "conversation", "conversation_name", "moved", "moved_from",
                                 "moved_from_name")} for r in listed]  # fmt: skip
    assert where == [
        {"id": 2, "where": "slack C3", "platform": "slack", "conversation": "slack:C3", "conversation_name": None,
         "moved": False, "moved_from": None, "moved_from_name": None},
        {"id": 1, "where": "slack #ops-review (moved from #general)", "platform": "slack", "conversation": "slack:C2",
         "conversation_name": "ops-review", "moved": True, "moved_from": "slack:C1", "moved_from_name": "general"},
    ]  # fmt: skip
    table = (await asyncio.to_thread(runs_list, path)).splitlines()
    assert table[0].split()[:7] == ["id", "flow", "status", "waiting", "channel", "trigger", "where"]
    assert "slack #ops-review (moved from #general)" in table[2] and "slack C3" in table[1]


async def test_a_name_given_while_another_process_holds_the_ledger_never_holds_up_the_command(
    slack: Harness, fake: FakeSlack, tmp_path: Path
) -> None:
    """Another process holds the ledger's write lock for 3.5 s (a backup, cron's ``jobs run-due``)
    when a start is typed in a channel whose name the ledger does not have yet. Before: keeping the
    name waited for the lock first, gave up after 2 s and the start was refused ("The decision
    ledger is busy"), as if the start could not wait (it can: "Working on it", then told at its
    response_url). Now the name waits for a turn that finds the ledger free: kept next time."""
    await slack.slash("UA", "help")  # Alice known: nothing of her to write meanwhile
    other = sqlite3.connect(tmp_path / "slack.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        start = asyncio.ensure_future(
            slash_in(slack, "start post_meeting Weekly sync", "C1", "general", fake.response_url("n1"))
        )
        await asyncio.sleep(3.5)
        assert start.done() and (await start)["text"].startswith("Working on it")
    finally:
        other.execute("COMMIT")
        other.close()
    told = await wait_for(lambda: fake.responses("n1"), timeout=10)
    assert told[0]["text"].startswith("Started run #1")
    assert slack.rows("SELECT status FROM runs") == [("active",)]
    await slash_in(slack, "help", "C1", "general")  # the name given again, the ledger free: kept
    assert slack.rows("SELECT conversation, name FROM conversation_names") == [("slack:C1", "general")]


async def test_teams_names_from_activities_shown_by_runs_list_and_the_views(tmp_path: Path) -> None:
    async with TeamsHarness(tmp_path) as h:
        await h.send(installed(h.url, members=(ALICE, BOB)))
        said = in_channel(h.url, ALICE, f"start post_meeting {at(BOB)} Weekly sync", BOB)
        said["channelData"]["channel"]["name"] = "Incidents"
        said["channelData"]["team"]["name"] = "Platform"
        await h.send(said)
        await h.settle()
        key = f"teams:{key_for(CHANNEL).conversation}"
        assert h.db("SELECT conversation, platform, name FROM conversation_names") == [
            (key, "teams", "Platform / Incidents")
        ]
        assert h.db("SELECT conversation, conversation_name FROM run_latency") == [(key, "Platform / Incidents")]
    listed = json.loads(await asyncio.to_thread(runs_list, tmp_path / "teams.db", "--json"))
    assert [(r["where"], r["conversation_name"], r["moved"]) for r in listed] == [
        ("teams Platform / Incidents", "Platform / Incidents", False)
    ]


async def test_a_teams_channel_renamed_names_that_channel_not_the_general_one_told(tmp_path: Path) -> None:
    """Teams tells of a channel created or renamed in the team's General channel (the activity's
    conversation), naming the channel in ``channelData.channel``. Before: General was kept under
    the other channel's name ("Platform / Incidents" for the team's General channel, where its runs
    were shown so). Now the channel named is the one ``channelData.channel.id`` says."""
    async with TeamsHarness(tmp_path) as h:
        await h.send(installed(h.url, members=(ALICE, BOB)))
        renamed = team_update(
            h.url,
            eventType="channelRenamed",
            team={"id": TEAM, "name": "Platform"},
            channel={"id": CHANNEL, "name": "Incidents"},
        )
        await h.send(renamed)
        await h.settle()
        assert h.db("SELECT conversation, name FROM conversation_names") == [
            (f"teams:{key_for(CHANNEL).conversation}", "Platform / Incidents")
        ]


def test_teams_names_an_activity_gives_and_none_it_does_not() -> None:
    said = in_channel("http://x", ALICE, "hello")
    assert conversation_name(said) is None  # channelData names no channel (Teams' General often does not)
    said["channelData"]["channel"]["name"] = "Incidents"
    assert conversation_name(said) == "Incidents"  # no team name: the channel's alone
    said["channelData"]["team"]["name"] = 5  # of another type: none
    assert conversation_name(said) == "Incidents"
    chat = in_channel("http://x", ALICE, "hello")
    chat["channelData"] = {"tenant": {"id": "t"}}
    chat["conversation"] = {"id": "19:meeting@thread.v2", "conversationType": "groupChat", "name": " Weekly sync "}
    assert conversation_name(chat) == "Weekly sync"  # a group chat's topic


def routes_ops_and_gone(tmp_path: Path, fake: FakeSlack) -> Path:
    """The shipped flows with two routes: to #ops-alerts (C0OPS), and to a channel Slack has not."""
    flows = shipped_flows(tmp_path / "flows")
    (flows / "routes.yaml").write_text(
        "routes:\n  - {name: ops, match: {source: alertmanager}, flow: metric_breach, channel: slack:C0OPS}\n"
        "  - {name: gone, match: {kind: gone}, flow: metric_breach, channel: slack:C0GONE}\n"
    )
    fake.describe("C0OPS", "ops-alerts")
    fake.shut_out("C0GONE", "channel_not_found")
    return flows


async def test_slack_names_the_routes_channels_check_was_given(tmp_path: Path, fake: FakeSlack) -> None:
    """The routes' channels are asked of Slack at start-up anyway (``conversations.info``): the
    names it gives are kept, the alerts' runs there named in the views; asked nothing more."""
    flows = routes_ops_and_gone(tmp_path, fake)
    slack = await harness(tmp_path, fake, flows=flows)
    try:
        await wait_for(lambda: slack.rows("SELECT conversation, name FROM conversation_names"))
        assert slack.rows("SELECT conversation, platform, name FROM conversation_names") == [
            ("slack:C0OPS", "slack", "ops-alerts")
        ]
        assert sorted(c.args["channel"] for c in fake.of("conversations.info")) == ["C0GONE", "C0OPS"]
    finally:
        await slack.client.close()


async def test_the_routes_channels_check_never_waits_for_the_ledger_to_keep_a_name(
    tmp_path: Path, fake: FakeSlack
) -> None:
    """Another process holds the ledger's write lock (a backup, cron's ``jobs run-due``) as the
    server checks the routes' channels at start-up. Before: keeping each channel's name waited for
    the lock (30 s at most, then the whole check given up: no ``routes_refused``, a warning), a
    check that never needed the ledger. Now the refusals are known at once; the names are kept by
    the next check, or the next command there."""
    flows = routes_ops_and_gone(tmp_path, fake)
    fake.slow_down("conversations.info", 0.5)  # (the lock taken before Slack answers)
    slack = await harness(tmp_path, fake, flows=flows)
    other = sqlite3.connect(
        tmp_path / "slack.db", isolation_level=None, timeout=5, check_same_thread=False
    )  # (the server's start-up first)
    await asyncio.to_thread(other.execute, "BEGIN IMMEDIATE")
    try:
        refused = await wait_for(lambda: slack.services.extra.get("routes_refused"), timeout=3)
        assert sorted(refused) == ["gone"]
    finally:
        other.execute("COMMIT")
        other.close()
        await slack.client.close()
